/*  test_text: UTF-8 measured in terminal cells. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static int s_utf8_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        fail_msg("the C.UTF-8 locale is missing");
    return 0;
}

static void test_width_counts_cells(void **state)
{
    (void)state;
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("봄날"), 4);
    assert_int_equal(text_width("봄날의 재즈 — Spring"), 11 + 1 + 1 + 1 + 6);
    assert_int_equal(text_width("〈합창〉"), 8);
    assert_int_equal(text_width("·×"), 2);
    /* A stray byte counts one cell rather than derailing the rest. */
    assert_int_equal(text_width("a\xffz"), 3);
}

static void test_fit_never_splits_a_wide_character(void **state)
{
    (void)state;
    char out[64];
    text_fit("봄날의 재즈", 5, false, out, sizeof out);
    /* Two wide characters (4 cells) and the ellipsis. */
    assert_string_equal(out, "봄날…");
    assert_int_equal(text_width(out), 3 * 1 + 2);
    text_fit("봄날의 재즈", 6, true, out, sizeof out);
    assert_int_equal(text_width(out), 6);
    text_fit("abc", 6, true, out, sizeof out);
    assert_string_equal(out, "abc   ");
    text_fit("abcdef", 6, true, out, sizeof out);
    assert_string_equal(out, "abcdef");
    text_fit("abcdefg", 6, false, out, sizeof out);
    assert_string_equal(out, "abcde…");
    text_fit("abc", 0, true, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_copy_and_edit_keep_characters_whole(void **state)
{
    (void)state;
    char out[5];
    text_copy(out, sizeof out, "a봄날");
    /* "a" (1 byte) + "봄" (3 bytes) fill 4 bytes; "날" would not fit. */
    assert_string_equal(out, "a봄");
    char name[8] = "";
    assert_true(text_append_code_point(name, sizeof name, 0xBD04)); /* 봄 */
    assert_true(text_append_code_point(name, sizeof name, 'x'));
    assert_string_equal(name, "봄x");
    assert_true(text_append_code_point(name, sizeof name, 0xB0A0));  /* 날 */
    assert_false(text_append_code_point(name, sizeof name, 0xC758)); /* no room */
    assert_false(text_append_code_point(name, sizeof name, 0xD800)); /* a surrogate */
    text_pop_char(name);
    assert_string_equal(name, "봄x");
    text_pop_char(name);
    text_pop_char(name);
    assert_string_equal(name, "");
    text_pop_char(name);
    assert_string_equal(name, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_counts_cells),
        cmocka_unit_test(test_fit_never_splits_a_wide_character),
        cmocka_unit_test(test_copy_and_edit_keep_characters_whole),
    };
    return cmocka_run_group_tests(tests, s_utf8_locale, NULL);
}
