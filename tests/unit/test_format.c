/*  test_format: the client's numbers, times and charge validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "format.h"

static void test_points_are_grouped(void **state)
{
    (void)state;
    char buf[FORMAT_TEXT_MAX];
    assert_string_equal(format_points(0, buf), "0 P");
    assert_string_equal(format_points(999, buf), "999 P");
    assert_string_equal(format_points(1000, buf), "1,000 P");
    assert_string_equal(format_points(120000, buf), "120,000 P");
    assert_string_equal(format_points(-120000, buf), "-120,000 P");
    assert_string_equal(format_points(9007199254740991LL, buf), "9,007,199,254,740,991 P");
    assert_string_equal(format_points(INT64_MIN, buf), "-9,223,372,036,854,775,808 P");
}

static void test_eta_reads_like_speech(void **state)
{
    (void)state;
    char buf[FORMAT_TEXT_MAX];
    assert_string_equal(format_eta(0, buf), "less than a minute");
    assert_string_equal(format_eta(59, buf), "less than a minute");
    assert_string_equal(format_eta(60, buf), "about 1 min");
    assert_string_equal(format_eta(61, buf), "about 2 min");
    assert_string_equal(format_eta(120, buf), "about 2 min");
    assert_string_equal(format_eta(3600, buf), "about 1 h");
    assert_string_equal(format_eta(3900, buf), "about 1 h 5 min");
}

static void test_countdown_rounds_down(void **state)
{
    (void)state;
    char buf[FORMAT_TEXT_MAX];
    assert_string_equal(format_countdown(300000, 0, buf), "5:00");
    /* Never more than is left: 4.999 s shows as 0:04. */
    assert_string_equal(format_countdown(300000, 1, buf), "4:59");
    assert_string_equal(format_countdown(300000, 1000, buf), "4:59");
    assert_string_equal(format_countdown(5000, 1, buf), "0:04");
    assert_string_equal(format_countdown(1000, 1, buf), "0:00");
    assert_string_equal(format_countdown(1000, 1000, buf), "0:00");
    assert_string_equal(format_countdown(1000, 5000, buf), "0:00");
    assert_string_equal(format_countdown(3723000, 0, buf), "1:02:03");
}

static void test_seat_names(void **state)
{
    (void)state;
    char buf[FORMAT_TEXT_MAX];
    assert_string_equal(format_seat(1, buf), "A1");
    assert_string_equal(format_seat(4, buf), "A4");
    assert_string_equal(format_seat(10, buf), "A10");
    assert_string_equal(format_seat(13, buf), "B3");
    assert_string_equal(format_seat(50, buf), "E10");
    assert_string_equal(format_seat(51, buf), "no. 51");
}

static void test_local_times_follow_tz(void **state)
{
    (void)state;
    char buf[FORMAT_TEXT_MAX];
    /* POSIX TZ strings, so no time zone database is needed. */
    setenv("TZ", "UTC0", 1);
    tzset();
    /* 2026-12-09T10:00:00Z */
    assert_string_equal(format_show_time(1796810400000LL, buf), "Wed 09 Dec 10:00");
    assert_string_equal(format_local_time(1796810400000LL, buf), "2026-12-09 10:00");
    setenv("TZ", "KST-9", 1);
    tzset();
    assert_string_equal(format_local_time(1796810400000LL, buf), "2026-12-09 19:00");
    setenv("TZ", "UTC0", 1);
    tzset();
}

static void test_charge_amounts(void **state)
{
    (void)state;
    int64_t amount = 0;
    const char *why = NULL;
    assert_true(format_parse_charge("50000", &amount, &why));
    assert_int_equal(amount, 50000);
    assert_true(format_parse_charge("10,000,000", &amount, &why));
    assert_int_equal(amount, 10000000);
    assert_true(format_parse_charge("1", &amount, &why));
    assert_int_equal(amount, 1);
    static const char *const refused[] = {
        "", "0", "000", "-5", "1.5", "1e3", "10000001", "99999999999999999999999", "abc", ",,"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        why = NULL;
        amount = -1;
        if (format_parse_charge(refused[i], &amount, &why))
            fail_msg("'%s' was accepted as %lld", refused[i], (long long)amount);
        assert_non_null(why);
        assert_int_equal(amount, -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_are_grouped),    cmocka_unit_test(test_eta_reads_like_speech),
        cmocka_unit_test(test_countdown_rounds_down), cmocka_unit_test(test_seat_names),
        cmocka_unit_test(test_local_times_follow_tz), cmocka_unit_test(test_charge_amounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
