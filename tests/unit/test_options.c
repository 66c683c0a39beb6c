/*  test_options: the daemon's settings from defaults, the command line and a
    config file, and the exit codes for each way they can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "options.h"
#include "protocol.h"

/* sysexits(3), spelled out: these numbers are the documented interface. */
#define EXIT_USAGE  64
#define EXIT_CONFIG 78

#define OUTPUT_MAX 16384

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* What one options_parse call did and printed. */
typedef struct {
    options_result_t result;
    int exit_code;
    char out[OUTPUT_MAX];
    char err[OUTPUT_MAX];
} run_t;

/* Points `fd` (1 or 2) at a fresh temporary file; returns the saved fd. */
static int s_capture_begin(int fd, char path[32])
{
    snprintf(path, 32, "/tmp/bo-options-out-XXXXXX");
    int file = mkstemp(path);
    assert_true(file >= 0);
    int saved = dup(fd);
    assert_true(saved >= 0);
    assert_true(dup2(file, fd) >= 0);
    close(file);
    return saved;
}

/* Restores `fd`, reads what was written to it and removes the file. */
static void s_capture_end(int fd, int saved, const char *path, char *text, size_t size)
{
    assert_true(dup2(saved, fd) >= 0);
    close(saved);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t length = fread(text, 1, size - 1, file);
    text[length] = '\0';
    fclose(file);
    unlink(path);
}

/* options_parse over argv, with stdout and stderr captured. */
static void s_parse_argv(run_t *run, options_t *options, int argc, char **argv)
{
    char out_path[32], err_path[32];
    fflush(stdout);
    fflush(stderr);
    int saved_out = s_capture_begin(STDOUT_FILENO, out_path);
    int saved_err = s_capture_begin(STDERR_FILENO, err_path);
    memset(options, 0x5a, sizeof *options);
    run->exit_code = -1;
    run->result = options_parse(options, argc, argv, &run->exit_code);
    fflush(stdout);
    fflush(stderr);
    s_capture_end(STDOUT_FILENO, saved_out, out_path, run->out, sizeof run->out);
    s_capture_end(STDERR_FILENO, saved_err, err_path, run->err, sizeof run->err);
}

/* options_parse over "boxofficed" and the given arguments (NULL-ended). */
static void s_parse(run_t *run, options_t *options, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("boxofficed");
    va_list args;
    va_start(args, options);
    for (const char *arg = va_arg(args, const char *); arg; arg = va_arg(args, const char *)) {
        assert_true(argc < 31);
        argv[argc++] = strdup(arg);
    }
    va_end(args);
    argv[argc] = NULL;
    /* getopt permutes argv; keep the strings to free them. */
    char *owned[32];
    memcpy(owned, argv, sizeof argv);
    s_parse_argv(run, options, argc, argv);
    for (int i = 0; i < argc; i++)
        free(owned[i]);
}

/* The command line must be refused with `exit_code`, saying so on stderr. */
#define assert_refused(run, code)                                                                  \
    do {                                                                                           \
        if ((run).result != OPTIONS_ERROR || (run).exit_code != (code))                            \
            fail_msg("expected OPTIONS_ERROR/%d, got %d/%d (stderr: %s)", (code), (run).result,    \
                     (run).exit_code, (run).err);                                                  \
        assert_true(strlen((run).err) > 0);                                                        \
        assert_int_equal(strlen((run).out), 0);                                                    \
    } while (0)

#define assert_runs(run)                                                                           \
    do {                                                                                           \
        if ((run).result != OPTIONS_RUN || (run).exit_code != 0)                                   \
            fail_msg("expected OPTIONS_RUN/0, got %d/%d (stderr: %s)", (run).result,               \
                     (run).exit_code, (run).err);                                                  \
        assert_int_equal(strlen((run).err), 0);                                                    \
        assert_int_equal(strlen((run).out), 0);                                                    \
    } while (0)

/* A config file with `content` under /tmp; the caller unlinks `path`. */
static void s_config(char path[40], const char *content)
{
    snprintf(path, 40, "/tmp/bo-options-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t length = strlen(content);
    assert_int_equal(write(fd, content, length), (ssize_t)length);
    close(fd);
}

/* The integer settings, by option name, read through the struct's members. */
static const char *const s_int_options[] = {"admit-batch", "admit-interval-ms", "max-active",
                                            "token-ttl",   "hold-ttl",          "abandon-after"};
static const int64_t s_int_min[] = {1, 10, 1, 1, 1, 1};
static const int64_t s_int_max[] = {1000000, 3600000, 10000000, 86400, 86400, 86400};
#define INT_OPTION_COUNT (sizeof s_int_options / sizeof s_int_options[0])

static int64_t s_int_of(const options_t *options, const char *name)
{
    if (strcmp(name, "admit-batch") == 0)
        return options->admit_batch;
    if (strcmp(name, "admit-interval-ms") == 0)
        return options->admit_interval_ms;
    if (strcmp(name, "max-active") == 0)
        return options->max_active;
    if (strcmp(name, "token-ttl") == 0)
        return options->token_ttl_s;
    if (strcmp(name, "hold-ttl") == 0)
        return options->hold_ttl_s;
    if (strcmp(name, "abandon-after") == 0)
        return options->abandon_after_s;
    fail_msg("no integer option '%s'", name);
    return -1;
}

static void s_assert_defaults(const options_t *options)
{
    assert_string_equal(options->endpoint, "tcp://127.0.0.1:5555");
    assert_string_equal(options->database, "./boxoffice.db");
    assert_string_equal(options->config, "");
    assert_false(options->seed_demo);
    assert_false(options->foreground);
    assert_false(options->verbose);
    assert_int_equal(options->admit_batch, 100);
    assert_int_equal(options->admit_interval_ms, 1000);
    assert_int_equal(options->max_active, 1000);
    assert_int_equal(options->token_ttl_s, 300);
    assert_int_equal(options->hold_ttl_s, 300);
    assert_int_equal(options->abandon_after_s, 60);
}

/* The file must be refused with an error starting "PATH:LINE: ". */
static void s_assert_file_error(const char *content, int line, const char *reason_part)
{
    char path[40];
    s_config(path, content);
    options_t options;
    options_defaults(&options);
    char error[2 * OPTIONS_TEXT_MAX] = "";
    bool ok = options_read_file(&options, path, error, sizeof error);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    if (ok || strncmp(error, prefix, strlen(prefix)) != 0) {
        unlink(path);
        fail_msg("'%s': expected an error starting '%s', got %d '%s'", content, prefix, ok, error);
    }
    if (reason_part && !strstr(error, reason_part)) {
        unlink(path);
        fail_msg("'%s': error '%s' does not mention '%s'", content, error, reason_part);
    }

    /* Through options_parse: EX_CONFIG, with the same place on stderr. */
    run_t run;
    s_parse(&run, &options, "-c", path, NULL);
    unlink(path);
    assert_refused(run, EXIT_CONFIG);
    assert_non_null(strstr(run.err, prefix));
}

/* ---------------------------------------------------------------------- */
/* Defaults                                                                */
/* ---------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    options_t options;
    memset(&options, 0x5a, sizeof options);
    options_defaults(&options);
    s_assert_defaults(&options);
}

static void test_no_arguments_gives_defaults(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, NULL);
    assert_runs(run);
    s_assert_defaults(&options);
}

/* ---------------------------------------------------------------------- */
/* The command line                                                        */
/* ---------------------------------------------------------------------- */

static void test_long_text_options(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--endpoint", "ipc:///tmp/bo.sock", "--database", "/tmp/bo.db", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/bo.sock");
    assert_string_equal(options.database, "/tmp/bo.db");
    assert_int_equal(options.admit_batch, 100);

    s_parse(&run, &options, "--endpoint=tcp://0.0.0.0:6000", "--database=x.db", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "tcp://0.0.0.0:6000");
    assert_string_equal(options.database, "x.db");
}

static void test_long_flag_options(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--seed-demo", NULL);
    assert_runs(run);
    assert_true(options.seed_demo);
    assert_false(options.foreground);
    assert_false(options.verbose);
    s_parse(&run, &options, "--foreground", NULL);
    assert_runs(run);
    assert_false(options.seed_demo);
    assert_true(options.foreground);
    assert_false(options.verbose);
    s_parse(&run, &options, "--verbose", NULL);
    assert_runs(run);
    assert_false(options.seed_demo);
    assert_false(options.foreground);
    assert_true(options.verbose);
}

static void test_long_int_options(void **state)
{
    (void)state;
    /* Each sets its own member and no other. */
    for (size_t i = 0; i < INT_OPTION_COUNT; i++) {
        char option[64], value[32];
        snprintf(option, sizeof option, "--%s", s_int_options[i]);
        int64_t wanted = s_int_min[i] + 7 + (int64_t)i;
        snprintf(value, sizeof value, "%lld", (long long)wanted);
        options_t options, defaults;
        options_defaults(&defaults);
        run_t run;
        s_parse(&run, &options, option, value, NULL);
        assert_runs(run);
        for (size_t j = 0; j < INT_OPTION_COUNT; j++) {
            int64_t expected = i == j ? wanted : s_int_of(&defaults, s_int_options[j]);
            if (s_int_of(&options, s_int_options[j]) != expected)
                fail_msg("%s %s: %s is %lld, expected %lld", option, value, s_int_options[j],
                         (long long)s_int_of(&options, s_int_options[j]), (long long)expected);
        }
        /* And the --name=value form. */
        char joined[96];
        snprintf(joined, sizeof joined, "%s=%s", option, value);
        s_parse(&run, &options, joined, NULL);
        assert_runs(run);
        assert_int_equal(s_int_of(&options, s_int_options[i]), wanted);
    }
}

static void test_all_long_options_together(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--endpoint", "ipc:///tmp/all", "--database", "all.db", "--seed-demo",
            "--admit-batch", "2", "--admit-interval-ms", "20", "--max-active", "3", "--token-ttl",
            "1", "--hold-ttl", "2", "--abandon-after", "5", "--foreground", "--verbose", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/all");
    assert_string_equal(options.database, "all.db");
    assert_string_equal(options.config, "");
    assert_true(options.seed_demo);
    assert_true(options.foreground);
    assert_true(options.verbose);
    assert_int_equal(options.admit_batch, 2);
    assert_int_equal(options.admit_interval_ms, 20);
    assert_int_equal(options.max_active, 3);
    assert_int_equal(options.token_ttl_s, 1);
    assert_int_equal(options.hold_ttl_s, 2);
    assert_int_equal(options.abandon_after_s, 5);
}

static void test_short_options(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "-e", "ipc:///tmp/short", "-d", "short.db", "-f", "-v", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/short");
    assert_string_equal(options.database, "short.db");
    assert_true(options.foreground);
    assert_true(options.verbose);
    assert_false(options.seed_demo);

    /* Attached values and bundled flags. */
    s_parse(&run, &options, "-eipc:///tmp/attached", "-dattached.db", "-fv", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/attached");
    assert_string_equal(options.database, "attached.db");
    assert_true(options.foreground);
    assert_true(options.verbose);

    s_parse(&run, &options, "-v", NULL);
    assert_runs(run);
    assert_false(options.foreground);
    assert_true(options.verbose);

    /* The last of a repeated option wins. */
    s_parse(&run, &options, "-e", "ipc://first", "--endpoint", "tcp://127.0.0.1:7000", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "tcp://127.0.0.1:7000");
}

static void test_endpoint_forms(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    static const char *const good[] = {
        "tcp://127.0.0.1:5555",      "tcp://*:1",       "tcp://[::1]:65535",  "tcp://localhost:*",
        "ipc:///run/boxoffice.sock", "ipc://@abstract", "ws://127.0.0.1:80/x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        s_parse(&run, &options, "--endpoint", good[i], NULL);
        assert_runs(run);
        assert_string_equal(options.endpoint, good[i]);
    }
    static const char *const bad[] = {"5555",           "tcp://",       "tcp://127.0.0.1",
                                      "tcp://:5555",    "tcp://host:0", "tcp://host:65536",
                                      "tcp://host:12a", "ipc://",       "://x",
                                      "localhost:5555"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_parse(&run, &options, "--endpoint", bad[i], NULL);
        assert_int_equal(run.result, OPTIONS_ERROR);
        assert_int_equal(run.exit_code, EXIT_USAGE);
        assert_non_null(strstr(run.err, "endpoint"));
        assert_non_null(strstr(run.err, "usage:"));
    }
}

static void test_short_config_option(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "admit-batch = 9\n");
    options_t options;
    run_t run;
    s_parse(&run, &options, "-c", path, NULL);
    assert_runs(run);
    assert_string_equal(options.config, path);
    assert_int_equal(options.admit_batch, 9);
    char joined[64];
    snprintf(joined, sizeof joined, "--config=%s", path);
    s_parse(&run, &options, joined, NULL);
    assert_runs(run);
    assert_string_equal(options.config, path);
    assert_int_equal(options.admit_batch, 9);
    s_parse(&run, &options, "--config", path, NULL);
    unlink(path);
    assert_runs(run);
    assert_string_equal(options.config, path);
    assert_int_equal(options.admit_batch, 9);
}

static void test_int_bounds(void **state)
{
    (void)state;
    for (size_t i = 0; i < INT_OPTION_COUNT; i++) {
        char option[64], value[32];
        snprintf(option, sizeof option, "--%s", s_int_options[i]);
        options_t options;
        run_t run;
        snprintf(value, sizeof value, "%lld", (long long)s_int_min[i]);
        s_parse(&run, &options, option, value, NULL);
        assert_runs(run);
        assert_int_equal(s_int_of(&options, s_int_options[i]), s_int_min[i]);
        snprintf(value, sizeof value, "%lld", (long long)s_int_max[i]);
        s_parse(&run, &options, option, value, NULL);
        assert_runs(run);
        assert_int_equal(s_int_of(&options, s_int_options[i]), s_int_max[i]);
        snprintf(value, sizeof value, "%lld", (long long)s_int_min[i] - 1);
        s_parse(&run, &options, option, value, NULL);
        assert_refused(run, EXIT_USAGE);
        snprintf(value, sizeof value, "%lld", (long long)s_int_max[i] + 1);
        s_parse(&run, &options, option, value, NULL);
        assert_refused(run, EXIT_USAGE);
    }
}

static void test_bad_integers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0",    "-1", "-100", "abc", "99999999999999999999", "5x", "", "1.5",
        "0x10", "5 ", "1e3",  "--",  "-9223372036854775809"};
    for (size_t i = 0; i < INT_OPTION_COUNT; i++) {
        char option[64];
        snprintf(option, sizeof option, "--%s", s_int_options[i]);
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            options_t options;
            run_t run;
            s_parse(&run, &options, option, bad[j], NULL);
            if (run.result != OPTIONS_ERROR || run.exit_code != EXIT_USAGE)
                fail_msg("%s '%s': expected OPTIONS_ERROR/64, got %d/%d", option, bad[j],
                         run.result, run.exit_code);
            /* The reason names the option. */
            if (!strstr(run.err, s_int_options[i]))
                fail_msg("%s '%s': stderr '%s' does not name the option", option, bad[j], run.err);
        }
    }
}

static void test_bad_text_values(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--endpoint", "", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "--database=", NULL);
    assert_refused(run, EXIT_USAGE);
    /* OPTIONS_TEXT_MAX bytes do not fit with the terminator. */
    char *long_value = malloc(OPTIONS_TEXT_MAX + 1);
    assert_non_null(long_value);
    memset(long_value, 'x', OPTIONS_TEXT_MAX);
    long_value[OPTIONS_TEXT_MAX] = '\0';
    s_parse(&run, &options, "--database", long_value, NULL);
    assert_refused(run, EXIT_USAGE);
    long_value[OPTIONS_TEXT_MAX - 1] = '\0';
    s_parse(&run, &options, "--database", long_value, NULL);
    assert_runs(run);
    assert_string_equal(options.database, long_value);
    free(long_value);
}

static void test_unknown_option(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--bogus", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-x", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-f", "--no-such-thing=1", NULL);
    assert_refused(run, EXIT_USAGE);
    /* Among good options too. */
    s_parse(&run, &options, "--seed-demo", "--bogus", "-v", NULL);
    assert_refused(run, EXIT_USAGE);
}

static void test_missing_or_extra_argument(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "--endpoint", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-e", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "--admit-batch", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-c", NULL);
    assert_refused(run, EXIT_USAGE);
    /* Flags take no value. */
    s_parse(&run, &options, "--foreground=yes", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "--verbose=1", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "--help=me", NULL);
    assert_refused(run, EXIT_USAGE);
}

static void test_positional_argument(void **state)
{
    (void)state;
    options_t options;
    run_t run;
    s_parse(&run, &options, "extra", NULL);
    assert_refused(run, EXIT_USAGE);
    assert_non_null(strstr(run.err, "extra"));
    s_parse(&run, &options, "-f", "start", NULL);
    assert_refused(run, EXIT_USAGE);
    assert_non_null(strstr(run.err, "start"));
    /* Before the options too (getopt permutes). */
    s_parse(&run, &options, "start", "-f", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "--", "extra", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-", NULL);
    assert_refused(run, EXIT_USAGE);
}

static void test_help(void **state)
{
    (void)state;
    static const char *const spellings[] = {"--help", "-h"};
    for (size_t i = 0; i < 2; i++) {
        options_t options;
        run_t run;
        s_parse(&run, &options, spellings[i], NULL);
        assert_int_equal(run.result, OPTIONS_EXIT);
        assert_int_equal(run.exit_code, 0);
        assert_int_equal(strlen(run.err), 0);
        assert_non_null(strstr(run.out, "usage: boxofficed"));
        static const char *const mentioned[] = {"-e, --endpoint ENDPOINT",
                                                "-d, --database FILE",
                                                "-c, --config FILE",
                                                "--seed-demo",
                                                "--admit-batch N",
                                                "--admit-interval-ms MS",
                                                "--max-active N",
                                                "--token-ttl S",
                                                "--hold-ttl S",
                                                "--abandon-after S",
                                                "-f, --foreground",
                                                "-v, --verbose",
                                                "-h, --help",
                                                "-V, --version",
                                                "(default 100)",
                                                "(default 1000)",
                                                "(default 300)",
                                                "(default 60)",
                                                "(default ./boxoffice.db)",
                                                "(default tcp://127.0.0.1:5555)"};
        for (size_t j = 0; j < sizeof mentioned / sizeof mentioned[0]; j++)
            if (!strstr(run.out, mentioned[j]))
                fail_msg("%s does not mention '%s'", spellings[i], mentioned[j]);
    }
}

static void test_version(void **state)
{
    (void)state;
    static const char *const spellings[] = {"--version", "-V"};
    for (size_t i = 0; i < 2; i++) {
        options_t options;
        run_t run;
        s_parse(&run, &options, spellings[i], NULL);
        assert_int_equal(run.result, OPTIONS_EXIT);
        assert_int_equal(run.exit_code, 0);
        assert_string_equal(run.out, "boxofficed " BO_VERSION "\n");
        assert_int_equal(strlen(run.err), 0);
    }
}

static void test_parse_starts_fresh_each_time(void **state)
{
    (void)state;
    /* getopt's state is global: a second parse must not inherit the first. */
    char path[40];
    s_config(path, "max-active = 5\n");
    options_t options;
    run_t run;
    s_parse(&run, &options, "-c", path, "-f", "--admit-batch", "3", NULL);
    unlink(path);
    assert_runs(run);
    assert_int_equal(options.max_active, 5);
    s_parse(&run, &options, "-fv", NULL);
    assert_runs(run);
    s_parse(&run, &options, "-v", "--bogus", NULL);
    assert_refused(run, EXIT_USAGE);
    /* A parse that stopped in the middle of a bundle ("-h" of "-hv", "-x" of
       "-xf") leaves nothing behind for the next one. */
    s_parse(&run, &options, "-hv", NULL);
    assert_int_equal(run.result, OPTIONS_EXIT);
    s_parse(&run, &options, "-d", "a.db", NULL);
    assert_runs(run);
    assert_string_equal(options.database, "a.db");
    assert_false(options.verbose);
    s_parse(&run, &options, "-xf", NULL);
    assert_refused(run, EXIT_USAGE);
    s_parse(&run, &options, "-v", NULL);
    assert_runs(run);
    assert_false(options.foreground);
    assert_true(options.verbose);
    /* Not even a -c left unread after -h. (The arguments of the first
       parse stay alive here, so a stale pointer into them would be read.) */
    s_config(path, "verbose = yes\n");
    char program[] = "boxofficed", bundle[48], foreground[] = "-f";
    snprintf(bundle, sizeof bundle, "-hc%s", path);
    char *first[] = {program, bundle, NULL}, *second[] = {program, foreground, NULL};
    s_parse_argv(&run, &options, 2, first);
    assert_int_equal(run.result, OPTIONS_EXIT);
    s_parse_argv(&run, &options, 2, second);
    unlink(path);
    assert_runs(run);
    assert_string_equal(options.config, "");
    assert_true(options.foreground);
    assert_false(options.verbose);
    s_parse(&run, &options, NULL);
    assert_runs(run);
    s_assert_defaults(&options);
}

/* ---------------------------------------------------------------------- */
/* The config file                                                         */
/* ---------------------------------------------------------------------- */

static void test_file_values_applied(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "endpoint = ipc:///tmp/from-file\n"
                   "database = /var/lib/boxoffice/box.db\n"
                   "seed-demo = yes\n"
                   "admit-batch = 11\n"
                   "admit-interval-ms = 250\n"
                   "max-active = 12\n"
                   "token-ttl = 13\n"
                   "hold-ttl = 14\n"
                   "abandon-after = 15\n"
                   "foreground = true\n"
                   "verbose = on\n");
    options_t options;
    options_defaults(&options);
    char error[2 * OPTIONS_TEXT_MAX] = "";
    assert_true(options_read_file(&options, path, error, sizeof error));
    assert_string_equal(options.endpoint, "ipc:///tmp/from-file");
    assert_string_equal(options.database, "/var/lib/boxoffice/box.db");
    assert_true(options.seed_demo);
    assert_int_equal(options.admit_batch, 11);
    assert_int_equal(options.admit_interval_ms, 250);
    assert_int_equal(options.max_active, 12);
    assert_int_equal(options.token_ttl_s, 13);
    assert_int_equal(options.hold_ttl_s, 14);
    assert_int_equal(options.abandon_after_s, 15);
    assert_true(options.foreground);
    assert_true(options.verbose);

    /* The same through options_parse. */
    run_t run;
    s_parse(&run, &options, "-c", path, NULL);
    unlink(path);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/from-file");
    assert_string_equal(options.config, path);
    assert_int_equal(options.abandon_after_s, 15);
    assert_true(options.verbose);
}

static void test_file_comments_and_blank_lines(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "# boxoffice.conf\n"
                   "\n"
                   "   \n"
                   "\t# indented comment\n"
                   "  admit-batch   =   21   # trailing comment\n"
                   "\tmax-active\t=\t22\t\n"
                   "token-ttl=23\n"
                   "hold-ttl = 24\r\n"
                   "#verbose = yes\n"
                   "abandon-after = 25"); /* no final newline */
    options_t options;
    options_defaults(&options);
    char error[2 * OPTIONS_TEXT_MAX] = "";
    bool ok = options_read_file(&options, path, error, sizeof error);
    unlink(path);
    if (!ok)
        fail_msg("%s", error);
    assert_int_equal(options.admit_batch, 21);
    assert_int_equal(options.max_active, 22);
    assert_int_equal(options.token_ttl_s, 23);
    assert_int_equal(options.hold_ttl_s, 24);
    assert_int_equal(options.abandon_after_s, 25);
    assert_false(options.verbose);
    assert_string_equal(options.endpoint, "tcp://127.0.0.1:5555");

    /* An empty file changes nothing. */
    s_config(path, "");
    options_defaults(&options);
    ok = options_read_file(&options, path, error, sizeof error);
    unlink(path);
    assert_true(ok);
    s_assert_defaults(&options);
}

static void test_file_quoted_values(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "endpoint = \"ipc:///tmp/with space\"\n"
                   "database = \"  padded  \"\n"
                   "admit-batch = \"31\"\n"
                   "verbose = \"yes\"\n");
    options_t options;
    options_defaults(&options);
    char error[2 * OPTIONS_TEXT_MAX] = "";
    bool ok = options_read_file(&options, path, error, sizeof error);
    unlink(path);
    if (!ok)
        fail_msg("%s", error);
    assert_string_equal(options.endpoint, "ipc:///tmp/with space");
    assert_string_equal(options.database, "  padded  ");
    assert_int_equal(options.admit_batch, 31);
    assert_true(options.verbose);

    /* An equals sign in a value is part of it. */
    s_config(path, "database = file:box.db?mode=rwc\n");
    options_defaults(&options);
    ok = options_read_file(&options, path, error, sizeof error);
    unlink(path);
    if (!ok)
        fail_msg("%s", error);
    assert_string_equal(options.database, "file:box.db?mode=rwc");
}

static void test_file_booleans(void **state)
{
    (void)state;
    static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True", "ON"};
    static const char *const no[] = {"no", "false", "off", "0", "NO", "False", "Off"};
    for (int truth = 0; truth < 2; truth++) {
        const char *const *values = truth ? yes : no;
        for (size_t i = 0; i < 7; i++) {
            char content[128], path[40];
            snprintf(content, sizeof content, "foreground = %s\nverbose = %s\nseed-demo = %s\n",
                     values[i], values[i], values[i]);
            s_config(path, content);
            options_t options;
            options_defaults(&options);
            /* Start from the opposite, so "no" has to clear. */
            options.foreground = options.verbose = options.seed_demo = !truth;
            char error[2 * OPTIONS_TEXT_MAX] = "";
            bool ok = options_read_file(&options, path, error, sizeof error);
            unlink(path);
            if (!ok)
                fail_msg("'%s': %s", values[i], error);
            assert_int_equal(options.foreground, truth);
            assert_int_equal(options.verbose, truth);
            assert_int_equal(options.seed_demo, truth);
        }
    }
}

static void test_command_line_wins_over_file(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "endpoint = ipc:///tmp/file\n"
                   "database = file.db\n"
                   "admit-batch = 41\n"
                   "max-active = 42\n"
                   "verbose = yes\n");
    options_t options;
    run_t run;
    /* The file is read first wherever -c appears. */
    s_parse(&run, &options, "--endpoint", "ipc:///tmp/cli", "--admit-batch", "7", "-c", path, NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/cli");
    assert_int_equal(options.admit_batch, 7);
    /* What the command line leaves alone comes from the file. */
    assert_string_equal(options.database, "file.db");
    assert_int_equal(options.max_active, 42);
    assert_true(options.verbose);
    assert_int_equal(options.token_ttl_s, 300);

    s_parse(&run, &options, "-c", path, "-e", "ipc:///tmp/cli2", NULL);
    assert_runs(run);
    assert_string_equal(options.endpoint, "ipc:///tmp/cli2");
    assert_int_equal(options.admit_batch, 41);

    /* A bad command line after a good file is still EX_USAGE. */
    s_parse(&run, &options, "-c", path, "--max-active", "0", NULL);
    unlink(path);
    assert_refused(run, EXIT_USAGE);
}

static void test_file_errors(void **state)
{
    (void)state;
    s_assert_file_error("admit-batch = 5\n\nbogus = 1\n", 3, "bogus");
    s_assert_file_error("# comment\nadmit-batch 5\n", 2, NULL);
    s_assert_file_error("endpoint\n", 1, NULL);
    s_assert_file_error("verbose = yes\nfoo = bar\nmax-active = 1\nadmit-batch = 0\n", 2, "foo");
    s_assert_file_error("verbose = yes\nmax-active = 1\n\n# c\nadmit-batch = 0\n", 5,
                        "admit-batch");
    s_assert_file_error("token-ttl = 86401\n", 1, "token-ttl");
    s_assert_file_error("hold-ttl = five\n", 1, "hold-ttl");
    s_assert_file_error("hold-ttl = 5s\n", 1, "hold-ttl");
    s_assert_file_error("hold-ttl = 99999999999999999999\n", 1, "hold-ttl");
    s_assert_file_error("hold-ttl =\n", 1, "hold-ttl");
    s_assert_file_error("endpoint =\n", 1, "endpoint");
    s_assert_file_error("endpoint = \"\"\n", 1, "endpoint");
    s_assert_file_error("verbose = maybe\n", 1, "verbose");
    s_assert_file_error("foreground = \n", 1, "foreground");
    s_assert_file_error("= 5\n", 1, NULL);
    /* Keys are exact: no case folding, no underscores, no dashes. */
    s_assert_file_error("Admit-Batch = 5\n", 1, NULL);
    s_assert_file_error("admit_batch = 5\n", 1, NULL);
    s_assert_file_error("--admit-batch = 5\n", 1, NULL);
    /* help and version are not settings; config is command line only. */
    s_assert_file_error("help = yes\n", 1, NULL);
    s_assert_file_error("config = /etc/other.conf\n", 1, "config");
}

static void test_file_line_too_long(void **state)
{
    (void)state;
    size_t length = 2 * OPTIONS_TEXT_MAX;
    char *content = malloc(length + 64);
    assert_non_null(content);
    strcpy(content, "admit-batch = 5\ndatabase = ");
    size_t used = strlen(content);
    memset(content + used, 'x', length);
    strcpy(content + used + length, "\nverbose = yes\n");
    s_assert_file_error(content, 2, "too long");
    free(content);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[40];
    s_config(path, "");
    unlink(path);
    options_t options;
    options_defaults(&options);
    char error[2 * OPTIONS_TEXT_MAX] = "";
    assert_false(options_read_file(&options, path, error, sizeof error));
    assert_non_null(strstr(error, path));
    s_assert_defaults(&options);

    run_t run;
    s_parse(&run, &options, "-c", path, NULL);
    assert_refused(run, EXIT_CONFIG);
    assert_non_null(strstr(run.err, path));
    s_parse(&run, &options, "--config", "/nonexistent/dir/boxoffice.conf", "-f", NULL);
    assert_refused(run, EXIT_CONFIG);
    /* A directory is no config file either. */
    s_parse(&run, &options, "-c", "/tmp", NULL);
    assert_refused(run, EXIT_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_no_arguments_gives_defaults),
        cmocka_unit_test(test_long_text_options),
        cmocka_unit_test(test_long_flag_options),
        cmocka_unit_test(test_long_int_options),
        cmocka_unit_test(test_all_long_options_together),
        cmocka_unit_test(test_short_options),
        cmocka_unit_test(test_endpoint_forms),
        cmocka_unit_test(test_short_config_option),
        cmocka_unit_test(test_int_bounds),
        cmocka_unit_test(test_bad_integers),
        cmocka_unit_test(test_bad_text_values),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_missing_or_extra_argument),
        cmocka_unit_test(test_positional_argument),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_parse_starts_fresh_each_time),
        cmocka_unit_test(test_file_values_applied),
        cmocka_unit_test(test_file_comments_and_blank_lines),
        cmocka_unit_test(test_file_quoted_values),
        cmocka_unit_test(test_file_booleans),
        cmocka_unit_test(test_command_line_wins_over_file),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_file_line_too_long),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
