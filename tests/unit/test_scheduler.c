/*  test_scheduler: the admit and expire jobs, each in its own transaction,
    run at chosen instants. */
#include "fixture.h"

#include "scheduler.h"

/* Store calls outside the jobs run in their own transaction, as the
   dispatcher's would. */
static bo_queue_state_t s_enter(fixture_t *fixture, int64_t user_id, int64_t now)
{
    char token[48];
    snprintf(token, sizeof token, "token-%lld", (long long)user_id);
    bo_queue_state_t state;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(
        store_queue_enter(fixture->store, user_id, token, now, &fixture->policy, &state), BO_OK);
    assert_int_equal(store_commit(fixture->store), BO_OK);
    return state;
}

static bo_queue_state_t s_status(fixture_t *fixture, int64_t user_id, int64_t now)
{
    char token[48];
    snprintf(token, sizeof token, "token-%lld", (long long)user_id);
    bo_queue_state_t state;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(
        store_queue_status(fixture->store, user_id, token, now, &fixture->policy, &state), BO_OK);
    assert_int_equal(store_commit(fixture->store), BO_OK);
    return state;
}

static int64_t s_new_user(fixture_t *fixture)
{
    assert_int_equal(store_begin(fixture->store), BO_OK);
    int64_t user_id = fixture_user(fixture->store, "fan", 0);
    assert_int_equal(store_commit(fixture->store), BO_OK);
    return user_id;
}

/* Each interval admits at most admit_batch, oldest first. */
static void test_admission_in_batches_oldest_first(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.max_active = 100;
    int64_t users[7];
    for (int i = 0; i < 7; i++) {
        users[i] = s_new_user(fixture);
        s_enter(fixture, users[i], T0 + i);
    }
    /* Two admitted on entering; the job in the same interval adds none. */
    assert_int_equal(scheduler_admit(fixture->store, &fixture->policy, T0 + 500), BO_OK);
    int expected_active = 2;
    for (int64_t interval = 1; interval <= 3; interval++) {
        int64_t now = T0 + interval * fixture->policy.admit_interval_ms;
        assert_int_equal(scheduler_admit(fixture->store, &fixture->policy, now), BO_OK);
        /* Twice in one interval changes nothing. */
        assert_int_equal(scheduler_admit(fixture->store, &fixture->policy, now + 10), BO_OK);
        expected_active = expected_active + 2 > 7 ? 7 : expected_active + 2;
        for (int i = 0; i < 7; i++) {
            bo_queue_state_t seen = s_status(fixture, users[i], now + 20);
            bo_token_status_t want = i < expected_active ? BO_TOKEN_ACTIVE : BO_TOKEN_WAIT;
            if (seen.status != want)
                fail_msg("interval %lld: user %d is %s", (long long)interval, i,
                         bo_token_status_name(seen.status));
            if (want == BO_TOKEN_WAIT)
                assert_int_equal(seen.position, i - expected_active + 1);
        }
    }
}

static void test_admission_never_passes_max_active(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.admit_batch = 100;
    fixture->policy.max_active = 3;
    for (int i = 0; i < 6; i++)
        s_enter(fixture, s_new_user(fixture), T0);
    for (int interval = 1; interval < 5; interval++)
        assert_int_equal(
            scheduler_admit(fixture->store, &fixture->policy, T0 + interval * SECOND_MS), BO_OK);
    int64_t waiting = 0, active = 0;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    store_rollback(fixture->store);
    assert_int_equal(active, 3);
    assert_int_equal(waiting, 3);
    /* When the first three expire, the next three come in. */
    int64_t after_expiry = T0 + fixture->policy.token_ttl_ms;
    assert_int_equal(scheduler_admit(fixture->store, &fixture->policy, after_expiry), BO_OK);
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    store_rollback(fixture->store);
    assert_int_equal(active, 3);
    assert_int_equal(waiting, 0);
}

static void s_ignore_hold(void *arg, const bo_reservation_t *hold)
{
    *(int64_t *)arg = hold->hold_expires_at;
}

static void s_count_free(void *arg, const bo_seat_t *seat)
{
    if (seat->status == BO_SEAT_FREE)
        (*(int *)arg)++;
}

/* Free seats of show 1 as stored, with no "now" to forgive lapsed holds. */
static int s_free_seats(fixture_t *fixture)
{
    int free_seats = 0;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(
        store_concert_seats(fixture->store, SHOW_OPEN, 0, s_count_free, &free_seats, &(int64_t){0}),
        BO_OK);
    store_rollback(fixture->store);
    return free_seats;
}

/* Replies come due as fast as writes arrive (16,000 a second under load):
   one pass of the expire job purges 8000 of them, not the 1000 of its
   other steps, so the table does not grow through a sustained rush. */
static void test_kept_replies_are_purged_as_fast_as_they_come(void **state)
{
    fixture_t *fixture = *state;
    enum { KEPT = 9000 };
    char request_id[32];
    assert_int_equal(store_begin(fixture->store), BO_OK);
    for (int i = 0; i < KEPT; i++) {
        snprintf(request_id, sizeof request_id, "r-%d", i);
        assert_int_equal(store_reply_save(fixture->store, 1, request_id, "f", "{}", T0), BO_OK);
    }
    assert_int_equal(store_commit(fixture->store), BO_OK);
    int64_t due = T0 + BO_IDEMPOTENCY_TTL_MS;
    store_expire_report_t report;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_expire(fixture->store, due, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.rows_purged, 8000);
    assert_int_equal(store_expire(fixture->store, due, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.rows_purged, KEPT - 8000);
    assert_int_equal(store_commit(fixture->store), BO_OK);
}

/* Replies are purged oldest first and never before their ten minutes: one
   still within them holds back those written after it, even one that is
   due (written while the clock was set back). */
static void test_kept_replies_are_purged_in_order_and_never_early(void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_reply_save(fixture->store, 1, "first", "f", "{}", T0), BO_OK);
    assert_int_equal(
        store_reply_save(fixture->store, 1, "later", "f", "{}", T0 + 5 * 60 * SECOND_MS), BO_OK);
    assert_int_equal(store_reply_save(fixture->store, 1, "set-back", "f", "{}", T0), BO_OK);
    store_expire_report_t report;
    int64_t first_due = T0 + BO_IDEMPOTENCY_TTL_MS;
    assert_int_equal(store_expire(fixture->store, first_due, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.rows_purged, 1);
    char *fingerprint = NULL, *reply = NULL;
    assert_int_equal(store_reply_find(fixture->store, 1, "first", T0, &fingerprint, &reply),
                     BO_NOT_FOUND);
    assert_int_equal(store_reply_find(fixture->store, 1, "later", first_due, &fingerprint, &reply),
                     BO_OK);
    free(fingerprint);
    free(reply);
    assert_int_equal(store_reply_find(fixture->store, 1, "set-back", T0, &fingerprint, &reply),
                     BO_OK);
    free(fingerprint);
    free(reply);
    assert_int_equal(
        store_expire(fixture->store, first_due + 5 * 60 * SECOND_MS, &fixture->policy, &report),
        BO_OK);
    assert_int_equal(report.rows_purged, 2);
    assert_int_equal(store_reply_find(fixture->store, 1, "set-back", T0, &fingerprint, &reply),
                     BO_NOT_FOUND);
    assert_int_equal(store_commit(fixture->store), BO_OK);
}

static void test_the_expire_job_cleans_up_after_the_clock(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.admit_batch = 1;
    int64_t admitted = s_new_user(fixture), silent = s_new_user(fixture),
            patient = s_new_user(fixture);
    bo_queue_state_t active = s_enter(fixture, admitted, T0);
    s_enter(fixture, silent, T0);
    s_enter(fixture, patient, T0);
    assert_int_equal(s_status(fixture, patient, T0).position, 2);

    int64_t hold_expires_at = 0;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_hold_seat(fixture->store, admitted, SHOW_OPEN, 50, T0, &fixture->policy,
                                     s_ignore_hold, &hold_expires_at),
                     BO_OK);
    assert_int_equal(store_commit(fixture->store), BO_OK);
    assert_int_equal(s_free_seats(fixture), 49);

    /* The patient waiter keeps asking; the silent one does not. */
    s_status(fixture, patient, T0 + 3000);
    assert_int_equal(scheduler_expire(fixture->store, &fixture->policy,
                                      T0 + fixture_silence_limit(&fixture->policy)),
                     BO_OK);
    int64_t after = T0 + fixture_silence_limit(&fixture->policy);
    assert_int_equal(s_status(fixture, silent, after).status, BO_TOKEN_EXPIRED_STATE);
    assert_int_equal(s_status(fixture, patient, after).position, 1);

    /* The token's time runs out: the job marks it and frees its slot. */
    assert_int_equal(scheduler_expire(fixture->store, &fixture->policy, active.expires_at), BO_OK);
    int64_t waiting = 0, active_count = 0;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active_count), BO_OK);
    store_rollback(fixture->store);
    assert_int_equal(active_count, 0);
    assert_int_equal(waiting, 1);

    /* The hold lapses: the job gives the seat back to the show. */
    assert_true(hold_expires_at > active.expires_at);
    assert_int_equal(scheduler_expire(fixture->store, &fixture->policy, hold_expires_at - 1),
                     BO_OK);
    assert_int_equal(s_free_seats(fixture), 49);
    assert_int_equal(scheduler_expire(fixture->store, &fixture->policy, hold_expires_at), BO_OK);
    assert_int_equal(s_free_seats(fixture), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admission_in_batches_oldest_first, fixture_setup_idle,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_admission_never_passes_max_active, fixture_setup_idle,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_expire_job_cleans_up_after_the_clock,
                                        fixture_setup_idle, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_kept_replies_are_purged_in_order_and_never_early,
                                        fixture_setup_idle, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_kept_replies_are_purged_as_fast_as_they_come,
                                        fixture_setup_idle, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
