/*  test_time: RFC 3339 formatting and parsing, calendar dates, rounding up
    to whole seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bo_time.h"

/* 2026-11-24T21:05:00Z */
#define T0        1795554300000LL
#define SECOND_MS 1000LL
#define DAY_MS    (86400LL * SECOND_MS)

/* Parses text that must be valid and returns its time. */
static int64_t s_parse_ok(const char *text)
{
    int64_t at = -12345;
    if (!bo_time_parse(text, &at))
        fail_msg("bo_time_parse refused '%s'", text);
    return at;
}

/* Text that must be refused, without touching the output. */
static void s_parse_refused(const char *text)
{
    int64_t at = -12345;
    if (bo_time_parse(text, &at))
        fail_msg("bo_time_parse accepted '%s' as %lld", text, (long long)at);
    assert_int_equal(at, -12345);
}

static void s_date_refused(const char *text)
{
    int64_t at = -12345;
    if (bo_date_parse(text, &at))
        fail_msg("bo_date_parse accepted '%s' as %lld", text, (long long)at);
    assert_int_equal(at, -12345);
}

/* --- formatting ------------------------------------------------------- */

static void test_format_epoch(void **state)
{
    (void)state;
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(0, buf), "1970-01-01T00:00:00Z");
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
}

static void test_format_returns_buf(void **state)
{
    (void)state;
    char buf[BO_TIME_TEXT_MAX];
    assert_ptr_equal(bo_time_format(T0, buf), buf);
}

static void test_format_known_dates(void **state)
{
    (void)state;
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(T0, buf), "2026-11-24T21:05:00Z");
    assert_string_equal(bo_time_format(1483228799000LL, buf), "2016-12-31T23:59:59Z");
    assert_string_equal(bo_time_format(951782400000LL, buf), "2000-02-29T00:00:00Z");
    assert_string_equal(bo_time_format(253402300799000LL, buf), "9999-12-31T23:59:59Z");
}

static void test_format_pads_years_to_four_digits(void **state)
{
    (void)state;
    /* RFC 3339's date-fullyear is exactly four digits, and bo_time_parse
       accepts these years, so the text must round-trip. */
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(-30610224001000LL, buf), "0999-12-31T23:59:59Z");
    assert_string_equal(bo_time_format(-59028739200000LL, buf), "0099-06-15T00:00:00Z");
    assert_string_equal(bo_time_format(-62135596800000LL, buf), "0001-01-01T00:00:00Z");
    assert_int_equal(s_parse_ok(bo_time_format(-62135596800000LL, buf)), -62135596800000LL);
}

static void test_format_negative_times(void **state)
{
    (void)state;
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(-1000, buf), "1969-12-31T23:59:59Z");
    /* Floors, not truncates toward zero: -1 ms is still in the second before. */
    assert_string_equal(bo_time_format(-1, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(bo_time_format(-999, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(bo_time_format(-1001, buf), "1969-12-31T23:59:58Z");
    assert_string_equal(bo_time_format(-DAY_MS, buf), "1969-12-31T00:00:00Z");
    assert_string_equal(bo_time_format(-14182940000LL, buf), "1969-07-20T20:17:40Z");
}

static void test_format_truncates_milliseconds(void **state)
{
    (void)state;
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(T0 + 1, buf), "2026-11-24T21:05:00Z");
    assert_string_equal(bo_time_format(T0 + 500, buf), "2026-11-24T21:05:00Z");
    assert_string_equal(bo_time_format(T0 + 999, buf), "2026-11-24T21:05:00Z");
    assert_string_equal(bo_time_format(T0 + 1000, buf), "2026-11-24T21:05:01Z");
    assert_string_equal(bo_time_format(999, buf), "1970-01-01T00:00:00Z");
}

static void test_now_is_plausible(void **state)
{
    (void)state;
    /* After 2024-01-01 and before 2100-01-01. */
    int64_t now = bo_now_ms();
    assert_true(now > 1704067200000LL);
    assert_true(now < 4102444800000LL);
    int64_t a = bo_monotonic_ms(), b = bo_monotonic_ms();
    assert_true(b >= a);
}

/* --- parsing ---------------------------------------------------------- */

static void test_parse_utc(void **state)
{
    (void)state;
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00Z"), T0);
    assert_int_equal(s_parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(s_parse_ok("2016-12-31T23:59:59Z"), 1483228799000LL);
    assert_int_equal(s_parse_ok("0001-01-01T00:00:00Z"), -62135596800000LL);
    assert_int_equal(s_parse_ok("9999-12-31T23:59:59Z"), 253402300799000LL);
}

static void test_parse_lowercase_and_space(void **state)
{
    (void)state;
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00z"), T0);
    assert_int_equal(s_parse_ok("2026-11-24t21:05:00Z"), T0);
    assert_int_equal(s_parse_ok("2026-11-24t21:05:00z"), T0);
    /* RFC 3339 section 5.6 allows a space for the T. */
    assert_int_equal(s_parse_ok("2026-11-24 21:05:00Z"), T0);
}

static void test_parse_negative_times(void **state)
{
    (void)state;
    assert_int_equal(s_parse_ok("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(s_parse_ok("1969-07-20T20:17:40Z"), -14182940000LL);
    assert_int_equal(s_parse_ok("1969-12-31T23:59:59.999Z"), -1);
}

static void test_parse_offsets(void **state)
{
    (void)state;
    /* The same instant written in Seoul, New York-ish and India. */
    assert_int_equal(s_parse_ok("2026-11-25T06:05:00+09:00"), T0);
    assert_int_equal(s_parse_ok("2026-11-24T16:05:00-05:00"), T0);
    assert_int_equal(s_parse_ok("2026-11-24T15:35:00-05:30"), T0);
    assert_int_equal(s_parse_ok("2026-11-25T02:35:00+05:30"), T0);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00+00:00"), T0);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00-00:00"), T0);
    /* Offsets can cross midnight and the epoch. */
    assert_int_equal(s_parse_ok("1970-01-01T09:00:00+09:00"), 0);
    assert_int_equal(s_parse_ok("1969-12-31T19:00:00-05:00"), 0);
    assert_int_equal(s_parse_ok("1970-01-01T00:00:00+00:01"), -60000);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00+23:59"), T0 - (23 * 3600 + 59 * 60) * 1000LL);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.250+09:00"), T0 - 9 * 3600 * 1000LL + 250);
}

static void test_parse_fractional_seconds(void **state)
{
    (void)state;
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.5Z"), T0 + 500);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.05Z"), T0 + 50);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.123Z"), T0 + 123);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.000Z"), T0);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.999Z"), T0 + 999);
    /* Digits past milliseconds are dropped, not rounded. */
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.123456Z"), T0 + 123);
    assert_int_equal(s_parse_ok("2026-11-24T21:05:00.9999999999999999999999Z"), T0 + 999);
    /* A dot needs digits. */
    s_parse_refused("2026-11-24T21:05:00.Z");
    s_parse_refused("2026-11-24T21:05:00.+09:00");
    s_parse_refused("2026-11-24T21:05:00,5Z");
}

static void test_parse_leap_second(void **state)
{
    (void)state;
    /* 23:59:60 folds onto the next minute. */
    assert_int_equal(s_parse_ok("2016-12-31T23:59:60Z"), 1483228800000LL);
    assert_int_equal(s_parse_ok("2016-12-31T23:59:60.5Z"), 1483228800500LL);
    assert_int_equal(s_parse_ok("2017-01-01T08:59:60+09:00"), 1483228800000LL);
    s_parse_refused("2016-12-31T23:59:61Z");
}

static void test_parse_rejects_out_of_range_fields(void **state)
{
    (void)state;
    s_parse_refused("2026-13-01T00:00:00Z");
    s_parse_refused("2026-00-01T00:00:00Z");
    s_parse_refused("2026-01-00T00:00:00Z");
    s_parse_refused("2026-01-32T00:00:00Z");
    s_parse_refused("2026-04-31T00:00:00Z");
    s_parse_refused("2026-02-30T00:00:00Z");
    s_parse_refused("2026-11-24T24:00:00Z");
    s_parse_refused("2026-11-24T21:60:00Z");
    s_parse_refused("2026-11-24T21:05:99Z");
    s_parse_refused("2026-11-24T21:05:00+24:00");
    s_parse_refused("2026-11-24T21:05:00+09:60");
}

static void test_parse_february_29(void **state)
{
    (void)state;
    /* Leap years: divisible by 4, except centuries not divisible by 400. */
    assert_int_equal(s_parse_ok("2000-02-29T00:00:00Z"), 951782400000LL);
    assert_int_equal(s_parse_ok("2024-02-29T12:00:00Z"), 1709208000000LL);
    s_parse_refused("2026-02-29T00:00:00Z");
    s_parse_refused("1900-02-29T00:00:00Z");
    s_parse_refused("2100-02-29T00:00:00Z");
    s_parse_refused("2024-02-30T00:00:00Z");
    /* The day after 28 February is 1 March in a common year. */
    assert_int_equal(s_parse_ok("2026-03-01T00:00:00Z") - s_parse_ok("2026-02-28T00:00:00Z"),
                     DAY_MS);
    assert_int_equal(s_parse_ok("2024-03-01T00:00:00Z") - s_parse_ok("2024-02-28T00:00:00Z"),
                     2 * DAY_MS);
}

static void test_parse_rejects_wrong_lengths(void **state)
{
    (void)state;
    s_parse_refused("26-11-24T21:05:00Z");
    s_parse_refused("02026-11-24T21:05:00Z");
    s_parse_refused("2026-1-24T21:05:00Z");
    s_parse_refused("2026-11-4T21:05:00Z");
    s_parse_refused("2026-11-24T1:05:00Z");
    s_parse_refused("2026-11-24T21:5:00Z");
    s_parse_refused("2026-11-24T21:05:0Z");
    s_parse_refused("2026-11-24T21:05Z");
    s_parse_refused("2026-11-24T21:05:00+9:00");
    s_parse_refused("2026-11-24T21:05:00+09");
    s_parse_refused("2026-11-24T21:05:00+0900");
    s_parse_refused("2026-11-24T21:05:00+09:0");
}

static void test_parse_rejects_malformed(void **state)
{
    (void)state;
    s_parse_refused("");
    s_parse_refused("2026-11-24");
    s_parse_refused("2026-11-24T");
    s_parse_refused("2026-11-24T21:05:00");
    s_parse_refused("2026-11-24X21:05:00Z");
    s_parse_refused("2026/11/24T21:05:00Z");
    s_parse_refused("2026-11-24T21-05-00Z");
    s_parse_refused(" 2026-11-24T21:05:00Z");
    s_parse_refused("-026-11-24T21:05:00Z");
    s_parse_refused("2026-11-24T21:05:00 Z");
    s_parse_refused("2026-11-24T21:05:00UTC");
    s_parse_refused("2026-1a-24T21:05:00Z");
    s_parse_refused("now");
}

static void test_parse_rejects_trailing_garbage(void **state)
{
    (void)state;
    s_parse_refused("2026-11-24T21:05:00Zx");
    s_parse_refused("2026-11-24T21:05:00ZZ");
    s_parse_refused("2026-11-24T21:05:00Z ");
    s_parse_refused("2026-11-24T21:05:00Z\n");
    s_parse_refused("2026-11-24T21:05:00+09:00x");
    s_parse_refused("2026-11-24T21:05:00+09:00Z");
    s_parse_refused("2026-11-24T21:05:00.5Zabc");
}

/* --- dates ------------------------------------------------------------ */

static void test_date_parse(void **state)
{
    (void)state;
    int64_t at = -1;
    assert_true(bo_date_parse("1970-01-01", &at));
    assert_int_equal(at, 0);
    assert_true(bo_date_parse("2026-11-24", &at));
    assert_int_equal(at, T0 - (21 * 3600 + 5 * 60) * SECOND_MS);
    assert_true(bo_date_parse("2000-02-29", &at));
    assert_int_equal(at, 951782400000LL);
    assert_true(bo_date_parse("1969-12-31", &at));
    assert_int_equal(at, -DAY_MS);
    assert_true(bo_date_parse("0001-01-01", &at));
    assert_int_equal(at, -62135596800000LL);
    assert_true(bo_date_parse("2026-12-31", &at));
    int64_t next = 0;
    assert_true(bo_date_parse("2027-01-01", &next));
    assert_int_equal(next - at, DAY_MS);
}

static void test_date_parse_rejects(void **state)
{
    (void)state;
    s_date_refused("");
    s_date_refused("2026-13-01");
    s_date_refused("2026-00-10");
    s_date_refused("2026-02-29");
    s_date_refused("2026-02-30");
    s_date_refused("1900-02-29");
    s_date_refused("2026-11-31");
    s_date_refused("2026-11-24T21:05:00Z");
    s_date_refused("2026-11-24 ");
    s_date_refused("2026-11-2");
    s_date_refused("26-11-24");
    s_date_refused("2026/11/24");
    s_date_refused("20261124");
}

/* --- rounding up ------------------------------------------------------ */

static void test_ceil_second(void **state)
{
    (void)state;
    assert_int_equal(bo_ceil_second(0), 0);
    assert_int_equal(bo_ceil_second(T0), T0);
    assert_int_equal(bo_ceil_second(T0 + 1), T0 + SECOND_MS);
    assert_int_equal(bo_ceil_second(T0 + 999), T0 + SECOND_MS);
    assert_int_equal(bo_ceil_second(T0 + 1000), T0 + SECOND_MS);
    assert_int_equal(bo_ceil_second(T0 - 1), T0);
    assert_int_equal(bo_ceil_second(1), 1000);
}

static void test_ceil_second_negative(void **state)
{
    (void)state;
    assert_int_equal(bo_ceil_second(-1), 0);
    assert_int_equal(bo_ceil_second(-999), 0);
    assert_int_equal(bo_ceil_second(-1000), -1000);
    assert_int_equal(bo_ceil_second(-1001), -1000);
    assert_int_equal(bo_ceil_second(-1999), -1000);
    assert_int_equal(bo_ceil_second(-2000), -2000);
}

static void test_ceil_second_never_formats_earlier(void **state)
{
    (void)state;
    /* The promise in bo_time.h: the text of a ceiled time, parsed back, is
       never before the true time. */
    static const int64_t times[] = {T0, T0 + 1, T0 + 999, -1, -1001, 1, 123456789};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char buf[BO_TIME_TEXT_MAX];
        int64_t back = s_parse_ok(bo_time_format(bo_ceil_second(times[i]), buf));
        assert_true(back >= times[i]);
        assert_true(back - times[i] < SECOND_MS);
    }
}

/* --- round trips ------------------------------------------------------ */

static void test_round_trip(void **state)
{
    (void)state;
    static const int64_t times[] = {
        0,
        T0,
        -1000,
        1483228799000LL,
        951782400000LL,
        -DAY_MS,
        86399000LL,
        253402300799000LL,
        4102444800000LL,
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char buf[BO_TIME_TEXT_MAX];
        assert_int_equal(s_parse_ok(bo_time_format(times[i], buf)), times[i]);
    }
    /* With milliseconds, the round trip lands on the second's start. */
    static const int64_t with_ms[] = {T0 + 1, T0 + 999, -1, -999, -1001, 1};
    for (size_t i = 0; i < sizeof with_ms / sizeof with_ms[0]; i++) {
        char buf[BO_TIME_TEXT_MAX];
        int64_t back = s_parse_ok(bo_time_format(with_ms[i], buf));
        assert_true(back <= with_ms[i]);
        assert_true(with_ms[i] - back < SECOND_MS);
        assert_int_equal(back % SECOND_MS, 0);
    }
    /* Text to time to text, offsets normalised to Z. */
    char buf[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(s_parse_ok("2026-11-25T06:05:00+09:00"), buf),
                        "2026-11-24T21:05:00Z");
    assert_string_equal(bo_time_format(s_parse_ok("2026-11-24t21:05:00.999z"), buf),
                        "2026-11-24T21:05:00Z");
}

static void test_round_trip_every_day_of_a_leap_year(void **state)
{
    (void)state;
    int64_t day;
    assert_true(bo_date_parse("2024-01-01", &day));
    for (int i = 0; i < 366; i++, day += DAY_MS) {
        char text[BO_TIME_TEXT_MAX];
        bo_time_format(day + 12 * 3600 * SECOND_MS, text);
        assert_int_equal(s_parse_ok(text), day + 12 * 3600 * SECOND_MS);
        /* The date part alone parses to the same midnight. */
        text[10] = '\0';
        int64_t midnight = 0;
        assert_true(bo_date_parse(text, &midnight));
        assert_int_equal(midnight, day);
    }
    char text[BO_TIME_TEXT_MAX];
    assert_string_equal(bo_time_format(day, text), "2025-01-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_epoch),
        cmocka_unit_test(test_format_returns_buf),
        cmocka_unit_test(test_format_known_dates),
        cmocka_unit_test(test_format_pads_years_to_four_digits),
        cmocka_unit_test(test_format_negative_times),
        cmocka_unit_test(test_format_truncates_milliseconds),
        cmocka_unit_test(test_now_is_plausible),
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_lowercase_and_space),
        cmocka_unit_test(test_parse_negative_times),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fractional_seconds),
        cmocka_unit_test(test_parse_leap_second),
        cmocka_unit_test(test_parse_rejects_out_of_range_fields),
        cmocka_unit_test(test_parse_february_29),
        cmocka_unit_test(test_parse_rejects_wrong_lengths),
        cmocka_unit_test(test_parse_rejects_malformed),
        cmocka_unit_test(test_parse_rejects_trailing_garbage),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_date_parse_rejects),
        cmocka_unit_test(test_ceil_second),
        cmocka_unit_test(test_ceil_second_negative),
        cmocka_unit_test(test_ceil_second_never_formats_earlier),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_every_day_of_a_leap_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
