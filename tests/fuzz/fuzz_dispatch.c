/*  fuzz_dispatch: a libFuzzer target over the request decoder and the
    dispatcher, with an in-memory store seeded with the demo data.

    An input is a sequence of request frames, one per line ('\n' ends a
    frame; a last line without one counts too; at most FRAMES_MAX frames, the
    last taking whatever is left, newlines and all). They run as one
    dispatch_batch, as a burst of requests drained from the socket would, so
    the fuzzer explores journeys: create a user, charge, enter the line,
    reserve, pay. Each frame is copied into a buffer of exactly its size, so
    AddressSanitizer sees a read past the end of one frame.

    The gated ops need a token, and the ones queue.enter issues are random.
    So at setup the three demo users are put in line with fixed tokens that
    are admitted at once: user 1 holds "token-1", user 2 "token-2", user 3
    "token-3" (see the seed corpus). Demo data: users 1..3 (1 has 500000
    points, 3 none), user 4 bought show 6; shows 1, 2, 3, 5, 8 are open, 4
    is closed, 6 sold out, 7 not open yet; seats are numbered 1..50.

    What counts as a finding (abort(), so libFuzzer saves the input):
      - a reply that is not a JSON object, or whose "ok" is not a boolean;
      - an error reply whose "error" is not a code of the status table, or
        without a non-empty "message";
      - a reply whose "request_id" is not the request's: a request that
        parses as an object with a valid request_id (a string of 1 to
        BO_REQUEST_ID_MAX bytes) gets it back, whatever else is wrong with
        it, and no other reply carries one;
      - an INTERNAL or CONFLICT reply: one thread on an in-memory database
        has no disk to fail and no concurrent writer to race, so either
        means a bug (a failed statement, a broken assumption);
      - a batch that does not commit;
      - a broken invariant (store_check_invariants) after the input;
      - anything the sanitizers report.

    Time. Every input runs at a fixed instant: T0 plus STEP_MS per input
    since the store was built, so a store lives RESET_EVERY * STEP_MS = 20 s
    of store time. The policy is scaled to that: holds (5 s) lapse, silent
    waiters (3 s) are dropped and new waiters are admitted every second,
    while the fixed tokens (30 s) stay usable unless a payment ends them.
    After each batch the expire and admit jobs run, as the daemon's
    scheduler would between batches.

    Resetting. The store is rebuilt every RESET_EVERY inputs (about 10 ms
    each time, against about 1 ms for an input). It keeps the database small
    (every input adds rows: users, ledger entries, stored replies), so speed
    does not decay over a long run, and it brings back the fixed tokens and
    the free seats that earlier inputs used up; a payment ends its token, so
    without resets the gated ops would soon all answer TOKEN_EXPIRED.
    Between resets the state carries over from input to input, which lets
    the fuzzer reach states no single 16-frame input would (a full hold
    limit, lapsed holds, a waiting line), at the price of inputs whose
    outcome depends on what ran before. To reproduce a crash from its input
    alone, run with BO_FUZZ_RESET_EVERY=1 (a fresh store for every input;
    about 90 inputs/s).

    BO_FUZZ_VERBOSE=1 prints every request and its reply (cut to 300 bytes)
    to stderr, to see what a corpus file does.
*/
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.h"
#include "protocol.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-11-24T21:05:00Z, as in tests/unit/fixture.h. */
#define T0          1795554300000LL
#define STEP_MS     100
#define RESET_EVERY 200
#define FRAMES_MAX  16
#define DEMO_USERS  3

static const store_policy_t s_policy = {
    .admit_batch = 4,
    .admit_interval_ms = 1000,
    .max_active = 6,
    .token_ttl_ms = 30 * 1000,
    .abandon_after_ms = 3 * 1000,
    .hold_ttl_ms = 5 * 1000,
};

static store_t *s_store;
static dispatch_t *s_dispatch;
static long s_reset_every = RESET_EVERY;
static long s_inputs; /* inputs run on the current store */
static bool s_verbose;

static int s_saved_stderr = -1;

/* Silences stderr while a store is rebuilt: the store logs each migration
   it applies, which would be a line every RESET_EVERY inputs. */
static void s_quiet(bool quiet)
{
    fflush(stderr);
    if (quiet && s_saved_stderr < 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0)
            return;
        s_saved_stderr = dup(STDERR_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    } else if (!quiet && s_saved_stderr >= 0) {
        dup2(s_saved_stderr, STDERR_FILENO);
        close(s_saved_stderr);
        s_saved_stderr = -1;
    }
}

static void s_fail(const char *what, const char *detail)
{
    s_quiet(false);
    fprintf(stderr, "fuzz_dispatch: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void s_teardown(void)
{
    dispatch_destroy(&s_dispatch);
    store_destroy(&s_store);
}

/* A fresh store with the demo data and the fixed tokens, all at T0. */
static void s_setup(void)
{
    s_teardown();
    store_options_t options = {.durable = false, .busy_timeout_ms = 100};
    char error[256];
    s_store = store_new(":memory:", &options, error, sizeof error);
    if (!s_store)
        s_fail("store_new", error);
    bool loaded = false;
    if (store_begin(s_store) != BO_OK || store_seed_demo(s_store, T0, &loaded) != BO_OK || !loaded)
        s_fail("store_seed_demo", "cannot seed the demo data");
    for (int64_t user = 1; user <= DEMO_USERS; user++) {
        char token[32];
        snprintf(token, sizeof token, "token-%lld", (long long)user);
        bo_queue_state_t state;
        if (store_queue_enter(s_store, user, token, T0, &s_policy, &state) != BO_OK ||
            state.status != BO_TOKEN_ACTIVE || strcmp(state.token, token) != 0)
            s_fail("store_queue_enter", token);
    }
    if (store_commit(s_store) != BO_OK)
        s_fail("store_commit", "setup");
    s_dispatch = dispatch_new(s_store, &s_policy);
    if (!s_dispatch)
        s_fail("dispatch_new", "out of memory");
    s_inputs = 0;
}

static void s_init_once(void)
{
    static bool initialised = false;
    if (initialised)
        return;
    initialised = true;
    const char *every = getenv("BO_FUZZ_RESET_EVERY");
    if (every && atol(every) > 0)
        s_reset_every = atol(every);
    s_verbose = getenv("BO_FUZZ_VERBOSE") != NULL;
    atexit(s_teardown);
    s_setup();
}

/* The request_id the reply to `request` must echo, malloc'd; NULL if none. */
static char *s_expected_request_id(const dispatch_frame_t *request)
{
    if (request->size > BO_MAX_REQUEST_BYTES)
        return NULL;
    json_t *object = json_loadb(request->data, request->size, JSON_REJECT_DUPLICATES, NULL);
    json_t *value = json_object_get(object, "request_id");
    size_t length = json_string_length(value);
    char *expected = NULL;
    if (json_is_string(value) && length >= 1 && length <= BO_REQUEST_ID_MAX)
        expected = strdup(json_string_value(value));
    json_decref(object);
    return expected;
}

/* Checks one reply against the protocol's promises; aborts if it breaks
   one. `request` is the frame it answers. */
static void s_check_reply(const char *reply, const dispatch_frame_t *request)
{
    if (!reply)
        s_fail("no reply", NULL);
    json_error_t error;
    json_t *object = json_loads(reply, JSON_REJECT_DUPLICATES, &error);
    const char *problem = NULL;
    if (!object) {
        problem = "the reply is not valid JSON";
    } else if (!json_is_object(object)) {
        problem = "the reply is not a JSON object";
    } else if (!json_is_boolean(json_object_get(object, "ok"))) {
        problem = "\"ok\" is not a boolean";
    } else if (json_is_false(json_object_get(object, "ok"))) {
        const char *code = json_string_value(json_object_get(object, "error"));
        const char *message = json_string_value(json_object_get(object, "message"));
        bo_status_t status = code ? bo_status_from_code(code) : BO_STATUS_COUNT;
        if (status == BO_STATUS_COUNT || status == BO_OK)
            problem = "\"error\" is not a known error code";
        else if (!message || !*message)
            problem = "an error reply without a message";
        else if (status == BO_INTERNAL || status == BO_CONFLICT)
            problem = "INTERNAL or CONFLICT with no fault and no concurrent writer";
    } else if (json_object_get(object, "error")) {
        problem = "an ok reply that carries an error";
    }
    if (!problem) {
        char *expected = s_expected_request_id(request);
        json_t *echoed = json_object_get(object, "request_id");
        if (expected ? !json_is_string(echoed) || strcmp(json_string_value(echoed), expected)
                     : echoed != NULL)
            problem = "the reply's request_id is not the request's";
        free(expected);
    }
    json_decref(object);
    if (problem) {
        fprintf(stderr, "fuzz_dispatch: request (%zu bytes): %.*s\n", request->size,
                (int)(request->size < 2000 ? request->size : 2000), (const char *)request->data);
        s_fail(problem, reply);
    }
}

/* The scheduler's jobs, as the daemon runs them between batches. */
static void s_run_jobs(int64_t now)
{
    int64_t admitted = 0;
    store_expire_report_t report = {0};
    if (store_begin(s_store) != BO_OK || store_expire(s_store, now, &s_policy, &report) != BO_OK ||
        store_admit(s_store, now, &s_policy, &admitted) != BO_OK || store_commit(s_store) != BO_OK)
        s_fail("scheduler jobs", "store_expire or store_admit failed");
}

static void s_check_invariants(void)
{
    char report[512];
    if (store_begin(s_store) != BO_OK)
        s_fail("store_begin", "invariant check");
    bo_status_t status = store_check_invariants(s_store, report, sizeof report);
    store_rollback(s_store);
    if (status != BO_OK)
        s_fail("invariant broken", report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_init_once();
    if (s_inputs >= s_reset_every) {
        s_quiet(true);
        s_setup();
        s_quiet(false);
    }
    int64_t now = T0 + STEP_MS * (int64_t)++s_inputs;

    dispatch_frame_t frames[FRAMES_MAX];
    char *replies[FRAMES_MAX] = {NULL};
    size_t count = 0, start = 0;
    while (count < FRAMES_MAX && (count == 0 || start < size)) {
        const uint8_t *newline =
            count + 1 < FRAMES_MAX ? memchr(data + start, '\n', size - start) : NULL;
        size_t end = newline ? (size_t)(newline - data) : size;
        size_t length = end - start;
        /* Exactly the frame's bytes (malloc(0) may return NULL: one byte
           then, never read, as the frame's size is 0). */
        void *copy = malloc(length ? length : 1);
        if (!copy)
            s_fail("malloc", "frame");
        if (length)
            memcpy(copy, data + start, length);
        frames[count].data = copy;
        frames[count].size = length;
        count++;
        start = newline ? end + 1 : size;
    }

    if (dispatch_batch(s_dispatch, frames, count, now, replies) != BO_OK)
        s_fail("dispatch_batch", replies[0]);
    for (size_t i = 0; i < count; i++) {
        if (s_verbose)
            fprintf(stderr, "> %.*s\n< %.300s\n",
                    (int)(frames[i].size < 300 ? frames[i].size : 300),
                    (const char *)frames[i].data, replies[i] ? replies[i] : "(none)");
        s_check_reply(replies[i], &frames[i]);
    }
    for (size_t i = 0; i < count; i++) {
        free(replies[i]);
        free((void *)frames[i].data);
    }
    s_run_jobs(now);
    s_check_invariants();
    return 0;
}
