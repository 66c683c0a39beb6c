/*  format: numbers and times as the client shows them. */
#include "format.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol.h"

char *format_points(int64_t points, char buf[FORMAT_TEXT_MAX])
{
    char digits[32];
    bool negative = points < 0;
    snprintf(digits, sizeof digits, "%llu",
             negative ? 0ULL - (unsigned long long)points : (unsigned long long)points);
    size_t length = strlen(digits), out = 0;
    if (negative)
        buf[out++] = '-';
    for (size_t i = 0; i < length; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    snprintf(buf + out, FORMAT_TEXT_MAX - out, " P");
    return buf;
}

char *format_eta(int64_t seconds, char buf[FORMAT_TEXT_MAX])
{
    if (seconds < 60) {
        snprintf(buf, FORMAT_TEXT_MAX, "less than a minute");
        return buf;
    }
    int64_t minutes = (seconds + 59) / 60;
    if (minutes < 60)
        snprintf(buf, FORMAT_TEXT_MAX, "about %lld min", (long long)minutes);
    else if (minutes % 60 == 0)
        snprintf(buf, FORMAT_TEXT_MAX, "about %lld h", (long long)(minutes / 60));
    else
        snprintf(buf, FORMAT_TEXT_MAX, "about %lld h %lld min", (long long)(minutes / 60),
                 (long long)(minutes % 60));
    return buf;
}

char *format_countdown(int64_t deadline_ms, int64_t now_ms, char buf[FORMAT_TEXT_MAX])
{
    int64_t left = deadline_ms - now_ms;
    int64_t seconds = left <= 0 ? 0 : left / 1000;
    if (seconds >= 3600)
        snprintf(buf, FORMAT_TEXT_MAX, "%lld:%02lld:%02lld", (long long)(seconds / 3600),
                 (long long)(seconds / 60 % 60), (long long)(seconds % 60));
    else
        snprintf(buf, FORMAT_TEXT_MAX, "%lld:%02lld", (long long)(seconds / 60),
                 (long long)(seconds % 60));
    return buf;
}

static char *s_strftime(int64_t at_ms, const char *format, char buf[FORMAT_TEXT_MAX])
{
    time_t seconds = (time_t)(at_ms / 1000);
    struct tm local;
    if (!localtime_r(&seconds, &local) || strftime(buf, FORMAT_TEXT_MAX, format, &local) == 0)
        snprintf(buf, FORMAT_TEXT_MAX, "?");
    return buf;
}

char *format_show_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX])
{
    return s_strftime(at_ms, "%a %d %b %H:%M", buf);
}

char *format_local_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX])
{
    return s_strftime(at_ms, "%Y-%m-%d %H:%M", buf);
}

char *format_short_time(int64_t at_ms, char buf[FORMAT_TEXT_MAX])
{
    return s_strftime(at_ms, "%m-%d %H:%M", buf);
}

char *format_seat(int64_t seat_number, char buf[FORMAT_TEXT_MAX])
{
    if (seat_number < BO_SEAT_MIN || seat_number > BO_SEAT_MAX)
        snprintf(buf, FORMAT_TEXT_MAX, "no. %lld", (long long)seat_number);
    else
        snprintf(buf, FORMAT_TEXT_MAX, "%c%lld", (char)('A' + (seat_number - 1) / 10),
                 (long long)((seat_number - 1) % 10 + 1));
    return buf;
}

bool format_parse_charge(const char *text, int64_t *amount, const char **why)
{
    int64_t value = 0;
    int digits = 0;
    for (const char *c = text; *c; c++) {
        if (*c == ',' || *c == ' ')
            continue;
        if (!isdigit((unsigned char)*c)) {
            *why = "Type digits only, like 50000.";
            return false;
        }
        if (value > BO_CHARGE_MAX) {
            *why = "That is more than 10,000,000 points at once.";
            return false;
        }
        value = value * 10 + (*c - '0');
        digits++;
    }
    if (digits == 0) {
        *why = "Type an amount first.";
        return false;
    }
    if (value < BO_CHARGE_MIN) {
        *why = "The amount must be at least 1 point.";
        return false;
    }
    if (value > BO_CHARGE_MAX) {
        *why = "That is more than 10,000,000 points at once.";
        return false;
    }
    *amount = value;
    return true;
}
