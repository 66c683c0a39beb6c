/*  test_reply_cache: what the cache of catalog answers hands back, and
    when it must not. */
#include "fixture.h"

#include "reply_cache.h"

static void test_an_answer_holds_for_its_version_and_time(void **state)
{
    (void)state;
    reply_cache_t *cache = reply_cache_new(16);
    assert_non_null(cache);
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 3, 1, T0));
    const char *kept = reply_cache_put(cache, BO_OP_CONCERT_SEATS, 3, 1, T0 + 10, "\"a\":1");
    assert_string_equal(kept, "\"a\":1");
    assert_ptr_equal(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 3, 1, T0), kept);
    assert_ptr_equal(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 3, 1, T0 + 9), kept);
    /* Its time has come, or the catalog moved on, or it is another question. */
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 3, 1, T0 + 10));
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 3, 2, T0));
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_DATES, 3, 1, T0));
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 4, 1, T0));
    reply_cache_destroy(&cache);
    assert_null(cache);
}

static void test_a_new_answer_replaces_the_old(void **state)
{
    (void)state;
    reply_cache_t *cache = reply_cache_new(4);
    /* The same question answered again, longer and then shorter. */
    reply_cache_put(cache, BO_OP_CONCERT_SEATS, 1, 1, INT64_MAX, "\"a\":1");
    reply_cache_put(cache, BO_OP_CONCERT_SEATS, 1, 2, INT64_MAX, "\"a\":[1,2,3,4,5,6,7,8]");
    assert_null(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 1, 1, T0));
    assert_string_equal(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 1, 2, T0),
                        "\"a\":[1,2,3,4,5,6,7,8]");
    reply_cache_put(cache, BO_OP_CONCERT_SEATS, 1, 3, INT64_MAX, "\"b\":2");
    assert_string_equal(reply_cache_get(cache, BO_OP_CONCERT_SEATS, 1, 3, T0), "\"b\":2");
    /* Many questions in few slots: each answer found is its own. */
    char text[32];
    for (int64_t id = 1; id <= 100; id++) {
        snprintf(text, sizeof text, "\"id\":%lld", (long long)id);
        reply_cache_put(cache, BO_OP_CONCERT_DATES, id, 7, INT64_MAX, text);
    }
    int found = 0;
    for (int64_t id = 1; id <= 100; id++) {
        const char *kept = reply_cache_get(cache, BO_OP_CONCERT_DATES, id, 7, T0);
        if (!kept)
            continue;
        found++;
        snprintf(text, sizeof text, "\"id\":%lld", (long long)id);
        assert_string_equal(kept, text);
    }
    assert_true(found >= 1 && found <= 4);
    reply_cache_destroy(&cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_answer_holds_for_its_version_and_time),
        cmocka_unit_test(test_a_new_answer_replaces_the_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
