/*  options: one table of settings drives the command line, the config file
    and the help text. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "protocol.h"

typedef enum { SETTING_TEXT, SETTING_INT, SETTING_FLAG } setting_kind_t;

typedef struct {
    const char *name; /* the long option, and the key in a config file */
    int short_name;   /* 0 when there is none */
    setting_kind_t kind;
    size_t offset;
    int64_t min, max;
    const char *argument; /* placeholder in the help text */
    const char *help;
    bool in_config_file;
} setting_t;

#define TEXT(name, short_name, member, argument, help)                                             \
    {                                                                                              \
        name, short_name, SETTING_TEXT, offsetof(options_t, member), 0, 0, argument, help, true    \
    }
#define INT(name, member, min, max, argument, help)                                                \
    {                                                                                              \
        name, 0, SETTING_INT, offsetof(options_t, member), min, max, argument, help, true          \
    }
#define FLAG(name, short_name, member, help)                                                       \
    {                                                                                              \
        name, short_name, SETTING_FLAG, offsetof(options_t, member), 0, 0, NULL, help, true        \
    }

/* Values outside these bounds are refused rather than clamped: a typo in a
   TTL should stop the daemon, not quietly change the sale. */
static const setting_t s_settings[] = {
    TEXT("endpoint", 'e', endpoint, "ENDPOINT",
         "ZeroMQ endpoint to bind (tcp://HOST:PORT or ipc://PATH)"),
    TEXT("database", 'd', database, "FILE", "SQLite database, created if missing"),
    {"config", 'c', SETTING_TEXT, offsetof(options_t, config), 0, 0, "FILE",
     "read settings from FILE (command line wins)", false},
    FLAG("seed-demo", 0, seed_demo, "load demo concerts and users into an empty database"),
    INT("admit-batch", admit_batch, 1, 1000000, "N", "admit at most N waiters per interval"),
    INT("admit-interval-ms", admit_interval_ms, 10, 3600000, "MS",
        "length of an admission interval"),
    INT("max-active", max_active, 1, 10000000, "N", "never more than N active tokens"),
    INT("token-ttl", token_ttl_s, 1, 86400, "S", "an admitted token lasts S seconds"),
    INT("hold-ttl", hold_ttl_s, 1, 86400, "S", "a seat hold lasts S seconds"),
    INT("abandon-after", abandon_after_s, 1, 86400, "S",
        "drop a waiter who has not asked for S seconds"),
    INT("stats-interval", stats_interval_s, 0, 86400, "S",
        "log the request loop's figures every S seconds (0: never)"),
    FLAG("foreground", 'f', foreground, "stay in the foreground and log to stderr"),
    FLAG("verbose", 'v', verbose, "log every request"),
};
#define SETTING_COUNT (sizeof s_settings / sizeof s_settings[0])

void options_defaults(options_t *options)
{
    memset(options, 0, sizeof *options);
    snprintf(options->endpoint, sizeof options->endpoint, "tcp://127.0.0.1:5555");
    snprintf(options->database, sizeof options->database, "./boxoffice.db");
    options->admit_batch = 100;
    options->admit_interval_ms = 1000;
    options->max_active = 1000;
    options->token_ttl_s = 300;
    options->hold_ttl_s = 300;
    options->abandon_after_s = 60;
}

static void s_default_text(const setting_t *setting, char *text, size_t size)
{
    options_t defaults;
    options_defaults(&defaults);
    const char *slot = (const char *)&defaults + setting->offset;
    if (setting->kind == SETTING_TEXT)
        snprintf(text, size, "%s", slot);
    else if (setting->kind == SETTING_INT)
        snprintf(text, size, "%lld", (long long)*(const int64_t *)slot);
    else
        text[0] = '\0';
}

void options_usage(FILE *out, const char *program)
{
    fprintf(out, "usage: %s [options]\n\n", program);
    fprintf(out, "The boxoffice daemon: a concert box office with a virtual waiting room,\n"
                 "serving the boxoffice protocol over ZeroMQ.\n\noptions:\n");
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const setting_t *setting = &s_settings[i];
        char left[64], fallback[OPTIONS_TEXT_MAX];
        snprintf(left, sizeof left, "%c%c%s--%s%s%s", setting->short_name ? '-' : ' ',
                 setting->short_name ? setting->short_name : ' ', setting->short_name ? ", " : "  ",
                 setting->name, setting->argument ? " " : "",
                 setting->argument ? setting->argument : "");
        s_default_text(setting, fallback, sizeof fallback);
        fprintf(out, "  %-30s %s", left, setting->help);
        if (fallback[0] && setting->in_config_file)
            fprintf(out, " (default %s)", fallback);
        fputc('\n', out);
    }
    fprintf(out, "  %-30s %s\n", "-h, --help", "show this help and exit");
    fprintf(out, "  %-30s %s\n", "-V, --version", "show the version and exit");
    fprintf(out, "\nSee boxofficed(8), boxoffice.conf(5) and boxoffice-protocol(7).\n");
}

static const setting_t *s_find(const char *name)
{
    for (size_t i = 0; i < SETTING_COUNT; i++)
        if (strcmp(s_settings[i].name, name) == 0)
            return &s_settings[i];
    return NULL;
}

static bool s_parse_flag(const char *value, bool *flag)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return (*flag = true, true);
        if (strcasecmp(value, no[i]) == 0)
            return (*flag = false, true);
    }
    return false;
}

/* The forms of tcp and ipc endpoints are checked here, so a typo is a usage
   error reported before the database is touched; other transports are left
   for libzmq to judge when the socket binds. */
static bool s_endpoint_valid(const char *endpoint)
{
    const char *rest = strstr(endpoint, "://");
    if (!rest || rest == endpoint || !rest[3])
        return false;
    rest += 3;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return true;
    const char *colon = strrchr(rest, ':');
    if (!colon || colon == rest)
        return false;
    if (strcmp(colon + 1, "*") == 0)
        return true;
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    return colon[1] && !*end && !errno && port >= 1 && port <= 65535;
}

/* Stores `value` (NULL for a flag given on the command line) into the
   setting's slot, or explains in `error` why it cannot. */
static bool s_apply(options_t *options, const setting_t *setting, const char *value, char *error,
                    size_t error_size)
{
    char *slot = (char *)options + setting->offset;
    switch (setting->kind) {
    case SETTING_TEXT:
        if (!value || !*value || strlen(value) >= OPTIONS_TEXT_MAX) {
            snprintf(error, error_size, "%s needs a value shorter than %d bytes", setting->name,
                     OPTIONS_TEXT_MAX);
            return false;
        }
        if (setting->offset == offsetof(options_t, endpoint) && !s_endpoint_valid(value)) {
            snprintf(error, error_size, "%s must look like tcp://HOST:PORT or ipc://PATH, not '%s'",
                     setting->name, value);
            return false;
        }
        snprintf(slot, OPTIONS_TEXT_MAX, "%s", value);
        return true;
    case SETTING_INT: {
        char *end = NULL;
        errno = 0;
        long long number = value ? strtoll(value, &end, 10) : 0;
        if (!value || !*value || *end || errno || number < setting->min || number > setting->max) {
            snprintf(error, error_size, "%s must be an integer from %lld to %lld, not '%s'",
                     setting->name, (long long)setting->min, (long long)setting->max,
                     value ? value : "");
            return false;
        }
        memcpy(slot, &(int64_t){number}, sizeof(int64_t));
        return true;
    }
    case SETTING_FLAG: {
        bool flag = true;
        if (value && !s_parse_flag(value, &flag)) {
            snprintf(error, error_size, "%s must be yes or no, not '%s'", setting->name, value);
            return false;
        }
        memcpy(slot, &flag, sizeof flag);
        return true;
    }
    }
    return false;
}

static char *s_trim(char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t length = strlen(text);
    while (length > 0 && isspace((unsigned char)text[length - 1]))
        text[--length] = '\0';
    return text;
}

/* Cuts a line at a '#' that starts a comment: one outside double quotes. */
static void s_strip_comment(char *line)
{
    bool quoted = false;
    for (char *c = line; *c; c++) {
        if (*c == '"')
            quoted = !quoted;
        else if (*c == '#' && !quoted) {
            *c = '\0';
            return;
        }
    }
}

/* One "key = value" line; comments and blank lines are skipped. */
static bool s_read_line(options_t *options, char *line, char *error, size_t error_size)
{
    s_strip_comment(line);
    char *text = s_trim(line);
    if (!*text)
        return true;
    char *equals = strchr(text, '=');
    if (!equals) {
        snprintf(error, error_size, "expected 'setting = value', got '%.60s'", text);
        return false;
    }
    *equals = '\0';
    char *key = s_trim(text), *value = s_trim(equals + 1);
    size_t length = strlen(value);
    if (length >= 2 && value[0] == '"' && value[length - 1] == '"') {
        value[length - 1] = '\0';
        value++;
    }
    const setting_t *setting = s_find(key);
    if (!setting || !setting->in_config_file) {
        snprintf(error, error_size, "unknown setting '%.60s'", key);
        return false;
    }
    return s_apply(options, setting, value, error, error_size);
}

bool options_read_file(options_t *options, const char *path, char *error, size_t error_size)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "%s: %s", path, strerror(errno));
        return false;
    }
    char line[OPTIONS_TEXT_MAX + 128], reason[OPTIONS_TEXT_MAX];
    bool ok = true;
    for (int number = 1; ok && fgets(line, sizeof line, file); number++) {
        size_t length = strlen(line);
        if (length == sizeof line - 1 && line[length - 1] != '\n' && !feof(file)) {
            snprintf(error, error_size, "%s:%d: line too long", path, number);
            ok = false;
        } else if (!s_read_line(options, line, reason, sizeof reason)) {
            snprintf(error, error_size, "%s:%d: %s", path, number, reason);
            ok = false;
        }
    }
    if (ok && ferror(file)) {
        snprintf(error, error_size, "%s: %s", path, strerror(errno));
        ok = false;
    }
    fclose(file);
    return ok;
}

/* getopt_long's view of the table; long-only options get codes past 255. */
static void s_getopt_tables(struct option *longs, char *shorts)
{
    size_t count = 0;
    char *cursor = shorts;
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const setting_t *setting = &s_settings[i];
        int has_arg = setting->kind == SETTING_FLAG ? no_argument : required_argument;
        longs[count++] = (struct option){setting->name, has_arg, NULL,
                                         setting->short_name ? setting->short_name : 256 + (int)i};
        if (setting->short_name) {
            *cursor++ = (char)setting->short_name;
            if (has_arg)
                *cursor++ = ':';
        }
    }
    longs[count++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[count++] = (struct option){"version", no_argument, NULL, 'V'};
    longs[count] = (struct option){0};
    strcpy(cursor, "hV");
}

static const setting_t *s_for_code(int code)
{
    if (code >= 256 && code < 256 + (int)SETTING_COUNT)
        return &s_settings[code - 256];
    for (size_t i = 0; i < SETTING_COUNT; i++)
        if (s_settings[i].short_name == code)
            return &s_settings[i];
    return NULL;
}

/* The first pass only looks for -c, --help and --version, so that help
   answers even beside a bad config file and the file is read before the
   rest of the command line overrides it. */
static options_result_t s_first_pass(options_t *options, int argc, char **argv,
                                     const struct option *longs, const char *shorts)
{
    bool wants_help = false, wants_version = false;
    optind = 0;
    opterr = 0;
    int code;
    while ((code = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (code == 'c')
            snprintf(options->config, sizeof options->config, "%s", optarg);
        wants_help = wants_help || code == 'h';
        wants_version = wants_version || code == 'V';
    }
    if (wants_help)
        options_usage(stdout, argv[0]);
    else if (wants_version)
        printf("boxofficed %s\n", BO_VERSION);
    return wants_help || wants_version ? OPTIONS_EXIT : OPTIONS_RUN;
}

static options_result_t s_second_pass(options_t *options, int argc, char **argv,
                                      const struct option *longs, const char *shorts)
{
    optind = 0;
    opterr = 1;
    int code;
    while ((code = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const setting_t *setting = s_for_code(code);
        char error[OPTIONS_TEXT_MAX + 128];
        if (!setting) {
            fprintf(stderr, "usage: %s [options]\nTry '%s --help' for the options.\n", argv[0],
                    argv[0]);
            return OPTIONS_ERROR;
        }
        if (!s_apply(options, setting, optarg, error, sizeof error)) {
            fprintf(stderr, "%s: --%s\nusage: %s [options]\nTry '%s --help' for the options.\n",
                    argv[0], error, argv[0], argv[0]);
            return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "%s: unexpected argument '%s'\nusage: %s [options]\nTry '%s --help' for the "
                "options.\n",
                argv[0], argv[optind], argv[0], argv[0]);
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}

options_result_t options_parse(options_t *options, int argc, char **argv, int *exit_code)
{
    struct option longs[SETTING_COUNT + 3];
    char shorts[2 * SETTING_COUNT + 3];
    s_getopt_tables(longs, shorts);
    char *fallback_argv[] = {"boxofficed", NULL};
    if (argc < 1) {
        argc = 1;
        argv = fallback_argv;
    }
    options_defaults(options);
    *exit_code = 0;
    if (s_first_pass(options, argc, argv, longs, shorts) == OPTIONS_EXIT)
        return OPTIONS_EXIT;
    if (options->config[0]) {
        char error[2 * OPTIONS_TEXT_MAX];
        if (!options_read_file(options, options->config, error, sizeof error)) {
            fprintf(stderr, "%s: %s\n", argv[0], error);
            *exit_code = EX_CONFIG;
            return OPTIONS_ERROR;
        }
    }
    if (s_second_pass(options, argc, argv, longs, shorts) == OPTIONS_ERROR) {
        *exit_code = EX_USAGE;
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
