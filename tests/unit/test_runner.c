/*  test_runner: batches handed to the store's thread come back answered,
    in order, as one transaction; the loop may borrow an idle store; a stop
    answers what was queued. */
#include "fixture.h"

#include <poll.h>

#include "dispatch.h"
#include "runner.h"

#define WORKS 3

typedef struct {
    store_t *store;
    store_policy_t policy;
    dispatch_t *dispatch;
    runner_t *runner;
    runner_work_t works[WORKS];
    char *replies[WORKS][2];
} runner_fixture_t;

static int s_setup(void **state)
{
    runner_fixture_t *fixture = calloc(1, sizeof *fixture);
    fixture->store = fixture_store();
    fixture->policy = fixture_policy();
    fixture->dispatch = dispatch_new(fixture->store, &fixture->policy);
    fixture->runner = runner_new(fixture->dispatch, fixture->store, &fixture->policy, true);
    assert_non_null(fixture->runner);
    *state = fixture;
    return 0;
}

static int s_teardown(void **state)
{
    runner_fixture_t *fixture = *state;
    runner_destroy(&fixture->runner);
    assert_null(fixture->runner);
    for (int i = 0; i < WORKS; i++) {
        dispatch_requests_destroy(&fixture->works[i].group.requests);
        for (int j = 0; j < 2; j++)
            free(fixture->replies[i][j]);
    }
    dispatch_destroy(&fixture->dispatch);
    fixture_assert_invariants(fixture->store);
    store_destroy(&fixture->store);
    free(fixture);
    return 0;
}

/* Work `index`: two user.create requests, named after it. */
static runner_work_t *s_work(runner_fixture_t *fixture, int index)
{
    char texts[2][128];
    dispatch_frame_t frames[2];
    for (int j = 0; j < 2; j++) {
        snprintf(texts[j], sizeof texts[j],
                 "{\"op\":\"user.create\",\"name\":\"w%d-%d\",\"request_id\":\"r%d-%d\"}", index, j,
                 index, j);
        frames[j] = (dispatch_frame_t){texts[j], strlen(texts[j])};
    }
    runner_work_t *work = &fixture->works[index];
    work->group = (dispatch_group_t){
        .requests = dispatch_decode(frames, 2), .count = 2, .replies = fixture->replies[index]};
    assert_true(dispatch_requests_write(work->group.requests));
    return work;
}

/* The user_id of a user.create reply, or 0 if it is no success. */
static int64_t s_user_id(const char *reply)
{
    assert_non_null(reply);
    const char *at = strstr(reply, "\"user_id\":");
    if (!strstr(reply, "\"ok\":true") || !at)
        return 0;
    return strtoll(at + strlen("\"user_id\":"), NULL, 10);
}

/* Waits (poll on runner_fd) until `expected` works are done; returns them
   in the order they came. */
static size_t s_collect(runner_t *runner, runner_work_t **out, size_t expected)
{
    size_t got = 0;
    for (int waits = 0; got < expected && waits < 100; waits++) {
        struct pollfd watch = {.fd = runner_fd(runner), .events = POLLIN};
        if (poll(&watch, 1, 100) <= 0)
            continue;
        for (runner_work_t *work = runner_take_done(runner); work; work = work->next)
            out[got++] = work;
    }
    return got;
}

static void test_work_comes_back_answered_in_order(void **state)
{
    runner_fixture_t *fixture = *state;
    for (int i = 0; i < WORKS; i++)
        runner_submit(fixture->runner, s_work(fixture, i));
    runner_work_t *done[WORKS] = {0};
    assert_int_equal(s_collect(fixture->runner, done, WORKS), WORKS);
    /* Run in the order handed over: the users' ids follow it. */
    int64_t first = s_user_id(fixture->replies[0][0]);
    assert_true(first > 0);
    for (int i = 0; i < WORKS; i++) {
        assert_ptr_equal(done[i], &fixture->works[i]);
        for (int j = 0; j < 2; j++)
            assert_int_equal(s_user_id(fixture->replies[i][j]), first + 2 * i + j);
    }
    /* Committed: the next user comes after them (the store borrowed, as
       the loop would). */
    assert_true(runner_claim(fixture->runner));
    int64_t user_id = 0;
    assert_int_equal(store_user_create(fixture->store, "after", T0, &user_id), BO_OK);
    assert_int_equal(user_id, first + 2 * WORKS);
    runner_release(fixture->runner);
    loop_stats_t stats = {0};
    runner_take_stats(fixture->runner, &stats);
    assert_int_equal(stats.requests, 6);
    assert_true(stats.batches >= 1 && stats.batches <= WORKS);
}

static void test_an_idle_store_can_be_borrowed_and_not_twice(void **state)
{
    runner_fixture_t *fixture = *state;
    assert_true(runner_claim(fixture->runner));
    assert_false(runner_claim(fixture->runner));
    /* Work handed over meanwhile waits for the store to come back. */
    runner_submit(fixture->runner, s_work(fixture, 0));
    runner_release(fixture->runner);
    runner_work_t *done[1] = {0};
    assert_int_equal(s_collect(fixture->runner, done, 1), 1);
    assert_non_null(fixture->replies[0][1]);
    /* Not while finished work waits to be taken: its replies go first. */
    runner_submit(fixture->runner, s_work(fixture, 1));
    runner_wait_done(fixture->runner);
    assert_false(runner_claim(fixture->runner));
    assert_non_null(runner_take_done(fixture->runner));
    /* Running a batch here is the same borrowing: refused while the store
       is lent, done (and answered) once it is back. */
    runner_work_t *here = s_work(fixture, 2);
    assert_true(runner_claim(fixture->runner));
    assert_false(runner_run_here(fixture->runner, here));
    assert_null(fixture->replies[2][0]);
    runner_release(fixture->runner);
    assert_true(runner_run_here(fixture->runner, here));
    assert_true(s_user_id(fixture->replies[2][1]) > 0);
    loop_stats_t stats = {0};
    runner_take_stats(fixture->runner, &stats);
    assert_int_equal(stats.requests, 6);
}

static void test_a_stop_answers_what_was_queued(void **state)
{
    runner_fixture_t *fixture = *state;
    /* Held by a claimer, the runner cannot start on the work: the stop
       must wait for the store and then run it. */
    assert_true(runner_claim(fixture->runner));
    for (int i = 0; i < WORKS; i++)
        runner_submit(fixture->runner, s_work(fixture, i));
    runner_release(fixture->runner);
    runner_stop(fixture->runner);
    size_t got = 0;
    for (runner_work_t *work = runner_take_done(fixture->runner); work; work = work->next)
        got++;
    assert_int_equal(got, WORKS);
    for (int i = 0; i < WORKS; i++)
        assert_non_null(fixture->replies[i][0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_work_comes_back_answered_in_order, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_an_idle_store_can_be_borrowed_and_not_twice, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_stop_answers_what_was_queued, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
