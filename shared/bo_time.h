/*  bo_time: wall-clock time in milliseconds and its RFC 3339 form.

    Every time boxoffice stores or compares is an int64_t count of milliseconds
    since the Unix epoch, UTC. Callers pass "now" down explicitly rather than
    reading the clock deep inside the logic, so tests can run at any instant.
*/
#ifndef BO_TIME_H
#define BO_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "2026-11-24T21:05:00Z" plus NUL, with room for a five-digit year. */
#define BO_TIME_TEXT_MAX 32

/* The current wall-clock time. */
int64_t bo_now_ms(void);

/* A monotonic clock for measuring intervals (uptime, latencies). */
int64_t bo_monotonic_ms(void);
/* The same clock in microseconds, for timing the parts of a request. */
int64_t bo_monotonic_us(void);

/* Writes the time as RFC 3339 UTC with whole seconds ("...T21:05:00Z"),
   truncating milliseconds. Returns buf. */
char *bo_time_format(int64_t at_ms, char buf[BO_TIME_TEXT_MAX]);

/* Parses an RFC 3339 timestamp ("2026-11-24T21:05:00Z", an offset such as
   "+09:00", optional fractional seconds). Returns false if it is not one. */
bool bo_time_parse(const char *text, int64_t *at_ms);

/* Parses a calendar date "YYYY-MM-DD" to the UTC midnight that starts it. */
bool bo_date_parse(const char *text, int64_t *day_start_ms);

/* The first whole second at or after at_ms: expiry times are kept on whole
   seconds so the RFC 3339 form a client sees is never later than the truth. */
int64_t bo_ceil_second(int64_t at_ms);

#endif
