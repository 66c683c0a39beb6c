/*  log: leveled event lines to stderr or syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "bo_time.h"

static struct {
    bool to_syslog;
    log_level_t threshold;
} s_log = {false, LOG_LEVEL_INFO};

static const struct {
    const char *name;
    int priority;
} s_levels[] = {
    [LOG_LEVEL_ERROR] = {"error", LOG_ERR},
    [LOG_LEVEL_WARNING] = {"warning", LOG_WARNING},
    [LOG_LEVEL_INFO] = {"info", LOG_INFO},
    [LOG_LEVEL_DEBUG] = {"debug", LOG_DEBUG},
};

void log_open(const char *ident, bool to_syslog, bool verbose)
{
    s_log.to_syslog = to_syslog;
    s_log.threshold = verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
    if (to_syslog)
        openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_close(void)
{
    if (s_log.to_syslog)
        closelog();
    s_log.to_syslog = false;
}

bool log_enabled(log_level_t level)
{
    return level <= s_log.threshold;
}

static void s_emit(log_level_t level, const char *format, va_list args)
{
    if (!log_enabled(level))
        return;
    char line[1024];
    vsnprintf(line, sizeof line, format, args);
    if (s_log.to_syslog) {
        syslog(s_levels[level].priority, "%s: %s", s_levels[level].name, line);
        return;
    }
    char stamp[BO_TIME_TEXT_MAX];
    /* One fprintf call per line, so lines from two processes sharing a
       terminal do not interleave mid-line. */
    fprintf(stderr, "%s %s: %s\n", bo_time_format(bo_now_ms(), stamp), s_levels[level].name, line);
}

#define LOG_FUNCTION(function, level)                                                              \
    void function(const char *format, ...)                                                         \
    {                                                                                              \
        va_list args;                                                                              \
        va_start(args, format);                                                                    \
        s_emit(level, format, args);                                                               \
        va_end(args);                                                                              \
    }

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warning, LOG_LEVEL_WARNING)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
