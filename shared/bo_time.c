/*  bo_time: wall-clock milliseconds and RFC 3339 text. */
#include "bo_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_SECOND 1000
#define MS_PER_DAY    86400000LL

int64_t bo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * MS_PER_SECOND + ts.tv_nsec / 1000000;
}

int64_t bo_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bo_monotonic_ms(void)
{
    return bo_monotonic_us() / 1000;
}

/* Floor division, so times before 1970 still land on the right second. */
static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char *bo_time_format(int64_t at_ms, char buf[BO_TIME_TEXT_MAX])
{
    time_t seconds = (time_t)s_floor_div(at_ms, MS_PER_SECOND);
    struct tm tm;
    /* Formatted by hand rather than with strftime's %Y, which does not pad
       years before 1000 to the four digits RFC 3339 requires. */
    if (!gmtime_r(&seconds, &tm))
        tm = (struct tm){.tm_year = 70, .tm_mday = 1};
    snprintf(buf, BO_TIME_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

int64_t bo_ceil_second(int64_t at_ms)
{
    return -s_floor_div(-at_ms, MS_PER_SECOND) * MS_PER_SECOND;
}

/* Reads exactly `width` decimal digits. */
static bool s_digits(const char **cursor, int width, int *value)
{
    int result = 0;
    for (int i = 0; i < width; i++) {
        unsigned char c = (unsigned char)(*cursor)[i];
        if (!isdigit(c))
            return false;
        result = result * 10 + (c - '0');
    }
    *cursor += width;
    *value = result;
    return true;
}

static bool s_expect(const char **cursor, char c)
{
    if (**cursor != c)
        return false;
    (*cursor)++;
    return true;
}

static bool s_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static bool s_valid_date(int year, int month, int day)
{
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1)
        return false;
    int limit = days_in_month[month - 1] + (month == 2 && s_is_leap(year));
    return day <= limit;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
   days_from_civil), so no timezone state or timegm() is involved. */
static int64_t s_days_from_civil(int year, int month, int day)
{
    year -= month <= 2;
    int64_t era = s_floor_div(year, 400);
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static bool s_parse_date(const char **cursor, int64_t *days)
{
    int year, month, day;
    if (!s_digits(cursor, 4, &year) || !s_expect(cursor, '-') || !s_digits(cursor, 2, &month) ||
        !s_expect(cursor, '-') || !s_digits(cursor, 2, &day) || !s_valid_date(year, month, day))
        return false;
    *days = s_days_from_civil(year, month, day);
    return true;
}

bool bo_date_parse(const char *text, int64_t *day_start_ms)
{
    const char *cursor = text;
    int64_t days;
    if (!s_parse_date(&cursor, &days) || *cursor != '\0')
        return false;
    *day_start_ms = days * MS_PER_DAY;
    return true;
}

bool bo_time_parse(const char *text, int64_t *at_ms)
{
    const char *cursor = text;
    int64_t days;
    int hour, minute, second;
    if (!s_parse_date(&cursor, &days))
        return false;
    if (*cursor != 'T' && *cursor != 't' && *cursor != ' ')
        return false;
    cursor++;
    if (!s_digits(&cursor, 2, &hour) || !s_expect(&cursor, ':') || !s_digits(&cursor, 2, &minute) ||
        !s_expect(&cursor, ':') || !s_digits(&cursor, 2, &second))
        return false;
    /* 60 is a leap second; it is accepted and folds onto the next minute. */
    if (hour > 23 || minute > 59 || second > 60)
        return false;
    int64_t millis = 0;
    if (*cursor == '.') {
        cursor++;
        int scale = 100, count = 0;
        while (isdigit((unsigned char)*cursor)) {
            millis += (*cursor - '0') * scale;
            scale /= 10;
            cursor++;
            count++;
        }
        if (count == 0)
            return false;
    }
    int64_t offset_minutes = 0;
    if (*cursor == 'Z' || *cursor == 'z') {
        cursor++;
    } else if (*cursor == '+' || *cursor == '-') {
        int sign = *cursor == '-' ? -1 : 1, offset_hour, offset_minute;
        cursor++;
        if (!s_digits(&cursor, 2, &offset_hour) || !s_expect(&cursor, ':') ||
            !s_digits(&cursor, 2, &offset_minute) || offset_hour > 23 || offset_minute > 59)
            return false;
        offset_minutes = sign * (offset_hour * 60 + offset_minute);
    } else {
        return false;
    }
    if (*cursor != '\0')
        return false;
    int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    *at_ms = seconds * MS_PER_SECOND + millis;
    return true;
}
