/*  fixture: an in-memory store with the demo data, for the store, dispatch
    and scheduler tests. Everything runs at a chosen instant (T0 and
    offsets from it), never the real clock, so each test is repeatable. */
#ifndef BO_TEST_FIXTURE_H
#define BO_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bo_time.h"
#include "store.h"

/* 2026-11-24T21:05:00Z: the demo shows are laid out relative to it. */
#define T0        1795554300000LL
#define SECOND_MS 1000LL
#define DAY_MS    (86400LL * SECOND_MS)

/* Demo data (db/seed.sql): shows 1, 2, 3, 5, 8 are open at T0; 4 closed;
   6 sold out; 7 not open yet. Users 1..3 are demo users (1 has 500000
   points), 4 bought show 6. Seats 1-20 cost more than 21-50. */
enum {
    SHOW_OPEN = 1,
    SHOW_OPEN_TOO = 2,
    SHOW_CLOSED = 4,
    SHOW_SOLD_OUT = 6,
    SHOW_NOT_YET_OPEN = 7,
    USER_RICH = 1,
    USER_BROKE = 3,
};

static inline store_policy_t fixture_policy(void)
{
    return (store_policy_t){
        .admit_batch = 2,
        .admit_interval_ms = 1000,
        .max_active = 3,
        .token_ttl_ms = 10 * SECOND_MS,
        .abandon_after_ms = 5 * SECOND_MS,
        .hold_ttl_ms = 30 * SECOND_MS,
    };
}

/* How long a waiter may stay silent before the expire job drops them:
   abandon-after, plus the staleness a written "still here" mark may have
   (a quarter of abandon-after), plus a second for marks another daemon
   holds in memory. Silent exactly this long is dropped; a millisecond
   less is not. */
static inline int64_t fixture_silence_limit(const store_policy_t *policy)
{
    return policy->abandon_after_ms + policy->abandon_after_ms / 4 + SECOND_MS;
}

/* A name under /tmp for a database file that does not exist yet. */
#define FIXTURE_PATH_MAX 64
static inline void fixture_database_path(char path[FIXTURE_PATH_MAX])
{
    snprintf(path, FIXTURE_PATH_MAX, "/tmp/boxoffice-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

/* Removes a database file and its write-ahead log and shared memory. */
static inline void fixture_remove_database(const char *path)
{
    char name[FIXTURE_PATH_MAX + 8];
    unlink(path);
    snprintf(name, sizeof name, "%s-wal", path);
    unlink(name);
    snprintf(name, sizeof name, "%s-shm", path);
    unlink(name);
}

/* A fresh store at `path` (":memory:" for one in memory), seeded with the
   demo data at T0. */
static inline store_t *fixture_store_at(const char *path)
{
    store_options_t options = {.durable = false, .busy_timeout_ms = 100};
    char error[256];
    store_t *store = store_new(path, &options, error, sizeof error);
    if (!store)
        fail_msg("store_new: %s", error);
    bool loaded = false;
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_seed_demo(store, T0, &loaded), BO_OK);
    assert_int_equal(store_commit(store), BO_OK);
    assert_true(loaded);
    return store;
}

/* A fresh in-memory store, seeded with the demo data at T0. */
static inline store_t *fixture_store(void)
{
    return fixture_store_at(":memory:");
}

/* Checks every invariant inside the transaction already open. */
static inline void fixture_assert_invariants_now(store_t *store)
{
    char report[256];
    if (store_check_invariants(store, report, sizeof report) != BO_OK)
        fail_msg("%s", report);
}

/* Checks every invariant, in its own transaction. */
static inline void fixture_assert_invariants(store_t *store)
{
    assert_int_equal(store_begin(store), BO_OK);
    fixture_assert_invariants_now(store);
    store_rollback(store);
}

/* What each test gets: the store and the rules it runs under. */
typedef struct {
    store_t *store;
    store_policy_t policy;
} fixture_t;

static inline fixture_t *fixture_new(void)
{
    fixture_t *fixture = calloc(1, sizeof *fixture);
    assert_non_null(fixture);
    fixture->store = fixture_store();
    fixture->policy = fixture_policy();
    return fixture;
}

/* Setup for tests of store functions, which run inside a transaction. */
static inline int fixture_setup(void **state)
{
    fixture_t *fixture = fixture_new();
    assert_int_equal(store_begin(fixture->store), BO_OK);
    *state = fixture;
    return 0;
}

/* Setup for tests of code that opens its own transactions. */
static inline int fixture_setup_idle(void **state)
{
    *state = fixture_new();
    return 0;
}

/* Ends any open transaction, checks the invariants, closes the store. */
static inline int fixture_teardown(void **state)
{
    fixture_t *fixture = *state;
    if (store_in_transaction(fixture->store))
        assert_int_equal(store_commit(fixture->store), BO_OK);
    fixture_assert_invariants(fixture->store);
    store_destroy(&fixture->store);
    assert_null(fixture->store);
    free(fixture);
    return 0;
}

static inline int64_t fixture_user(store_t *store, const char *name, int64_t points)
{
    int64_t user_id = 0, balance = 0;
    assert_int_equal(store_user_create(store, name, T0, &user_id), BO_OK);
    if (points > 0)
        assert_int_equal(store_point_charge(store, user_id, points, T0, &balance), BO_OK);
    return user_id;
}

#endif
