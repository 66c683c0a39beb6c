/*  test_dispatch: requests as JSON text through the dispatcher: the shared
    checks and their order, each handler's replies, idempotent retries and
    the isolation of requests within one batch. */
#include "fixture.h"

#include <jansson.h>
#include <sqlite3.h>

#include "codec.h"
#include "dispatch.h"
#include "ops.h"

typedef struct {
    store_t *store;
    store_policy_t policy;
    dispatch_t *dispatch;
    char *last_text; /* the raw text of the last reply */
    json_t *last;
    char path[FIXTURE_PATH_MAX]; /* the database file, for stores not in memory */
} dispatch_fixture_t;

static int s_setup(void **state)
{
    dispatch_fixture_t *fixture = calloc(1, sizeof *fixture);
    fixture->store = fixture_store();
    fixture->policy = fixture_policy();
    fixture->dispatch = dispatch_new(fixture->store, &fixture->policy);
    assert_non_null(fixture->dispatch);
    *state = fixture;
    return 0;
}

static int s_teardown(void **state)
{
    dispatch_fixture_t *fixture = *state;
    free(fixture->last_text);
    json_decref(fixture->last);
    dispatch_destroy(&fixture->dispatch);
    assert_null(fixture->dispatch);
    fixture_assert_invariants(fixture->store);
    store_destroy(&fixture->store);
    free(fixture);
    return 0;
}

/* Sends one request (printf-style JSON) at `now`; returns the parsed reply,
   owned by the fixture until the next call. */
static json_t *s_call_at(dispatch_fixture_t *fixture, int64_t now, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *s_call_at(dispatch_fixture_t *fixture, int64_t now, const char *format, ...)
{
    char text[4096];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    dispatch_frame_t frame = {text, strlen(text)};
    free(fixture->last_text);
    json_decref(fixture->last);
    assert_int_equal(dispatch_batch(fixture->dispatch, &frame, 1, now, &fixture->last_text), BO_OK);
    fixture->last = json_loads(fixture->last_text, 0, NULL);
    assert_non_null(fixture->last);
    return fixture->last;
}

#define s_call(fixture, ...) s_call_at(fixture, T0, __VA_ARGS__)

static void s_assert_ok(const json_t *reply)
{
    if (!json_is_true(json_object_get(reply, "ok"))) {
        char *text = json_dumps(reply, 0);
        fail_msg("expected ok, got %s", text);
    }
}

static void s_assert_error(const json_t *reply, const char *code)
{
    const char *error = json_string_value(json_object_get(reply, "error"));
    if (!json_is_false(json_object_get(reply, "ok")) || !error || strcmp(error, code) != 0) {
        char *text = json_dumps(reply, 0);
        fail_msg("expected %s, got %s", code, text);
    }
    const char *message = json_string_value(json_object_get(reply, "message"));
    assert_non_null(message);
    assert_true(strlen(message) > 0);
}

static int64_t s_int(const json_t *reply, const char *key)
{
    json_t *value = json_object_get(reply, key);
    assert_true(json_is_integer(value));
    return json_integer_value(value);
}

static const char *s_string(const json_t *reply, const char *key)
{
    const char *value = json_string_value(json_object_get(reply, key));
    assert_non_null(value);
    return value;
}

static int64_t s_new_user(dispatch_fixture_t *fixture)
{
    json_t *reply = s_call(fixture, "{\"op\":\"user.create\",\"name\":\"fan\"}");
    s_assert_ok(reply);
    return s_int(reply, "user_id");
}

/* An active token for the user, copied into `token`. */
static void s_enter(dispatch_fixture_t *fixture, int64_t user, char token[64])
{
    json_t *reply = s_call(fixture, "{\"op\":\"queue.enter\",\"user_id\":%lld}", (long long)user);
    s_assert_ok(reply);
    assert_string_equal(s_string(reply, "status"), "active");
    snprintf(token, 64, "%s", s_string(reply, "token"));
}

static void test_every_op_has_a_handler(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        assert_non_null(bo_op_entry((bo_op_t)op));
        assert_non_null(op_handler((bo_op_t)op));
    }
}

static void test_malformed_requests(void **state)
{
    dispatch_fixture_t *fixture = *state;
    s_assert_error(s_call(fixture, "not json"), "BAD_REQUEST");
    s_assert_error(s_call(fixture, "[1,2]"), "BAD_REQUEST");
    s_assert_error(s_call(fixture, "{\"op\":42}"), "BAD_REQUEST");
    s_assert_error(s_call(fixture, "{\"op\":\"no.such\"}"), "UNKNOWN_OP");
    s_assert_error(s_call(fixture, "{\"op\":\"point.charge\",\"user_id\":1,\"amount\":0.5}"),
                   "BAD_REQUEST");
    /* A field error comes before a missing user. */
    s_assert_error(s_call(fixture, "{\"op\":\"concert.list\",\"user_id\":99999}"), "BAD_REQUEST");
    s_assert_error(s_call(fixture, "{\"op\":\"user.create\",\"name\":\"\\u001b[2J\"}"),
                   "BAD_REQUEST");
    s_assert_error(s_call(fixture, "{\"op\":\"user.create\",\"name\":\"   \"}"), "BAD_REQUEST");
    /* A request_id is echoed even on errors. */
    json_t *reply = s_call(fixture, "{\"op\":\"nope\",\"request_id\":\"abc\"}");
    assert_string_equal(s_string(reply, "request_id"), "abc");
}

static void test_the_user_comes_before_the_token(void **state)
{
    dispatch_fixture_t *fixture = *state;
    s_assert_error(s_call(fixture, "{\"op\":\"concert.list\",\"user_id\":99999,\"token\":\"x\"}"),
                   "NOT_FOUND");
    s_assert_error(s_call(fixture, "{\"op\":\"concert.list\",\"user_id\":1,\"token\":\"x\"}"),
                   "TOKEN_INVALID");
    s_assert_error(s_call(fixture, "{\"op\":\"point.balance\",\"user_id\":99999}"), "NOT_FOUND");
}

static void test_the_whole_journey(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char token[64];
    s_enter(fixture, user, token);
    json_t *reply = s_call(fixture, "{\"op\":\"concert.list\",\"user_id\":%lld,\"token\":\"%s\"}",
                           (long long)user, token);
    s_assert_ok(reply);
    assert_true(json_array_size(json_object_get(reply, "concerts")) >= 3);
    reply = s_call(fixture,
                   "{\"op\":\"concert.dates\",\"user_id\":%lld,\"token\":\"%s\",\"concert_id\":1}",
                   (long long)user, token);
    s_assert_ok(reply);
    json_t *first = json_array_get(json_object_get(reply, "dates"), 0);
    bo_schedule_t schedule;
    assert_true(codec_parse_schedule(first, &schedule));
    int64_t schedule_id = schedule.schedule_id;
    assert_int_equal(schedule.left_tickets, 50);
    reply =
        s_call(fixture,
               "{\"op\":\"concert.seats\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%lld}",
               (long long)user, token, (long long)schedule_id);
    s_assert_ok(reply);
    assert_int_equal(json_array_size(json_object_get(reply, "free")), 50);
    assert_int_equal(json_array_size(json_object_get(reply, "seats")), 50);
    reply =
        s_call(fixture,
               "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%lld,"
               "\"seat_number\":12}",
               (long long)user, token, (long long)schedule_id);
    s_assert_ok(reply);
    bo_reservation_t hold;
    assert_true(codec_parse_hold(reply, &hold));
    assert_int_equal(hold.seat_number, 12);
    int64_t reservation = hold.reservation_id;
    reply =
        s_call(fixture,
               "{\"op\":\"payment.pay\",\"user_id\":%lld,\"token\":\"%s\",\"reservation_id\":%lld}",
               (long long)user, token, (long long)reservation);
    s_assert_error(reply, "INSUFFICIENT_POINTS");
    reply = s_call(fixture, "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":%lld}",
                   (long long)user, (long long)hold.price);
    s_assert_ok(reply);
    assert_int_equal(s_int(reply, "point"), hold.price);
    reply =
        s_call(fixture,
               "{\"op\":\"payment.pay\",\"user_id\":%lld,\"token\":\"%s\",\"reservation_id\":%lld}",
               (long long)user, token, (long long)reservation);
    s_assert_ok(reply);
    assert_string_equal(s_string(reply, "reservation_status"), "paid");
    assert_int_equal(s_int(reply, "point"), 0);
    reply = s_call(fixture, "{\"op\":\"reservation.list\",\"user_id\":%lld}", (long long)user);
    bo_reservation_t ticket;
    assert_true(codec_parse_reservation(json_array_get(json_object_get(reply, "reservations"), 0),
                                        &ticket));
    assert_int_equal(ticket.status, BO_RESERVATION_PAID);
    assert_int_equal(ticket.hold_expires_at, 0);
    assert_true(json_is_null(json_object_get(
        json_array_get(json_object_get(reply, "reservations"), 0), "hold_expires_at")));
    reply = s_call(fixture, "{\"op\":\"point.history\",\"user_id\":%lld}", (long long)user);
    json_t *entries = json_object_get(reply, "entries");
    assert_int_equal(json_array_size(entries), 2);
    bo_ledger_entry_t entry;
    assert_true(codec_parse_ledger_entry(json_array_get(entries, 0), &entry));
    assert_int_equal(entry.kind, BO_LEDGER_USE);
    assert_int_equal(entry.amount, -hold.price);
    /* The payment ended the token. */
    s_assert_error(s_call(fixture, "{\"op\":\"concert.list\",\"user_id\":%lld,\"token\":\"%s\"}",
                          (long long)user, token),
                   "TOKEN_EXPIRED");
    reply = s_call(fixture, "{\"op\":\"queue.status\",\"user_id\":%lld,\"token\":\"%s\"}",
                   (long long)user, token);
    s_assert_ok(reply);
    assert_string_equal(s_string(reply, "status"), "expired");
    /* An ended token shows no expiry still to come. */
    int64_t expires_at = 0;
    assert_true(codec_parse_time(reply, "expires_at", &expires_at));
    assert_true(expires_at > 0 && expires_at <= T0);
}

static void test_reserving_by_concert_and_date(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char token[64], show_time[BO_TIME_TEXT_MAX];
    s_enter(fixture, user, token);
    /* Show 1: day 14 after T0's day, 10:00 UTC. */
    bo_time_format((T0 / DAY_MS + 14) * DAY_MS, show_time);
    json_t *reply = s_call(fixture,
                           "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                           "\"concert_id\":1,\"concert_date\":\"%.10s\",\"seat_number\":3}",
                           (long long)user, token, show_time);
    s_assert_ok(reply);
    s_assert_error(s_call(fixture,
                          "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                          "\"concert_id\":1,\"schedule_id\":1,\"concert_date\":\"%.10s\","
                          "\"seat_number\":4}",
                          (long long)user, token, show_time),
                   "BAD_REQUEST");
    s_assert_error(s_call(fixture,
                          "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                          "\"concert_id\":1,\"seat_number\":4}",
                          (long long)user, token),
                   "BAD_REQUEST");
    s_assert_error(s_call(fixture,
                          "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                          "\"concert_id\":1,\"concert_date\":\"1999-01-01\",\"seat_number\":4}",
                          (long long)user, token),
                   "NOT_FOUND");
}

static void test_a_retry_gets_the_original_reply(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    const char *charge = "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":700,"
                         "\"request_id\":\"charge-1\"}";
    s_assert_ok(s_call(fixture, charge, (long long)user));
    char *original = strdup(fixture->last_text);
    s_assert_ok(s_call_at(fixture, T0 + 60000, charge, (long long)user));
    assert_string_equal(fixture->last_text, original);
    free(original);
    json_t *reply = s_call(fixture, "{\"op\":\"point.balance\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(s_int(reply, "point"), 700);
    /* The same request_id for something else is refused and not applied. */
    s_assert_error(s_call(fixture,
                          "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":900,"
                          "\"request_id\":\"charge-1\"}",
                          (long long)user),
                   "BAD_REQUEST");
    assert_non_null(strstr(s_string(fixture->last, "message"), "reused"));
    /* Another user's request_id space is their own. */
    int64_t other = s_new_user(fixture);
    s_assert_ok(s_call(fixture, charge, (long long)other));
    /* Ten minutes later the record is gone and the request runs again. */
    s_assert_ok(s_call_at(fixture, T0 + BO_IDEMPOTENCY_TTL_MS, charge, (long long)user));
    reply = s_call(fixture, "{\"op\":\"point.balance\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(s_int(reply, "point"), 1400);
}

static void test_a_malformed_request_is_not_remembered(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    s_assert_error(s_call(fixture,
                          "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":-5,"
                          "\"request_id\":\"fix-me\"}",
                          (long long)user),
                   "BAD_REQUEST");
    s_assert_ok(s_call(fixture,
                       "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":5,"
                       "\"request_id\":\"fix-me\"}",
                       (long long)user));
}

static void test_a_paid_retry_outlives_the_token(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char token[64];
    s_enter(fixture, user, token);
    s_assert_ok(s_call(fixture, "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":200000}",
                       (long long)user));
    json_t *reply = s_call(fixture,
                           "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                           "\"schedule_id\":1,\"seat_number\":9,\"request_id\":\"hold\"}",
                           (long long)user, token);
    s_assert_ok(reply);
    int64_t reservation = s_int(reply, "reservation_id");
    const char *pay = "{\"op\":\"payment.pay\",\"user_id\":%lld,\"token\":\"%s\","
                      "\"reservation_id\":%lld,\"request_id\":\"pay\"}";
    s_assert_ok(s_call(fixture, pay, (long long)user, token, (long long)reservation));
    char *original = strdup(fixture->last_text);
    /* The token ended with the payment, yet the retry gets its answer. */
    s_assert_ok(s_call(fixture, pay, (long long)user, token, (long long)reservation));
    assert_string_equal(fixture->last_text, original);
    free(original);
    reply = s_call(fixture, "{\"op\":\"point.history\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(json_array_size(json_object_get(reply, "entries")), 2);
}

/* The gate's answers are not the op's own: a write retried once the token
   is admitted really runs, and is not answered TOKEN_WAITING again. */
static void test_a_gate_refusal_is_not_remembered(void **state)
{
    dispatch_fixture_t *fixture = *state;
    char token[64];
    s_enter(fixture, s_new_user(fixture), token);
    s_enter(fixture, s_new_user(fixture), token);
    int64_t waiter = s_new_user(fixture);
    json_t *reply = s_call(fixture, "{\"op\":\"queue.enter\",\"user_id\":%lld}", (long long)waiter);
    assert_string_equal(s_string(reply, "status"), "wait");
    snprintf(token, sizeof token, "%s", s_string(reply, "token"));
    const char *reserve = "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                          "\"schedule_id\":1,\"seat_number\":20,\"request_id\":\"early\"}";
    s_assert_error(s_call(fixture, reserve, (long long)waiter, token), "TOKEN_WAITING");
    /* The next interval admits the waiter (max_active 3). */
    int64_t admitted = 0;
    assert_int_equal(store_begin(fixture->store), BO_OK);
    assert_int_equal(store_admit(fixture->store, T0 + 1000, &fixture->policy, &admitted), BO_OK);
    assert_int_equal(store_commit(fixture->store), BO_OK);
    assert_int_equal(admitted, 1);
    s_assert_ok(s_call_at(fixture, T0 + 1000, reserve, (long long)waiter, token));
    /* Its success, however, is remembered. */
    char *original = strdup(fixture->last_text);
    s_assert_ok(s_call_at(fixture, T0 + 2000, reserve, (long long)waiter, token));
    assert_string_equal(fixture->last_text, original);
    free(original);
}

static void test_user_create_retries_by_request_id(void **state)
{
    dispatch_fixture_t *fixture = *state;
    const char *create = "{\"op\":\"user.create\",\"name\":\"Minji\",\"request_id\":\"u-1\"}";
    int64_t first = s_int(s_call(fixture, "%s", create), "user_id");
    int64_t again = s_int(s_call(fixture, "%s", create), "user_id");
    assert_int_equal(first, again);
    s_assert_error(s_call(fixture, "{\"op\":\"user.create\",\"name\":\"Other\","
                                   "\"request_id\":\"u-1\"}"),
                   "BAD_REQUEST");
}

/* One bad request in a batch is undone alone; the rest commit together. */
static void test_a_batch_isolates_its_requests(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char requests[5][200];
    snprintf(requests[0], 200, "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":10}",
             (long long)user);
    snprintf(requests[1], 200, "{\"op\":\"point.charge\",\"user_id\":%lld}", (long long)user);
    snprintf(requests[2], 200, "{\"op\":\"point.charge\",\"user_id\":99999,\"amount\":10}");
    snprintf(requests[3], 200,
             "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":20,\"request_id\":\"x\"}",
             (long long)user);
    snprintf(requests[4], 200,
             "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":20,\"request_id\":\"x\"}",
             (long long)user);
    dispatch_frame_t frames[5];
    char *replies[5];
    for (int i = 0; i < 5; i++)
        frames[i] = (dispatch_frame_t){requests[i], strlen(requests[i])};
    assert_int_equal(dispatch_batch(fixture->dispatch, frames, 5, T0, replies), BO_OK);
    const char *expected[] = {"\"point\":10", "BAD_REQUEST", "NOT_FOUND", "\"point\":30",
                              "\"point\":30"};
    for (int i = 0; i < 5; i++) {
        if (!strstr(replies[i], expected[i]))
            fail_msg("reply %d: %s lacks %s", i, replies[i], expected[i]);
    }
    /* The retry inside the same batch replays, byte for byte. */
    assert_string_equal(replies[3], replies[4]);
    for (int i = 0; i < 5; i++)
        free(replies[i]);
    json_t *reply = s_call(fixture, "{\"op\":\"point.balance\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(s_int(reply, "point"), 30);
}

/* A store on a file, so that a second connection (another writer, as a
   second daemon or a tool would be) can work on the same database. */
static int s_setup_file(void **state)
{
    dispatch_fixture_t *fixture = calloc(1, sizeof *fixture);
    fixture_database_path(fixture->path);
    fixture->store = fixture_store_at(fixture->path);
    fixture->policy = fixture_policy();
    fixture->dispatch = dispatch_new(fixture->store, &fixture->policy);
    *state = fixture;
    return 0;
}

/* The database file of a fixture made by s_setup_file, opened anew. */
static sqlite3 *s_other_writer(dispatch_fixture_t *fixture)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fixture->path, &db), SQLITE_OK);
    return db;
}

/* Every attempt of the optimistic balance update finds the version changed
   (a trigger makes it a no-op, as a writer that always wins the race
   would): CONFLICT, nothing applied, and the reply is not kept, so the
   client's retry with the same request_id runs again and succeeds. */
static void test_charge_conflict_when_every_attempt_loses(void **state)
{
    dispatch_fixture_t *fixture = *state;
    sqlite3 *other = s_other_writer(fixture);
    int64_t user = s_new_user(fixture);
    char trigger[256];
    snprintf(trigger, sizeof trigger,
             "CREATE TRIGGER always_loses BEFORE UPDATE OF point ON users WHEN NEW.id = %lld"
             " BEGIN SELECT RAISE(IGNORE); END",
             (long long)user);
    assert_int_equal(sqlite3_exec(other, trigger, NULL, NULL, NULL), SQLITE_OK);
    const char *charge = "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":500,"
                         "\"request_id\":\"race-1\"}";
    s_assert_error(s_call(fixture, charge, (long long)user), "CONFLICT");
    json_t *reply = s_call(fixture, "{\"op\":\"point.history\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(json_array_size(json_object_get(reply, "entries")), 0);
    assert_int_equal(sqlite3_exec(other, "DROP TRIGGER always_loses", NULL, NULL, NULL), SQLITE_OK);
    reply = s_call(fixture, charge, (long long)user);
    s_assert_ok(reply);
    assert_int_equal(s_int(reply, "point"), 500);
    sqlite3_close(other);
    fixture_remove_database(fixture->path);
}

/* Another process holds the write lock past the busy timeout: every
   request of the batch is answered INTERNAL with its request_id, nothing is
   kept, and the same request succeeds once the lock is gone. Reads do not
   need the write lock and are answered all along. */
static void test_busy_database_answers_internal(void **state)
{
    dispatch_fixture_t *fixture = *state;
    sqlite3 *other = s_other_writer(fixture);
    int64_t user = s_new_user(fixture);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    const char *charge = "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":300,"
                         "\"request_id\":\"busy-1\"}";
    /* A batch of the write and a read: the read is answered all the same. */
    char text[256], read_text[128], *reply_texts[2] = {NULL, NULL};
    snprintf(text, sizeof text, charge, (long long)user);
    snprintf(read_text, sizeof read_text, "{\"op\":\"point.balance\",\"user_id\":%lld}",
             (long long)user);
    dispatch_frame_t frames[2] = {{text, strlen(text)}, {read_text, strlen(read_text)}};
    assert_int_equal(dispatch_batch(fixture->dispatch, frames, 2, T0, reply_texts), BO_INTERNAL);
    json_t *reply = json_loads(reply_texts[0], 0, NULL);
    s_assert_error(reply, "INTERNAL");
    assert_string_equal(s_string(reply, "request_id"), "busy-1");
    json_decref(reply);
    reply = json_loads(reply_texts[1], 0, NULL);
    s_assert_ok(reply);
    assert_int_equal(s_int(reply, "point"), 0);
    json_decref(reply);
    free(reply_texts[0]);
    free(reply_texts[1]);
    reply = s_call(fixture, "{\"op\":\"point.balance\",\"user_id\":%lld}", (long long)user);
    assert_int_equal(s_int(reply, "point"), 0);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    reply = s_call(fixture, charge, (long long)user);
    s_assert_ok(reply);
    assert_int_equal(s_int(reply, "point"), 300);
    sqlite3_close(other);
    fixture_remove_database(fixture->path);
}

/* The status of seat `number` in a concert.seats reply, and the reply's
   free list agreeing with it. */
static const char *s_seat_status(const json_t *reply, int64_t number)
{
    s_assert_ok(reply);
    json_t *seat = json_array_get(json_object_get(reply, "seats"), (size_t)(number - 1));
    assert_int_equal(s_int(seat, "number"), number);
    const char *status = s_string(seat, "status");
    bool listed_free = false;
    size_t i;
    json_t *free_number;
    json_array_foreach(json_object_get(reply, "free"), i, free_number) listed_free =
        listed_free || json_integer_value(free_number) == number;
    assert_int_equal(listed_free, strcmp(status, "free") == 0);
    return status;
}

static json_t *s_seats_at(dispatch_fixture_t *fixture, int64_t now, int64_t user, const char *token,
                          int64_t schedule_id)
{
    return s_call_at(
        fixture, now,
        "{\"op\":\"concert.seats\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%lld}",
        (long long)user, token, (long long)schedule_id);
}

/* left_tickets of `schedule_id` in the concert's dates, 0 if not listed. */
static int64_t s_left_at(dispatch_fixture_t *fixture, int64_t now, int64_t user, const char *token,
                         int64_t concert_id, int64_t schedule_id)
{
    json_t *reply = s_call_at(
        fixture, now,
        "{\"op\":\"concert.dates\",\"user_id\":%lld,\"token\":\"%s\",\"concert_id\":%lld}",
        (long long)user, token, (long long)concert_id);
    s_assert_ok(reply);
    size_t i;
    json_t *date;
    json_array_foreach(json_object_get(reply, "dates"), i,
                       date) if (s_int(date, "schedule_id") ==
                                 schedule_id) return s_int(date, "left_tickets");
    return 0;
}

/* Seats and dates are answered from the reply cache when asked again;
   every change shows in the next answer all the same: a hold, a payment,
   a hold lapsing with no write at all, and a hold undone by its own
   request's failure. */
static void test_catalog_answers_follow_every_change(void **state)
{
    dispatch_fixture_t *fixture = *state;
    fixture->policy.token_ttl_ms = DAY_MS;
    int64_t user = s_new_user(fixture);
    char token[64];
    s_enter(fixture, user, token);
    int64_t concert = 1, show = SHOW_OPEN;
    int64_t left = s_left_at(fixture, T0, user, token, concert, show);
    assert_true(left > 0);
    assert_string_equal(s_seat_status(s_seats_at(fixture, T0, user, token, show), 5), "free");
    char first[8192];
    snprintf(first, sizeof first, "%s", fixture->last_text);
    assert_string_equal(s_seat_status(s_seats_at(fixture, T0, user, token, show), 5), "free");
    assert_string_equal(fixture->last_text, first);
    assert_int_equal(s_left_at(fixture, T0, user, token, concert, show), left);

    json_t *reply = s_call(fixture,
                           "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                           "\"schedule_id\":%lld,\"seat_number\":5}",
                           (long long)user, token, (long long)show);
    s_assert_ok(reply);
    bo_reservation_t hold;
    assert_true(codec_parse_hold(reply, &hold));
    assert_string_equal(s_seat_status(s_seats_at(fixture, T0, user, token, show), 5), "held");
    assert_int_equal(s_left_at(fixture, T0, user, token, concert, show), left - 1);

    /* The hold lapses on the clock alone: no write tells the cache. */
    int64_t lapsed = hold.hold_expires_at;
    assert_string_equal(s_seat_status(s_seats_at(fixture, lapsed - 1, user, token, show), 5),
                        "held");
    assert_int_equal(s_left_at(fixture, lapsed - 1, user, token, concert, show), left - 1);
    assert_string_equal(s_seat_status(s_seats_at(fixture, lapsed, user, token, show), 5), "free");
    assert_int_equal(s_left_at(fixture, lapsed, user, token, concert, show), left);

    /* Another seat held and paid, after the first hold lapsed: sold. */
    reply = s_call_at(fixture, lapsed,
                      "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\","
                      "\"schedule_id\":%lld,\"seat_number\":6}",
                      (long long)user, token, (long long)show);
    assert_true(codec_parse_hold(reply, &hold));
    assert_string_equal(s_seat_status(s_seats_at(fixture, lapsed, user, token, show), 6), "held");
    s_assert_ok(s_call_at(fixture, lapsed,
                          "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":%lld}",
                          (long long)user, (long long)hold.price));
    s_assert_ok(s_call_at(
        fixture, lapsed,
        "{\"op\":\"payment.pay\",\"user_id\":%lld,\"token\":\"%s\",\"reservation_id\":%lld}",
        (long long)user, token, (long long)hold.reservation_id));
    /* Paying ended the token; a new one reads on. */
    json_t *entered =
        s_call_at(fixture, lapsed, "{\"op\":\"queue.enter\",\"user_id\":%lld}", (long long)user);
    s_assert_ok(entered);
    snprintf(token, sizeof token, "%s", s_string(entered, "token"));
    assert_string_equal(s_seat_status(s_seats_at(fixture, lapsed, user, token, show), 6), "sold");
    assert_string_equal(s_seat_status(s_seats_at(fixture, lapsed, user, token, show), 5), "free");
    assert_int_equal(s_left_at(fixture, lapsed, user, token, concert, show), left - 1);
}

/* A batch whose transaction is rolled back as a whole (here a trigger's
   RAISE(ROLLBACK) in its last request; in life a full disk or an I/O
   error) takes back a hold that an answer in the same batch was read
   under: that answer must not outlive it. */
static void test_a_rolled_back_batch_leaves_no_trace_in_answers(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char token[64];
    s_enter(fixture, user, token);
    assert_string_equal(s_seat_status(s_seats_at(fixture, T0, user, token, SHOW_OPEN), 7), "free");
    sqlite3 *other = s_other_writer(fixture);
    assert_int_equal(sqlite3_exec(other,
                                  "CREATE TRIGGER undo_all BEFORE UPDATE OF point ON users"
                                  " BEGIN SELECT RAISE(ROLLBACK, 'undo all'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    char requests[3][256];
    snprintf(requests[0], sizeof requests[0],
             "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%d,"
             "\"seat_number\":7}",
             (long long)user, token, SHOW_OPEN);
    snprintf(requests[1], sizeof requests[1],
             "{\"op\":\"concert.seats\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%d}",
             (long long)user, token, SHOW_OPEN);
    snprintf(requests[2], sizeof requests[2],
             "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":10}", (long long)user);
    dispatch_frame_t frames[3];
    char *replies[3];
    for (int i = 0; i < 3; i++)
        frames[i] = (dispatch_frame_t){requests[i], strlen(requests[i])};
    assert_int_equal(dispatch_batch(fixture->dispatch, frames, 3, T0, replies), BO_INTERNAL);
    for (int i = 0; i < 3; i++) {
        if (!strstr(replies[i], "INTERNAL"))
            fail_msg("reply %d: %s", i, replies[i]);
        free(replies[i]);
    }
    assert_string_equal(s_seat_status(s_seats_at(fixture, T0, user, token, SHOW_OPEN), 7), "free");
    assert_int_equal(sqlite3_exec(other, "DROP TRIGGER undo_all", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    fixture_remove_database(fixture->path);
}

/* Another process (a second daemon, an operator's tool) changes the
   catalog: the next answer shows it. */
static void test_another_writer_changes_the_answers(void **state)
{
    dispatch_fixture_t *fixture = *state;
    int64_t user = s_new_user(fixture);
    char token[64];
    s_enter(fixture, user, token);
    json_t *reply = s_seats_at(fixture, T0, user, token, SHOW_OPEN);
    int64_t price = s_int(json_array_get(json_object_get(reply, "seats"), 0), "price");
    const char *dates = "{\"op\":\"concert.dates\",\"user_id\":%lld,\"token\":\"%s\","
                        "\"concert_id\":1}";
    reply = s_call(fixture, dates, (long long)user, token);
    assert_string_not_equal(s_string(json_array_get(json_object_get(reply, "dates"), 0), "title"),
                            "Renamed");
    sqlite3 *other = s_other_writer(fixture);
    assert_int_equal(sqlite3_exec(other,
                                  "UPDATE seats SET price = price + 1 WHERE schedule_id = 1"
                                  " AND number = 1; UPDATE concerts SET title = 'Renamed'"
                                  " WHERE id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    reply = s_seats_at(fixture, T0, user, token, SHOW_OPEN);
    assert_int_equal(s_int(json_array_get(json_object_get(reply, "seats"), 0), "price"), price + 1);
    reply = s_call(fixture, dates, (long long)user, token);
    assert_string_equal(s_string(json_array_get(json_object_get(reply, "dates"), 0), "title"),
                        "Renamed");
    sqlite3_close(other);
    fixture_remove_database(fixture->path);
}

static void test_ping(void **state)
{
    dispatch_fixture_t *fixture = *state;
    json_t *reply = s_call(fixture, "{\"op\":\"server.ping\"}");
    s_assert_ok(reply);
    assert_string_equal(s_string(reply, "version"), BO_VERSION);
    assert_true(s_int(reply, "uptime_s") >= 0);
    assert_int_equal(s_int(reply, "waiting"), 0);
    assert_int_equal(s_int(reply, "active"), 0);
}

static void test_a_rejected_frame_still_gets_a_reply(void **state)
{
    (void)state;
    char *text = dispatch_reject("the request is empty");
    json_t *reply = json_loads(text, 0, NULL);
    s_assert_error(reply, "BAD_REQUEST");
    assert_string_equal(s_string(reply, "message"), "the request is empty");
    json_decref(reply);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_op_has_a_handler),
        cmocka_unit_test(test_a_rejected_frame_still_gets_a_reply),
        cmocka_unit_test_setup_teardown(test_malformed_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_user_comes_before_the_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_whole_journey, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reserving_by_concert_and_date, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_retry_gets_the_original_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_malformed_request_is_not_remembered, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_paid_retry_outlives_the_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_gate_refusal_is_not_remembered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_user_create_retries_by_request_id, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_isolates_its_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ping, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_catalog_answers_follow_every_change, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_rolled_back_batch_leaves_no_trace_in_answers,
                                        s_setup_file, s_teardown),
        cmocka_unit_test_setup_teardown(test_another_writer_changes_the_answers, s_setup_file,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_charge_conflict_when_every_attempt_loses, s_setup_file,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_busy_database_answers_internal, s_setup_file,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
