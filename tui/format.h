/*  format: the client's words for numbers and times, and the one input it
    validates (a charge amount). Pure functions, no terminal involved. */
#ifndef BO_FORMAT_H
#define BO_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORMAT_TEXT_MAX 64

/* "120,000 P". */
char *format_points(int64_t points, char buf[FORMAT_TEXT_MAX]);
/* "less than a minute", "about 1 min", "about 12 min", "about 1 h 5 min". */
char *format_eta(int64_t seconds, char buf[FORMAT_TEXT_MAX]);
/* Time left until `deadline` at `now`: "4:59", "1:02:03", "0:00" once past.
   Rounded down, like every countdown the client shows, so none ever
   shows more time than is left. */
char *format_countdown(int64_t deadline_ms, int64_t now_ms, char buf[FORMAT_TEXT_MAX]);
/* A show time in the local time zone: "Wed 09 Dec 19:00". */
char *format_show_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX]);
/* A date and time in the local time zone: "2026-12-09 19:00". */
char *format_local_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX]);
/* The same without the year, for narrow columns: "12-09 19:00". */
char *format_short_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX]);
/* A seat as the hall names it, everywhere in the client: seat 13 is "B3"
   (rows of ten from the stage back, A to E). */
char *format_seat(int64_t seat_number, char buf[FORMAT_TEXT_MAX]);

/* Reads what a person typed as a charge: digits, optionally grouped with
   commas, within the protocol's range. On failure returns false and points
   *why at a sentence to show them. */
bool format_parse_charge(const char *text, int64_t *amount, const char **why);

#endif
