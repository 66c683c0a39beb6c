/*  log: one line per event, with a level.

    In the foreground lines go to stderr ("2026-11-24T21:05:00Z info: ...");
    as a daemon they go to syslog (facility daemon). Debug lines appear only
    with --verbose. Safe to call before log_open (stderr, info level).
*/
#ifndef BO_LOG_H
#define BO_LOG_H

#include <stdbool.h>

typedef enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG } log_level_t;

void log_open(const char *ident, bool to_syslog, bool verbose);
void log_close(void);
bool log_enabled(log_level_t level);

void log_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
