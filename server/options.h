/*  options: the daemon's settings, from defaults, a config file and the
    command line, in increasing order of precedence.

    Every setting has one entry in options.c's table, which drives the
    command line, the config file and --help alike.
*/
#ifndef BO_OPTIONS_H
#define BO_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OPTIONS_TEXT_MAX 4096

typedef struct {
    char endpoint[OPTIONS_TEXT_MAX];
    char database[OPTIONS_TEXT_MAX];
    char config[OPTIONS_TEXT_MAX]; /* "" when none was given */
    bool seed_demo;
    bool foreground;
    bool verbose;
    int64_t admit_batch;
    int64_t admit_interval_ms;
    int64_t max_active;
    int64_t token_ttl_s;
    int64_t hold_ttl_s;
    int64_t abandon_after_s;
    int64_t stats_interval_s; /* 0: no statistics */
} options_t;

typedef enum {
    OPTIONS_RUN,  /* start the daemon */
    OPTIONS_EXIT, /* --help or --version was printed: exit 0 */
    OPTIONS_ERROR /* the reason was printed to stderr: exit with *exit_code */
} options_result_t;

/* The built-in defaults. */
void options_defaults(options_t *options);

/* Fills `options` from defaults, the -c file if any, then argv. Prints
   help, version or errors itself. On OPTIONS_ERROR *exit_code is EX_USAGE
   for a bad command line and EX_CONFIG for a bad config file. */
options_result_t options_parse(options_t *options, int argc, char **argv, int *exit_code);

/* Reads a config file into `options`. On failure returns false and writes
   "FILE:LINE: reason" to `error`. */
bool options_read_file(options_t *options, const char *path, char *error, size_t error_size);

/* The usage text of --help. */
void options_usage(FILE *out, const char *program);

#endif
