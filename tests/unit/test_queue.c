/*  test_queue: the waiting line: tokens, admission budget, positions from
    counters and the departure tree, expiry and the token gate. */
#include "fixture.h"
#include "store_sqlite.h"

/* Tokens in tests are readable names; the daemon issues random ones. */
static bo_queue_state_t s_enter(fixture_t *fixture, int64_t user_id, int64_t now)
{
    char token[32];
    snprintf(token, sizeof token, "token-%lld-%lld", (long long)user_id, (long long)now);
    bo_queue_state_t state;
    assert_int_equal(
        store_queue_enter(fixture->store, user_id, token, now, &fixture->policy, &state), BO_OK);
    return state;
}

static bo_queue_state_t s_status(fixture_t *fixture, int64_t user_id, const char *token,
                                 int64_t now)
{
    bo_queue_state_t state;
    assert_int_equal(
        store_queue_status(fixture->store, user_id, token, now, &fixture->policy, &state), BO_OK);
    return state;
}

static void test_first_comers_are_admitted_within_the_budget(void **state)
{
    fixture_t *fixture = *state;
    int64_t users[4];
    bo_queue_state_t states[4];
    for (int i = 0; i < 4; i++) {
        users[i] = fixture_user(fixture->store, "fan", 0);
        states[i] = s_enter(fixture, users[i], T0 + i);
    }
    /* admit_batch 2: two at once, then a line. */
    assert_int_equal(states[0].status, BO_TOKEN_ACTIVE);
    assert_int_equal(states[0].position, 0);
    assert_int_equal(states[0].expires_at, T0 + fixture->policy.token_ttl_ms);
    assert_int_equal(states[1].status, BO_TOKEN_ACTIVE);
    assert_int_equal(states[2].status, BO_TOKEN_WAIT);
    assert_int_equal(states[2].position, 1);
    assert_int_equal(states[2].expires_at, 0);
    assert_int_equal(states[3].status, BO_TOKEN_WAIT);
    assert_int_equal(states[3].position, 2);
    assert_int_equal(states[3].waiting, 2);
    /* Both fit in the next admission wave of two. */
    assert_int_equal(states[3].eta_s, 1);
    int64_t waiting = 0, active = 0;
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    assert_int_equal(waiting, 2);
    assert_int_equal(active, 2);
}

static void test_entering_again_keeps_the_place(void **state)
{
    fixture_t *fixture = *state;
    int64_t users[3];
    for (int i = 0; i < 3; i++)
        users[i] = fixture_user(fixture->store, "fan", 0);
    bo_queue_state_t first = s_enter(fixture, users[0], T0);
    s_enter(fixture, users[1], T0);
    bo_queue_state_t waiter = s_enter(fixture, users[2], T0);
    assert_int_equal(waiter.position, 1);
    bo_queue_state_t again = s_enter(fixture, users[2], T0 + 500);
    assert_string_equal(again.token, waiter.token);
    assert_int_equal(again.position, 1);
    bo_queue_state_t active_again = s_enter(fixture, users[0], T0 + 500);
    assert_string_equal(active_again.token, first.token);
    assert_int_equal(active_again.status, BO_TOKEN_ACTIVE);
}

static void test_the_next_interval_admits_up_to_max_active(void **state)
{
    fixture_t *fixture = *state;
    bo_queue_state_t states[5];
    int64_t users[5];
    for (int i = 0; i < 5; i++) {
        users[i] = fixture_user(fixture->store, "fan", 0);
        states[i] = s_enter(fixture, users[i], T0);
    }
    int64_t admitted = -1;
    /* Same interval: the budget of two is spent. */
    assert_int_equal(store_admit(fixture->store, T0 + 999, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 0);
    /* Next interval: budget two, but max_active 3 leaves room for one. */
    assert_int_equal(store_admit(fixture->store, T0 + 1000, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 1);
    assert_int_equal(s_status(fixture, users[2], states[2].token, T0 + 1000).status,
                     BO_TOKEN_ACTIVE);
    bo_queue_state_t fourth = s_status(fixture, users[3], states[3].token, T0 + 1000);
    assert_int_equal(fourth.status, BO_TOKEN_WAIT);
    assert_int_equal(fourth.position, 1);
    assert_int_equal(s_status(fixture, users[4], states[4].token, T0 + 1000).position, 2);
    /* A payment ends a token: its slot goes to the next in line. */
    int64_t token_id = 0;
    assert_int_equal(
        store_token_gate(fixture->store, users[0], states[0].token, T0 + 1500, &token_id), BO_OK);
    assert_int_equal(store_token_end(fixture->store, users[0], token_id, T0 + 1500), BO_OK);
    assert_int_equal(store_admit(fixture->store, T0 + 2000, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 1);
    assert_int_equal(s_status(fixture, users[3], states[3].token, T0 + 2000).status,
                     BO_TOKEN_ACTIVE);
    assert_int_equal(s_status(fixture, users[4], states[4].token, T0 + 2000).position, 1);
}

static void test_expired_tokens_free_their_slots(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.max_active = 1;
    int64_t first = fixture_user(fixture->store, "a", 0),
            second = fixture_user(fixture->store, "b", 0);
    bo_queue_state_t a = s_enter(fixture, first, T0);
    bo_queue_state_t b = s_enter(fixture, second, T0);
    assert_int_equal(a.status, BO_TOKEN_ACTIVE);
    assert_int_equal(b.status, BO_TOKEN_WAIT);
    int64_t expires_at = a.expires_at, admitted = 0;
    /* Time is the truth: expired the instant expires_at passes. */
    assert_int_equal(s_status(fixture, first, a.token, expires_at - 1).status, BO_TOKEN_ACTIVE);
    assert_int_equal(s_status(fixture, first, a.token, expires_at).status, BO_TOKEN_EXPIRED_STATE);
    assert_int_equal(store_token_gate(fixture->store, first, a.token, expires_at, &(int64_t){0}),
                     BO_TOKEN_EXPIRED);
    assert_int_equal(store_admit(fixture->store, expires_at, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 1);
    assert_int_equal(s_status(fixture, second, b.token, expires_at).status, BO_TOKEN_ACTIVE);
    /* Entering again after expiry gives a new token at the back. */
    bo_queue_state_t again = s_enter(fixture, first, expires_at + 1);
    assert_string_not_equal(again.token, a.token);
    assert_int_equal(again.status, BO_TOKEN_WAIT);
    assert_int_equal(again.position, 1);
}

static void test_the_gate(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.admit_batch = 1;
    int64_t first = fixture_user(fixture->store, "a", 0),
            second = fixture_user(fixture->store, "b", 0);
    bo_queue_state_t a = s_enter(fixture, first, T0);
    bo_queue_state_t b = s_enter(fixture, second, T0);
    int64_t a_id = 0, refused_id = 0;
    assert_int_equal(store_token_gate(fixture->store, first, a.token, T0, &a_id), BO_OK);
    assert_true(a_id > 0);
    assert_int_equal(store_token_gate(fixture->store, second, b.token, T0, &refused_id),
                     BO_TOKEN_WAITING);
    assert_int_equal(store_token_gate(fixture->store, second, a.token, T0, &refused_id),
                     BO_TOKEN_INVALID);
    assert_int_equal(store_token_gate(fixture->store, first, "no-such-token", T0, &refused_id),
                     BO_TOKEN_INVALID);
    /* Only a token let through is named. */
    assert_int_equal(refused_id, 0);
    bo_queue_state_t ignored;
    assert_int_equal(
        store_queue_status(fixture->store, second, a.token, T0, &fixture->policy, &ignored),
        BO_TOKEN_INVALID);
    assert_int_equal(store_token_end(fixture->store, first, a_id, T0 + 1), BO_OK);
    assert_int_equal(store_token_gate(fixture->store, first, a.token, T0 + 1, &refused_id),
                     BO_TOKEN_EXPIRED);
    assert_int_equal(s_status(fixture, first, a.token, T0 + 1).status, BO_TOKEN_EXPIRED_STATE);
}

static int64_t s_active(fixture_t *fixture)
{
    int64_t waiting = -1, active = -1;
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    return active;
}

/* A payment ends its token in its user's row: every check sees the token
   ended at once, and the next pass of a job rewrites the token's row and
   returns its slot, once, however many ways the token also ended. */
static void test_a_payment_ends_its_token_at_once(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.max_active = 2;
    int64_t a = fixture_user(fixture->store, "a", 0), b = fixture_user(fixture->store, "b", 0),
            c = fixture_user(fixture->store, "c", 0);
    bo_queue_state_t ta = s_enter(fixture, a, T0), tb = s_enter(fixture, b, T0),
                     tc = s_enter(fixture, c, T0);
    assert_int_equal(ta.status, BO_TOKEN_ACTIVE);
    assert_int_equal(tb.status, BO_TOKEN_ACTIVE);
    assert_int_equal(tc.status, BO_TOKEN_WAIT);
    int64_t a_id = 0, b_id = 0, refused = 0;
    assert_int_equal(store_token_gate(fixture->store, a, ta.token, T0, &a_id), BO_OK);
    assert_int_equal(store_token_gate(fixture->store, b, tb.token, T0, &b_id), BO_OK);

    assert_int_equal(store_token_end(fixture->store, a, a_id, T0 + 100), BO_OK);
    assert_int_equal(store_token_gate(fixture->store, a, ta.token, T0 + 100, &refused),
                     BO_TOKEN_EXPIRED);
    bo_queue_state_t ended = s_status(fixture, a, ta.token, T0 + 100);
    assert_int_equal(ended.status, BO_TOKEN_EXPIRED_STATE);
    /* It expired when it ended, not at its old expiry. */
    assert_int_equal(ended.expires_at, T0 + 100);
    /* Its slot is still taken until a job's pass... */
    assert_int_equal(s_active(fixture), 2);
    fixture_assert_invariants_now(fixture->store);

    /* ...or until its user enters again, which ends the old row there and
       then; the new token waits behind c, as the budget is spent. */
    bo_queue_state_t again = s_enter(fixture, a, T0 + 150);
    assert_string_not_equal(again.token, ta.token);
    assert_int_equal(again.status, BO_TOKEN_WAIT);
    assert_int_equal(again.position, 2);
    assert_int_equal(s_active(fixture), 1);
    fixture_assert_invariants_now(fixture->store);

    /* b is paid for; the expire job's pass rewrites b's row. */
    assert_int_equal(store_token_end(fixture->store, b, b_id, T0 + 200), BO_OK);
    store_expire_report_t report;
    assert_int_equal(store_expire(fixture->store, T0 + 1000, &fixture->policy, &report), BO_OK);
    /* a's row was already ended by entering again: only b's changes, and
       each slot came back once. */
    assert_int_equal(report.tokens_paid, 1);
    assert_int_equal(report.tokens_expired, 0);
    assert_int_equal(s_active(fixture), 0);
    fixture_assert_invariants_now(fixture->store);
    bo_queue_state_t b_ended = s_status(fixture, b, tb.token, T0 + 1000);
    assert_int_equal(b_ended.status, BO_TOKEN_EXPIRED_STATE);
    assert_int_equal(b_ended.expires_at, T0 + 200);
    /* Nothing is left to apply. */
    assert_int_equal(store_expire(fixture->store, T0 + 1000, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.tokens_paid + report.tokens_expired, 0);

    /* Both slots go to the line at the next interval. */
    int64_t admitted = 0;
    assert_int_equal(store_admit(fixture->store, T0 + 1000, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 2);
    assert_int_equal(s_status(fixture, c, tc.token, T0 + 1000).status, BO_TOKEN_ACTIVE);
    assert_int_equal(s_status(fixture, a, again.token, T0 + 1000).status, BO_TOKEN_ACTIVE);
    fixture_assert_invariants_now(fixture->store);
}

/* A brute-force model of the line to check positions against. */
typedef struct {
    int64_t user_id;
    char token[BO_TOKEN_MAX + 1];
    bool present;
} waiter_t;

static void s_assert_positions(fixture_t *fixture, waiter_t *line, int count, int64_t now)
{
    int64_t expected = 0;
    for (int i = 0; i < count; i++) {
        if (!line[i].present)
            continue;
        expected++;
        bo_queue_state_t state = s_status(fixture, line[i].user_id, line[i].token, now);
        assert_int_equal(state.status, BO_TOKEN_WAIT);
        if (state.position != expected)
            fail_msg("waiter %d: position %lld, expected %lld", i, (long long)state.position,
                     (long long)expected);
    }
    int64_t waiting = 0, active = 0;
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    assert_int_equal(waiting, expected);
}

/* Keeps the waiters whose index passes `keep` polling at `poll_at`, lets
   the rest fall silent (they last asked two seconds before), and runs the
   expire job when they are overdue; returns when it ran. */
static int64_t s_drop_silent(fixture_t *fixture, waiter_t *line, int count, int64_t poll_at,
                             bool (*keep)(int index))
{
    int64_t dropped_expected = 0;
    for (int i = 0; i < count; i++) {
        if (!line[i].present)
            continue;
        if (keep(i))
            s_status(fixture, line[i].user_id, line[i].token, poll_at);
        else
            dropped_expected++;
    }
    store_expire_report_t report;
    int64_t expire_at = poll_at - 1000 + fixture_silence_limit(&fixture->policy);
    assert_int_equal(store_expire(fixture->store, expire_at, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.waiters_dropped, dropped_expected);
    for (int i = 0; i < count; i++)
        if (line[i].present && !keep(i))
            line[i].present = false;
    return expire_at;
}

static bool s_keep_odd(int index)
{
    return index % 2 == 1;
}

static bool s_keep_not_multiple_of_three(int index)
{
    return index % 3 != 0 || index > 60;
}

static bool s_keep_all(int index)
{
    (void)index;
    return true;
}

#define LINE_LENGTH 100

static void test_positions_stay_exact_as_waiters_leave(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.admit_batch = 1;
    fixture->policy.max_active = 1;
    /* The first comer is admitted and holds the only active slot for good. */
    s_enter(fixture, fixture_user(fixture->store, "first", 0), T0);
    fixture->policy.token_ttl_ms = 3600 * SECOND_MS;
    waiter_t *line = calloc(LINE_LENGTH, sizeof *line);
    for (int i = 0; i < LINE_LENGTH; i++) {
        line[i].user_id = fixture_user(fixture->store, "fan", 0);
        bo_queue_state_t entered = s_enter(fixture, line[i].user_id, T0);
        snprintf(line[i].token, sizeof line[i].token, "%s", entered.token);
        line[i].present = true;
        assert_int_equal(entered.position, i + 1);
    }
    /* Two rounds of departures from all over the line, the second nested
       among the first, then a round with none. */
    /* Each round: everyone is polled (checking positions), then only the
       kept waiters poll again two seconds later (a "still here" mark is
       written at most once a second), and the rest are overdue by the time
       the expire job runs. */
    int64_t now = T0;
    bool (*const rounds[])(int) = {s_keep_odd, s_keep_not_multiple_of_three, s_keep_all};
    for (size_t round = 0; round < sizeof rounds / sizeof rounds[0]; round++) {
        int64_t poll_at = now + 2000;
        now = s_drop_silent(fixture, line, LINE_LENGTH, poll_at, rounds[round]) + 1;
        s_assert_positions(fixture, line, LINE_LENGTH, now);
    }

    /* Admissions take the head; everyone behind moves up. */
    int64_t admitted = 0;
    fixture->policy.max_active = 3;
    assert_int_equal(store_admit(fixture->store, now, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(admitted, 1);
    for (int i = 0; i < LINE_LENGTH; i++) {
        if (line[i].present) {
            assert_int_equal(s_status(fixture, line[i].user_id, line[i].token, now).status,
                             BO_TOKEN_ACTIVE);
            line[i].present = false;
            break;
        }
    }
    s_assert_positions(fixture, line, LINE_LENGTH, now);
    free(line);
}

static void test_an_emptied_line_starts_afresh(void **state)
{
    fixture_t *fixture = *state;
    fixture->policy.admit_batch = 1;
    fixture->policy.token_ttl_ms = 60 * SECOND_MS; /* "first" keeps the only slot */
    fixture->policy.max_active = 1;
    s_enter(fixture, fixture_user(fixture->store, "first", 0), T0);
    int64_t a = fixture_user(fixture->store, "a", 0), b = fixture_user(fixture->store, "b", 0);
    bo_queue_state_t state_a = s_enter(fixture, a, T0);
    bo_queue_state_t state_b = s_enter(fixture, b, T0);
    assert_int_equal(state_b.position, 2);
    /* a falls silent and is dropped (silent since T0); b keeps asking. */
    int64_t limit = fixture_silence_limit(&fixture->policy);
    s_status(fixture, b, state_b.token, T0 + 4000);
    store_expire_report_t report;
    assert_int_equal(store_expire(fixture->store, T0 + limit - 1, &fixture->policy, &report),
                     BO_OK);
    assert_int_equal(report.waiters_dropped, 0);
    assert_int_equal(store_expire(fixture->store, T0 + limit, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.waiters_dropped, 1);
    assert_int_equal(s_status(fixture, a, state_a.token, T0 + limit).status,
                     BO_TOKEN_EXPIRED_STATE);
    assert_int_equal(s_status(fixture, b, state_b.token, T0 + limit).position, 1);
    /* b falls silent too (last asked at T0 + limit): the line is empty and
       forgets its departures. */
    assert_int_equal(store_expire(fixture->store, T0 + 2 * limit, &fixture->policy, &report),
                     BO_OK);
    assert_int_equal(report.waiters_dropped, 1);
    int64_t waiting = -1, active = -1;
    assert_int_equal(store_queue_counts(fixture->store, &waiting, &active), BO_OK);
    assert_int_equal(waiting, 0);
    bo_queue_state_t next = s_enter(fixture, a, T0 + 2 * limit + 1);
    assert_int_equal(next.position, 1);
    assert_int_equal(next.waiting, 1);
}

static void test_expire_reports_tokens_and_purges_old_rows(void **state)
{
    fixture_t *fixture = *state;
    int64_t user = fixture_user(fixture->store, "a", 0);
    bo_queue_state_t a = s_enter(fixture, user, T0);
    store_expire_report_t report;
    assert_int_equal(store_expire(fixture->store, a.expires_at, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.tokens_expired, 1);
    assert_int_equal(store_reply_save(fixture->store, user, "r", "{}", "{}", T0), BO_OK);
    /* A day later the expired token and the stored reply are gone. */
    assert_int_equal(
        store_expire(fixture->store, a.expires_at + DAY_MS + 1, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.rows_purged, 2);
    bo_queue_state_t ignored;
    assert_int_equal(store_queue_status(fixture->store, user, a.token, a.expires_at + DAY_MS + 1,
                                        &fixture->policy, &ignored),
                     BO_TOKEN_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_comers_are_admitted_within_the_budget,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_entering_again_keeps_the_place, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_next_interval_admits_up_to_max_active,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_expired_tokens_free_their_slots, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_gate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_payment_ends_its_token_at_once, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_positions_stay_exact_as_waiters_leave, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_an_emptied_line_starts_afresh, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_expire_reports_tokens_and_purges_old_rows,
                                        fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
