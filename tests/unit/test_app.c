/*  test_app: the client's state machine, driven without a terminal or a
    socket. Keys, replies (JSON text as the server sends it) and ticks at a
    controlled time go in; the requests it hands out are parsed and checked.
*/
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app.h"
#include "bo_time.h"
#include "protocol.h"
#include "screen.h"

/* 2026-01-01T00:00:00Z: every test starts here, and time moves only when a
   test says so. */
#define T0           1767225600000LL
#define TOKEN_TTL_MS 300000
#define HOLD_TTL_MS  120000
#define USER         7
#define TOKEN        "tok-1"
#define SCHEDULE     11
#define RESERVATION  77
/* The seat grid's layout, as screen_seats.c draws it. */
#define GRID_WIDTH  52
#define GRID_TOP    4
#define LABEL_WIDTH 3
#define CELL_WIDTH  5

#define KEY_CTRL_C APP_CTRL('c')

static app_t *s_app;
static json_t *s_request; /* the last request taken, parsed */
static int64_t s_now;
static char s_ids[512][BO_REQUEST_ID_MAX + 1];
static int s_id_count;
static int64_t s_remembered;
static int s_remember_calls;

static int s_setup(void **state)
{
    (void)state;
    s_app = NULL;
    s_request = NULL;
    s_now = T0;
    s_id_count = 0;
    s_remembered = 0;
    s_remember_calls = 0;
    return 0;
}

/* Runs after a failed test too, so a failure does not also leak. */
static int s_teardown(void **state)
{
    (void)state;
    json_decref(s_request);
    s_request = NULL;
    if (s_app)
        app_destroy(&s_app);
    return 0;
}

static int s_group_setup(void **state)
{
    (void)state;
    /* Korean names and titles are measured with the C library's wide
       characters, as the client does after setlocale. */
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        fail_msg("the C.UTF-8 locale is missing");
    return 0;
}

static void s_remember(int64_t user_id, void *arg)
{
    assert_ptr_equal(arg, &s_remember_calls);
    s_remembered = user_id;
    s_remember_calls++;
}

static app_t *s_new_with_client(int64_t user_id, const char *client_id)
{
    s_app = app_new(user_id, client_id, s_now);
    assert_non_null(s_app);
    return s_app;
}

static app_t *s_new(int64_t user_id)
{
    return s_new_with_client(user_id, "test");
}

static void s_finish(void)
{
    json_decref(s_request);
    s_request = NULL;
    app_destroy(&s_app);
    assert_null(s_app);
    /* request_ids are unique per client; the next app is another client,
       and starts at T0 again. */
    s_id_count = 0;
    s_now = T0;
}

/* An RFC 3339 time; eight rotating buffers so one printf can use several. */
static const char *s_iso(int64_t at_ms)
{
    static char buffers[8][BO_TIME_TEXT_MAX];
    static int next;
    char *buf = buffers[next++ % 8];
    return bo_time_format(at_ms, buf);
}

static void s_press(int key)
{
    app_key(s_app, key, s_now);
}

static void s_type(const char *ascii)
{
    for (const char *c = ascii; *c; c++)
        s_press((unsigned char)*c);
}

static void s_tick_at(int64_t at)
{
    s_now = at;
    app_tick(s_app, s_now);
}

static void s_click(int row, int col)
{
    app_mouse(s_app, row, col, s_now);
}

static const char *s_str(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    if (!value)
        fail_msg("the request has no string \"%s\"", key);
    return value;
}

static int64_t s_int(const json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    if (!json_is_integer(value))
        fail_msg("the request has no integer \"%s\"", key);
    return json_integer_value(value);
}

/* Takes the request at the head, parses it and checks what every request
   must carry: the op, a fresh request_id that starts with the client id,
   the user on user ops and the token on gated ops. */
static json_t *s_take_from(const char *client_id, const char *op)
{
    const char *text = app_outgoing(s_app);
    if (!text)
        fail_msg("no request to send; expected %s", op);
    json_decref(s_request);
    json_error_t error;
    s_request = json_loads(text, 0, &error);
    if (!json_is_object(s_request))
        fail_msg("the request is not a JSON object: %s", text);
    assert_string_equal(s_str(s_request, "op"), op);

    const char *request_id = s_str(s_request, "request_id");
    size_t prefix = strlen(client_id);
    if (strncmp(request_id, client_id, prefix) != 0 || strlen(request_id) <= prefix)
        fail_msg("request_id %s does not start with the client id %s", request_id, client_id);
    for (int i = 0; i < s_id_count; i++)
        if (strcmp(s_ids[i], request_id) == 0)
            fail_msg("request_id %s was used twice", request_id);
    assert_true(strlen(request_id) <= BO_REQUEST_ID_MAX);
    assert_true(s_id_count < (int)(sizeof s_ids / sizeof s_ids[0]));
    snprintf(s_ids[s_id_count++], sizeof s_ids[0], "%s", request_id);

    const bo_op_entry_t *entry = bo_op_find(op);
    assert_non_null(entry);
    if (entry->flags & BO_OP_NEEDS_USER)
        assert_true(s_int(s_request, "user_id") > 0);
    else
        assert_null(json_object_get(s_request, "user_id"));
    if ((entry->flags & BO_OP_NEEDS_TOKEN) || entry->op == BO_OP_QUEUE_STATUS)
        assert_true(strlen(s_str(s_request, "token")) > 0);
    else
        assert_null(json_object_get(s_request, "token"));
    return s_request;
}

static json_t *s_take(const char *op)
{
    return s_take_from("test", op);
}

static void s_vreply(const char *format, va_list args)
{
    char text[8192];
    int length = vsnprintf(text, sizeof text, format, args);
    assert_true(length > 0 && length < (int)sizeof text);
    app_reply(s_app, text, (size_t)length, s_now);
}

__attribute__((format(printf, 1, 2))) static void s_reply(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    s_vreply(format, args);
    va_end(args);
}

/* Checks the head request's op, then answers it. */
__attribute__((format(printf, 2, 3))) static void s_answer(const char *op, const char *format, ...)
{
    s_take(op);
    va_list args;
    va_start(args, format);
    s_vreply(format, args);
    va_end(args);
}

static void s_fail_with(const char *code)
{
    s_reply("{\"ok\":false,\"error\":\"%s\",\"message\":\"server: %s\"}", code, code);
}

static void s_answer_error(const char *op, const char *code)
{
    s_take(op);
    s_fail_with(code);
}

static void s_assert_nothing_to_send(void)
{
    assert_int_equal(s_app->pending_count, 0);
    assert_null(app_outgoing(s_app));
}

static void s_assert_message(bool is_error, const char *contains)
{
    if (!strstr(s_app->message, contains))
        fail_msg("the message line reads \"%s\", without \"%s\"", s_app->message, contains);
    assert_int_equal(s_app->message_is_error, is_error);
}

/* The client's own words for an error code, as the message line shows
   them instead of the server's text. */
static const char *s_friendly(const char *code)
{
    static const struct {
        const char *code, *words;
    } table[] = {
        {"BAD_REQUEST", "could not accept that request"},
        {"UNKNOWN_OP", "does not know that request"},
        {"TOO_LARGE", "too large for the server"},
        {"NOT_FOUND", "no longer there"},
        {"NOT_RESERVABLE", "not open for booking"},
        {"HOLD_LIMIT", "4 seats"},
        {"FORBIDDEN", "not yours"},
        {"CONFLICT", "clashed with another request"},
        {"INTERNAL", "server had a problem"},
        {"NO_SUCH_CODE", "server had a problem"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].words;
    fail_msg("no friendly words known for %s", code);
    return NULL;
}

/* The message is the client's, not the server's raw text: the raw text
   appears only as the detail of the codes that say little alone. */
static void s_assert_friendly(const char *code)
{
    s_assert_message(true, s_friendly(code));
    bool detail = strcmp(code, "BAD_REQUEST") == 0 || strcmp(code, "INTERNAL") == 0 ||
                  strcmp(code, "NO_SUCH_CODE") == 0;
    if (!detail && strstr(s_app->message, "server: "))
        fail_msg("the message line shows the server's text: \"%s\"", s_app->message);
}

/* Replies ------------------------------------------------------------- */

static void s_reply_waiting(int position, int waiting, int eta_s)
{
    s_reply("{\"ok\":true,\"token\":\"" TOKEN "\",\"status\":\"wait\",\"position\":%d,"
            "\"waiting\":%d,\"eta_s\":%d,\"expires_at\":null}",
            position, waiting, eta_s);
}

static void s_reply_active(int64_t expires_at)
{
    s_reply("{\"ok\":true,\"token\":\"" TOKEN "\",\"status\":\"active\",\"position\":0,"
            "\"waiting\":0,\"eta_s\":0,\"expires_at\":\"%s\"}",
            s_iso(expires_at));
}

static void s_reply_balance(int64_t points)
{
    s_reply("{\"ok\":true,\"point\":%lld}", (long long)points);
}

static void s_reply_concerts(void)
{
    s_reply("{\"ok\":true,\"concerts\":["
            "{\"concert_id\":1,\"title\":\"봄날의 재즈\",\"performer\":\"김민지 트리오\"},"
            "{\"concert_id\":2,\"title\":\"Winter Strings\",\"performer\":\"Seoul Quartet\"}]}");
}

static void s_reply_dates(void)
{
    s_reply("{\"ok\":true,\"dates\":["
            "{\"schedule_id\":%d,\"concert_id\":1,\"title\":\"봄날의 재즈\","
            "\"performer\":\"김민지 트리오\",\"price\":80000,\"show_time\":\"%s\","
            "\"reservation_start\":\"%s\",\"reservation_end\":\"%s\",\"left_tickets\":50},"
            "{\"schedule_id\":%d,\"concert_id\":1,\"title\":\"봄날의 재즈\","
            "\"performer\":\"김민지 트리오\",\"price\":80000,\"show_time\":\"%s\","
            "\"reservation_start\":\"%s\",\"reservation_end\":\"%s\",\"left_tickets\":3}]}",
            SCHEDULE, s_iso(T0 + 86400000LL * 30), s_iso(T0 - 86400000LL),
            s_iso(T0 + 86400000LL * 29), SCHEDULE + 1, s_iso(T0 + 86400000LL * 31),
            s_iso(T0 - 86400000LL), s_iso(T0 + 86400000LL * 30));
}

/* The 50 seats: `layout` gives a state per seat from seat 1 ('.' free,
   'h' held, 's' sold); seats past its end are free. Rows A-B cost more. */
static void s_reply_seats(const char *layout)
{
    json_t *free_seats = json_array(), *seats = json_array();
    size_t given = strlen(layout);
    for (int number = 1; number <= BO_SEAT_MAX; number++) {
        char state = (size_t)number <= given ? layout[number - 1] : '.';
        const char *status = state == 'h' ? "held" : state == 's' ? "sold" : "free";
        if (state == '.')
            json_array_append_new(free_seats, json_integer(number));
        json_array_append_new(seats, json_pack("{s:i, s:s, s:i}", "number", number, "status",
                                               status, "price", number <= 20 ? 120000 : 80000));
    }
    json_t *reply = json_pack("{s:b, s:o, s:o}", "ok", 1, "free", free_seats, "seats", seats);
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    assert_non_null(text);
    app_reply(s_app, text, strlen(text), s_now);
    free(text);
}

static void s_reply_hold(int seat_number, int64_t expires_at)
{
    s_reply("{\"ok\":true,\"reservation_id\":%d,\"seat_number\":%d,\"title\":\"봄날의 재즈\","
            "\"show_time\":\"%s\",\"price\":%d,\"hold_expires_at\":\"%s\"}",
            RESERVATION, seat_number, s_iso(T0 + 86400000LL * 30),
            seat_number <= 20 ? 120000 : 80000, s_iso(expires_at));
}

static void s_reply_history(void)
{
    s_reply("{\"ok\":true,\"entries\":[{\"kind\":\"charge\",\"amount\":200000,"
            "\"balance_after\":200000,\"at\":\"%s\"}]}",
            s_iso(T0 - 60000));
}

static void s_reply_tickets(void)
{
    s_reply("{\"ok\":true,\"reservations\":["
            "{\"reservation_id\":70,\"status\":\"paid\",\"title\":\"Winter Strings\","
            "\"show_time\":\"%s\",\"seat_number\":4,\"price\":80000,\"hold_expires_at\":null},"
            "{\"reservation_id\":71,\"status\":\"reserved\",\"title\":\"봄날의 재즈\","
            "\"show_time\":\"%s\",\"seat_number\":12,\"price\":120000,\"hold_expires_at\":\"%s\"},"
            "{\"reservation_id\":72,\"status\":\"cancelled\",\"title\":\"봄날의 재즈\","
            "\"show_time\":\"%s\",\"seat_number\":13,\"price\":120000,\"hold_expires_at\":null}]}",
            s_iso(T0 + 86400000LL * 10), s_iso(T0 + 86400000LL * 30), s_iso(T0 + 200000),
            s_iso(T0 + 86400000LL * 30));
}

/* Journeys ------------------------------------------------------------ */

/* A remembered user in the waiting room: 5th of 9. */
static app_t *s_waiting_user(void)
{
    app_t *app = s_new(USER);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_take("queue.enter");
    s_reply_waiting(5, 9, 120);
    s_answer("point.balance", "{\"ok\":true,\"point\":%d}", 50000);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    return app;
}

/* A user whose turn came at once, on the concert list. */
static app_t *s_at_concerts(void)
{
    app_t *app = s_new(USER);
    s_take("queue.enter");
    s_reply_active(T0 + TOKEN_TTL_MS);
    s_answer("point.balance", "{\"ok\":true,\"point\":%d}", 200000);
    json_t *request = s_take("concert.list");
    assert_string_equal(s_str(request, "token"), TOKEN);
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_concerts();
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    assert_true(app->concerts.loaded);
    assert_int_equal(app->concerts.count, 2);
    return app;
}

static app_t *s_at_dates(void)
{
    app_t *app = s_at_concerts();
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_DATES);
    json_t *request = s_take("concert.dates");
    assert_int_equal(s_int(request, "concert_id"), 1);
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_dates();
    assert_true(app->dates.loaded);
    assert_int_equal(app->dates.count, 2);
    return app;
}

static app_t *s_at_seats(const char *layout)
{
    app_t *app = s_at_dates();
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    json_t *request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_seats(layout);
    assert_true(app->seats.loaded);
    return app;
}

/* Seat 1 held until T0 + HOLD_TTL_MS. */
static app_t *s_at_hold(void)
{
    app_t *app = s_at_seats("");
    assert_int_equal(app->seats.cursor, 0);
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_reply_hold(1, T0 + HOLD_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    return app;
}

static app_t *s_at_pay(void)
{
    app_t *app = s_at_hold();
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_CONFIRM);
    return app;
}

static app_t *s_at_wallet_from_concerts(void)
{
    app_t *app = s_at_concerts();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_take("point.balance");
    s_reply_balance(200000);
    s_take("point.history");
    s_reply_history();
    assert_true(app->wallet.loaded);
    return app;
}

/* Sign-in ------------------------------------------------------------- */

static void test_signin_demo_user_checked_then_queue(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    app->remember_user = s_remember;
    app->remember_arg = &s_remember_calls;
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(app->user_id, 0);
    s_assert_nothing_to_send();

    s_press('2');
    json_t *request = s_take("point.balance");
    assert_int_equal(s_int(request, "user_id"), 2);
    s_assert_message(false, "2");
    /* Still signing in until the server knows the user. */
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(s_remember_calls, 0);

    s_reply_balance(3000);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_int_equal(app->user_id, 2);
    assert_int_equal(s_remember_calls, 1);
    assert_int_equal(s_remembered, 2);
    request = s_take("queue.enter");
    assert_int_equal(s_int(request, "user_id"), 2);
    s_finish();
}

static void test_signin_arrows_and_enter_choose(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    assert_int_equal(app->signin.cursor, 0);
    s_press(APP_KEY(KEY_UP));
    assert_int_equal(app->signin.cursor, 0);
    s_press(APP_KEY(KEY_DOWN));
    s_press('j');
    assert_int_equal(app->signin.cursor, 2);
    s_press(APP_KEY(KEY_DOWN));
    s_press(APP_KEY(KEY_DOWN));
    assert_int_equal(app->signin.cursor, 3); /* "New user", the last choice */
    s_press('k');
    assert_int_equal(app->signin.cursor, 2);
    s_press(APP_ENTER);
    json_t *request = s_take("point.balance");
    assert_int_equal(s_int(request, "user_id"), 3);
    s_reply_balance(0);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_int_equal(app->user_id, 3);
    s_finish();
}

static void test_signin_unknown_demo_user_stays(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    app->remember_user = s_remember;
    app->remember_arg = &s_remember_calls;
    s_press('1');
    s_answer_error("point.balance", "NOT_FOUND");
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(app->user_id, 0);
    s_assert_message(true, "no user 1");
    assert_int_equal(s_remember_calls, 0);
    s_assert_nothing_to_send();
    /* The screen still works: another choice. */
    s_press('3');
    s_take("point.balance");
    s_reply_balance(10);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_int_equal(s_remembered, 3);
    s_finish();
}

static void test_signin_new_user_in_korean(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    app->remember_user = s_remember;
    app->remember_arg = &s_remember_calls;
    s_press('n');
    assert_true(app->signin.typing);
    assert_int_equal(app->signin.cursor, 3);
    /* 김민수, then Backspace takes the whole 수 (three bytes), then 지. */
    s_press(0xAE40);
    s_press(0xBBFC);
    s_press(0xC218);
    assert_string_equal(app->signin.name, "김민수");
    s_press(APP_BACKSPACE);
    assert_string_equal(app->signin.name, "김민");
    assert_int_equal(strlen(app->signin.name), 6);
    s_press(APP_KEY(KEY_BACKSPACE));
    assert_string_equal(app->signin.name, "김");
    s_press(0xBBFC);
    s_press(0xC9C0);
    /* Keys that mean something elsewhere are letters here. */
    s_press('q');
    s_press('?');
    assert_false(app->quit);
    assert_false(app->help_visible);
    s_press(8); /* Ctrl-H, another Backspace */
    s_press(APP_BACKSPACE);
    assert_string_equal(app->signin.name, "김민지");
    s_assert_nothing_to_send();

    s_press(APP_ENTER);
    json_t *request = s_take("user.create");
    assert_string_equal(s_str(request, "name"), "김민지");
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    s_reply("{\"ok\":true,\"user_id\":42}");
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_int_equal(app->user_id, 42);
    assert_int_equal(s_remember_calls, 1);
    assert_int_equal(s_remembered, 42);
    request = s_take("queue.enter");
    assert_int_equal(s_int(request, "user_id"), 42);
    s_reply_waiting(1, 1, 0);
    request = s_take("point.balance");
    assert_int_equal(s_int(request, "user_id"), 42);
    s_finish();
}

static void test_signin_empty_name_and_escape(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    s_press(APP_KEY(KEY_DOWN));
    s_press(APP_KEY(KEY_DOWN));
    s_press(APP_KEY(KEY_DOWN));
    s_press(APP_RETURN);
    assert_true(app->signin.typing);
    s_press(APP_ENTER);
    s_assert_message(true, "name");
    s_assert_nothing_to_send();
    s_type("Ann");
    s_press(APP_ESCAPE);
    assert_false(app->signin.typing);
    assert_false(app->quit);
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    s_assert_nothing_to_send();
    /* Sign-in is the first screen: q leaves the program. */
    s_press('q');
    assert_true(app->quit);
    s_finish();
}

/* Enter pressed twice while the server is slow (or away) must not create
   the person twice. */
static void test_signin_create_sent_once(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    s_press('n');
    s_type("Ann");
    s_press(APP_ENTER);
    s_take("user.create");
    s_press(APP_ENTER);
    s_reply("{\"ok\":true,\"user_id\":43}");
    assert_int_equal(app->user_id, 43);
    /* Next is the waiting room, not a second user. */
    s_take("queue.enter");
    s_finish();
}

/* Waiting room -------------------------------------------------------- */

static void test_queue_wait_updates_the_view(void **state)
{
    (void)state;
    app_t *app = s_new(USER);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    json_t *request = s_take("queue.enter");
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_false(app->queue.entered);
    s_reply_waiting(5, 9, 120);
    assert_true(app->queue.entered);
    assert_int_equal(app->queue.position, 5);
    assert_int_equal(app->queue.waiting, 9);
    assert_int_equal(app->queue.eta_s, 120);
    assert_int_equal(app->queue.first_position, 5);
    assert_true(app->has_token);
    assert_int_equal(app->token_status, BO_TOKEN_WAIT);
    assert_string_equal(app->token, TOKEN);
    s_take("point.balance");
    s_reply_balance(50000);
    assert_true(app->balance_known);
    assert_int_equal(app->balance, 50000);

    s_tick_at(T0 + 1000);
    s_take("queue.status");
    s_reply_waiting(3, 8, 60);
    assert_int_equal(app->queue.position, 3);
    assert_int_equal(app->queue.waiting, 8);
    assert_int_equal(app->queue.eta_s, 60);
    /* The progress bar measures from where the person started. */
    assert_int_equal(app->queue.first_position, 5);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_finish();
}

static void test_queue_polls_once_a_second(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_tick_at(T0 + 500);
    s_assert_nothing_to_send();
    s_tick_at(T0 + 999);
    s_assert_nothing_to_send();
    s_tick_at(T0 + 1000);
    json_t *request = s_take("queue.status");
    assert_string_equal(s_str(request, "token"), TOKEN);
    assert_int_equal(s_int(request, "user_id"), USER);
    /* Not while one is waiting for its reply, however long that takes. */
    s_tick_at(T0 + 2500);
    s_tick_at(T0 + 5000);
    assert_int_equal(app->pending_count, 1);
    assert_null(app_outgoing(app));
    s_reply_waiting(4, 8, 90);
    assert_int_equal(app->pending_count, 0);
    s_tick_at(T0 + 5500);
    s_assert_nothing_to_send();
    s_tick_at(T0 + 6000);
    s_take("queue.status");
    s_reply_waiting(2, 8, 30);
    assert_int_equal(app->queue.position, 2);
    s_tick_at(T0 + 6999);
    s_assert_nothing_to_send();
    s_tick_at(T0 + 7000);
    s_take("queue.status");
    s_finish();
}

static void test_queue_active_opens_concerts(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_tick_at(T0 + 1000);
    s_take("queue.status");
    s_reply_active(T0 + 1000 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    assert_int_equal(app->depth, 1);
    s_assert_message(false, "your turn");
    assert_true(app->has_token);
    assert_int_equal(app->token_status, BO_TOKEN_ACTIVE);
    assert_int_equal(app->token_expires_at, T0 + 1000 + TOKEN_TTL_MS);
    json_t *request = s_take("concert.list");
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_finish();
}

static void test_queue_expired_place_enters_again(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_tick_at(T0 + 1000);
    s_take("queue.status");
    s_reply("{\"ok\":true,\"token\":\"" TOKEN "\",\"status\":\"expired\",\"position\":0,"
            "\"waiting\":3,\"eta_s\":0,\"expires_at\":null}");
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_assert_message(true, "back in line");
    assert_false(app->has_token);
    assert_false(app->queue.entered);
    json_t *request = s_take("queue.enter");
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_waiting(3, 3, 30);
    assert_true(app->queue.entered);
    assert_int_equal(app->queue.first_position, 3);
    s_finish();
}

static void test_queue_unknown_remembered_user_signs_in(void **state)
{
    (void)state;
    app_t *app = s_new(USER);
    s_answer_error("queue.enter", "NOT_FOUND");
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(app->user_id, 0);
    s_assert_message(true, "7");
    assert_true(strstr(app->message, "server: NOT_FOUND") == NULL);
    /* The person can choose someone else at once. */
    s_press('1');
    s_assert_message(false, "1");
    s_finish();
}

/* The balance request queued at sign-in is answered NOT_FOUND too, after
   the client has already moved to sign-in and explained why. */
static void test_queue_unknown_user_explanation_survives(void **state)
{
    (void)state;
    app_t *app = s_new(USER);
    s_answer_error("queue.enter", "NOT_FOUND");
    char explained[APP_MESSAGE_MAX];
    snprintf(explained, sizeof explained, "%s", app->message);
    s_answer_error("point.balance", "NOT_FOUND");
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_string_equal(app->message, explained);
    s_finish();
}

static void test_queue_change_user(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_press('u');
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(app->user_id, 0);
    assert_false(app->has_token);
    s_finish();
}

/* "While you wait you can charge points (w)" and "your place is kept while
   the client runs": the line keeps being asked while the wallet is up, or
   the server drops the silent waiter (abandon-after, 60 s by default). */
static void test_queue_keeps_polling_under_the_wallet(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_take("point.balance");
    s_reply_balance(50000);
    s_take("point.history");
    s_reply_history();
    bool polled = false;
    for (int64_t at = T0 + 500; at <= T0 + 30000 && !polled; at += 500) {
        s_tick_at(at);
        const char *text = app_outgoing(app);
        if (!text)
            continue;
        polled = strstr(text, "\"queue.status\"") != NULL;
        s_reply_waiting(4, 9, 100);
    }
    assert_true(polled);
    s_finish();
}

/* A failed queue.enter must not leave the person at "Joining the line…"
   with nothing more ever sent. */
static void test_queue_enter_failure_retries(void **state)
{
    (void)state;
    app_t *app = s_new(USER);
    s_answer_error("queue.enter", "INTERNAL");
    s_assert_message(true, "server: INTERNAL");
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_take("point.balance");
    s_reply_balance(1);
    for (int64_t at = T0 + 500; at <= T0 + 10000 && app->pending_count == 0; at += 500)
        s_tick_at(at);
    s_take("queue.enter");
    s_finish();
}

/* A token the server no longer knows (TOKEN_INVALID on queue.status) is
   not asked about again every second forever: the client lines up anew. */
static void test_queue_status_invalid_token_enters_again(void **state)
{
    (void)state;
    app_t *app = s_waiting_user();
    s_tick_at(T0 + 1000);
    s_answer_error("queue.status", "TOKEN_INVALID");
    s_assert_message(true, "");
    for (int64_t at = T0 + 1500; at <= T0 + 5000 && app->pending_count == 0; at += 500)
        s_tick_at(at);
    s_take("queue.enter");
    s_finish();
}

/* The journey ---------------------------------------------------------- */

static void test_journey_from_line_to_ticket(void **state)
{
    (void)state;
    app_t *app = s_at_concerts();
    s_assert_message(false, "");
    assert_string_equal(app->concerts.items[0].title, "봄날의 재즈");
    /* Concerts: move down and back up, then choose. */
    s_press(APP_KEY(KEY_DOWN));
    assert_int_equal(app->concerts.cursor, 1);
    s_press(APP_KEY(KEY_DOWN));
    assert_int_equal(app->concerts.cursor, 1);
    s_press('k');
    assert_int_equal(app->concerts.cursor, 0);
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_DATES);
    assert_int_equal(app->dates.concert_id, 1);
    assert_string_equal(app->dates.concert_title, "봄날의 재즈");
    json_t *request = s_take("concert.dates");
    assert_int_equal(s_int(request, "concert_id"), 1);
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_dates();
    assert_int_equal(app->dates.count, 2);
    assert_int_equal(app->dates.items[0].schedule.schedule_id, SCHEDULE);
    assert_int_equal(app->dates.items[0].schedule.left_tickets, 50);
    assert_int_equal(app->dates.items[0].schedule.show_time, T0 + 86400000LL * 30);
    assert_int_equal(app->dates.items[1].schedule.reservation_end, T0 + 86400000LL * 30);
    assert_string_equal(app->dates.items[1].schedule.title, "봄날의 재즈");

    /* Dates: the second show, then back to the first. */
    s_press('j');
    s_press(APP_KEY(KEY_UP));
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    assert_int_equal(app->seats.show.schedule_id, SCHEDULE);
    request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_seats("hs");
    assert_int_equal(app->seats.count, BO_SEAT_MAX);
    assert_int_equal(app->seats.seats[0].status, BO_SEAT_HELD);
    assert_int_equal(app->seats.seats[1].status, BO_SEAT_SOLD);
    assert_int_equal(app->seats.seats[2].status, BO_SEAT_FREE);
    /* The cursor starts on the first free seat. */
    assert_int_equal(app->seats.cursor, 2);

    s_press(APP_KEY(KEY_RIGHT));
    s_press(APP_ENTER);
    request = s_take("seat.reserve");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    assert_int_equal(s_int(request, "seat_number"), 4);
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_hold(4, T0 + HOLD_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    assert_int_equal(app->hold.hold.reservation_id, RESERVATION);
    assert_int_equal(app->hold.hold.seat_number, 4);
    assert_string_equal(app->hold.hold.title, "봄날의 재즈");
    assert_int_equal(app->hold.hold.hold_expires_at, T0 + HOLD_TTL_MS);
    s_assert_message(false, "4");

    s_tick_at(T0 + 1000);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_CONFIRM);
    s_assert_nothing_to_send();
    s_press('y');
    assert_int_equal(app->pay.stage, PAY_SENDING);
    request = s_take("payment.pay");
    assert_int_equal(s_int(request, "reservation_id"), RESERVATION);
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_string_equal(s_str(request, "token"), TOKEN);
    /* Keys wait while the payment is under way. */
    s_press('q');
    s_press(APP_ESCAPE);
    s_press('n');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_false(app->quit);
    s_reply("{\"ok\":true,\"reservation_status\":\"paid\",\"point\":80000}");
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_PAID);
    assert_int_equal(app->depth, 1);
    assert_int_equal(app->pay.ticket.reservation_id, RESERVATION);
    assert_int_equal(app->pay.ticket.seat_number, 4);
    assert_int_equal(app->balance, 80000);
    assert_false(app->has_token);
    s_assert_message(false, "Paid");

    /* Paid: on to the tickets. */
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    request = s_take("reservation.list");
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_tickets();
    assert_true(app->tickets.loaded);
    assert_int_equal(app->tickets.count, 3);
    assert_int_equal(app->tickets.items[0].reservation.status, BO_RESERVATION_PAID);
    assert_string_equal(app->tickets.items[1].reservation.title, "봄날의 재즈");
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_false(app->quit);
    /* "n": another ticket, back to the line. */
    s_press('n');
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_take("queue.enter");
    s_finish();
}

static void test_back_from_every_screen(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    s_press('n');
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press(APP_ESCAPE);
    /* Back on the grid, which loads again. */
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_take("concert.seats");
    s_reply_seats("h");
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_DATES);
    s_take("concert.dates");
    s_reply_dates();
    s_press(APP_ESCAPE);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    s_take("concert.list");
    s_reply_concerts();
    assert_false(app->quit);
    /* The concert list is the root once the turn came. */
    assert_int_equal(app->depth, 1);
    /* With the turn still on, q asks first; any other key stays. */
    s_press('q');
    assert_false(app->quit);
    assert_true(app->confirm_quit);
    s_assert_message(true, "Quit?");
    s_press('x');
    assert_false(app->quit);
    assert_false(app->confirm_quit);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    s_press('q');
    s_press('y');
    assert_true(app->quit);
    s_finish();

    /* Wallet and tickets go back to where they were opened. */
    app = s_at_dates();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_DATES);
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_press(APP_ESCAPE);
    assert_int_equal(app_screen(app), SCREEN_DATES);
    assert_false(app->quit);
    s_finish();

    /* The waiting room is a root too. */
    app = s_waiting_user();
    s_press(APP_ESCAPE);
    assert_true(app->quit);
    s_finish();
}

static void test_quit_keys(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press('Q');
    assert_true(app->quit);
    s_finish();

    app = s_at_hold();
    s_press(KEY_CTRL_C);
    assert_true(app->quit);
    s_finish();

    /* Ctrl-C quits even while a name is typed, and while paying. */
    app = s_new(0);
    s_press('n');
    s_type("Q");
    assert_false(app->quit);
    s_press(KEY_CTRL_C);
    assert_true(app->quit);
    s_finish();

    app = s_at_pay();
    s_press('y');
    s_take("payment.pay");
    s_press(KEY_CTRL_C);
    assert_true(app->quit);
    s_finish();
}

static void test_help_opens_and_any_key_closes(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press('?');
    assert_true(app->help_visible);
    /* The key that closes help does nothing else. */
    s_press('q');
    assert_false(app->help_visible);
    assert_false(app->quit);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_press('?');
    s_press('l');
    assert_false(app->help_visible);
    assert_int_equal(app->seats.cursor, 0);
    s_press('?');
    s_press(APP_ENTER);
    s_assert_nothing_to_send();
    /* Clicks do not go through the help screen either. */
    s_press('?');
    area_t body = screen_body(app);
    int left = body.left + (body.cols - GRID_WIDTH) / 2 + LABEL_WIDTH;
    s_click(body.top + GRID_TOP, left + 3 * CELL_WIDTH);
    assert_int_equal(app->seats.cursor, 0);
    assert_true(app->help_visible);
    s_press(APP_KEY(KEY_DOWN));
    assert_false(app->help_visible);
    assert_int_equal(app->seats.cursor, 0);
    /* Ctrl-C still quits from help. */
    s_press('?');
    s_press(KEY_CTRL_C);
    assert_true(app->quit);
    s_finish();
}

static void test_wallet_and_tickets_from_several_screens(void **state)
{
    (void)state;
    /* Not before anyone signs in. */
    app_t *app = s_new(0);
    s_press('w');
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    s_assert_nothing_to_send();
    s_finish();

    app = s_waiting_user();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    json_t *request = s_take("point.balance");
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_balance(50000);
    request = s_take("point.history");
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_history();
    assert_int_equal(app->wallet.count, 1);
    /* w on the wallet does not open a second one; t does open tickets. */
    int depth = app->depth;
    s_press('w');
    assert_int_equal(app->depth, depth);
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_take("reservation.list");
    s_reply_tickets();
    depth = app->depth;
    s_press('t');
    assert_int_equal(app->depth, depth);
    s_finish();

    app = s_at_concerts();
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_finish();

    app = s_at_seats("");
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_finish();

    app = s_at_hold();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_finish();

    app = s_at_pay();
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_finish();
}

static void test_tickets_open_hold_can_be_paid(void **state)
{
    (void)state;
    app_t *app = s_at_concerts();
    s_press('t');
    s_take("reservation.list");
    s_reply_tickets();
    /* A paid ticket is not a hold. */
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_assert_message(false, "open hold");
    s_press(APP_KEY(KEY_END));
    assert_int_equal(app->tickets.cursor, 2);
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_press('k');
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    assert_int_equal(app->hold.hold.reservation_id, 71);
    assert_string_equal(app->hold.title, "봄날의 재즈");
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    s_press('y');
    json_t *request = s_take("payment.pay");
    assert_int_equal(s_int(request, "reservation_id"), 71);
    s_finish();

    /* Paying needs a turn: without one, back in line. */
    app = s_waiting_user();
    s_press('t');
    s_take("reservation.list");
    s_reply_tickets();
    s_press('j');
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_assert_message(true, "back in line");
    s_take("queue.enter");
    s_finish();
}

/* Error codes ------------------------------------------------------------ */

/* Brings the app to the moment a gated op is queued; returns its name. */
static const char *s_reach_gated_op(int which)
{
    switch (which) {
    case 0:
        s_at_concerts();
        s_press('r');
        return "concert.list";
    case 1:
        s_at_concerts();
        s_press(APP_ENTER);
        return "concert.dates";
    case 2:
        s_at_dates();
        s_press(APP_ENTER);
        return "concert.seats";
    case 3:
        s_at_seats("");
        s_press(APP_ENTER);
        return "seat.reserve";
    default:
        s_at_pay();
        s_press('y');
        return "payment.pay";
    }
}

static void test_token_errors_send_back_to_the_line(void **state)
{
    (void)state;
    static const char *const codes[] = {"TOKEN_EXPIRED", "TOKEN_INVALID", "TOKEN_WAITING"};
    for (int which = 0; which < 5; which++)
        for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
            const char *op = s_reach_gated_op(which);
            json_t *request = s_take(op);
            assert_string_equal(s_str(request, "token"), TOKEN);
            s_fail_with(codes[code]);
            if (app_screen(s_app) != SCREEN_QUEUE)
                fail_msg("%s on %s left the client on screen %d", codes[code], op,
                         app_screen(s_app));
            assert_int_equal(s_app->depth, 1);
            s_assert_message(true, "back in line");
            assert_false(s_app->has_token);
            json_t *enter = s_take("queue.enter");
            assert_int_equal(s_int(enter, "user_id"), USER);
            s_reply_waiting(2, 2, 10);
            assert_true(s_app->queue.entered);
            s_finish();
        }
}

static void test_seat_taken_reloads_the_grid(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press(APP_ENTER);
    s_answer_error("seat.reserve", "SEAT_TAKEN");
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_assert_message(true, "Someone else took seat A1 just now");
    json_t *request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    s_reply_seats("h");
    assert_int_equal(app->seats.seats[0].status, BO_SEAT_HELD);
    /* The seat that was lost is now refused here, the next one is not. */
    s_press(APP_ENTER);
    s_assert_nothing_to_send();
    s_press('l');
    s_press(APP_ENTER);
    request = s_take("seat.reserve");
    assert_int_equal(s_int(request, "seat_number"), 2);
    s_finish();
}

static void test_reserve_errors_leave_the_grid_usable(void **state)
{
    (void)state;
    static const char *const codes[] = {"HOLD_LIMIT", "NOT_RESERVABLE", "INTERNAL",
                                        "CONFLICT",   "FORBIDDEN",      "BAD_REQUEST",
                                        "NOT_FOUND",  "NO_SUCH_CODE"};
    for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
        app_t *app = s_at_seats("");
        s_press(APP_ENTER);
        s_answer_error("seat.reserve", codes[code]);
        assert_int_equal(app_screen(app), SCREEN_SEATS);
        assert_true(app->message_is_error);
        s_assert_friendly(codes[code]);
        assert_false(app->seats.reserving);
        /* Usable: the grid moves and Enter asks again. */
        s_press('l');
        assert_int_equal(app->seats.cursor, 1);
        s_press(APP_ENTER);
        json_t *request = s_take("seat.reserve");
        assert_int_equal(s_int(request, "seat_number"), 2);
        s_finish();
    }
}

static void test_list_errors_leave_screens_usable(void **state)
{
    (void)state;
    static const char *const codes[] = {"INTERNAL", "CONFLICT", "BAD_REQUEST", "FORBIDDEN"};
    for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
        app_t *app = s_at_concerts();
        s_press(APP_ENTER);
        s_answer_error("concert.dates", codes[code]);
        assert_int_equal(app_screen(app), SCREEN_DATES);
        s_assert_friendly(codes[code]);
        assert_false(app->dates.loaded);
        s_press('r');
        s_take("concert.dates");
        s_reply_dates();
        assert_true(app->dates.loaded);
        s_finish();
    }
}

static void test_pay_short_of_points(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    s_press(APP_ENTER);
    s_answer_error("payment.pay", "INSUFFICIENT_POINTS");
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_SHORT);
    s_assert_message(true, "Not enough points for seat A1");
    /* The balance is asked for, so the page can say what is missing. */
    s_take("point.balance");
    s_reply_balance(100000);
    assert_int_equal(app->balance, 100000);
    /* The wallet is offered; coming back asks afresh, with nothing stale. */
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_take("point.balance");
    s_reply_balance(200000);
    s_take("point.history");
    s_reply_history();
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_CONFIRM);
    assert_string_equal(app->message, "");
    s_press('y');
    json_t *request = s_take("payment.pay");
    assert_int_equal(s_int(request, "reservation_id"), RESERVATION);
    s_finish();
}

static void test_pay_errors_leave_the_screen_usable(void **state)
{
    (void)state;
    static const char *const codes[] = {"FORBIDDEN", "CONFLICT", "INTERNAL", "BAD_REQUEST",
                                        "NOT_FOUND"};
    for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
        app_t *app = s_at_pay();
        s_press('y');
        s_answer_error("payment.pay", codes[code]);
        assert_int_equal(app_screen(app), SCREEN_PAY);
        assert_int_equal(app->pay.stage, PAY_CONFIRM);
        s_assert_friendly(codes[code]);
        s_press('y');
        s_take("payment.pay");
        s_finish();
    }
}

static void test_pay_hold_expired_goes_back(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    s_now = T0 + 5000;
    s_press('y');
    s_answer_error("payment.pay", "HOLD_EXPIRED");
    /* Straight back to the grid the seat was taken from. */
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_assert_message(true, "Your hold on seat A1 ended");
    assert_false(app_hold_live(app));
    json_t *request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    s_finish();
}

static void test_charge_errors_leave_the_wallet_usable(void **state)
{
    (void)state;
    static const char *const codes[] = {"CONFLICT", "INTERNAL", "BAD_REQUEST", "FORBIDDEN"};
    for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
        app_t *app = s_at_wallet_from_concerts();
        s_press('c');
        s_type("5000");
        s_press(APP_ENTER);
        json_t *request = s_take("point.charge");
        assert_int_equal(s_int(request, "amount"), 5000);
        s_fail_with(codes[code]);
        assert_int_equal(app_screen(app), SCREEN_WALLET);
        s_assert_friendly(codes[code]);
        assert_false(app->wallet.charging);
        assert_int_equal(app->balance, 200000);
        s_press('c');
        assert_true(app->wallet.typing);
        s_type("5000");
        s_press(APP_ENTER);
        s_take("point.charge");
        s_reply_balance(205000);
        assert_int_equal(app->balance, 205000);
        s_assert_message(false, "205,000");
        /* The ledger is read again after a charge. */
        s_take("point.history");
        s_finish();
    }
}

static void test_not_found_about_the_user_elsewhere(void **state)
{
    (void)state;
    app_t *app = s_at_wallet_from_concerts();
    s_press('r');
    s_answer_error("point.balance", "NOT_FOUND");
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    assert_int_equal(app->user_id, 0);
    s_assert_message(true, "7");
    s_finish();
}

static void test_unreadable_reply(void **state)
{
    (void)state;
    static const char *const replies[] = {"<html>502 Bad Gateway</html>", "[1,2,3]", "",
                                          "{\"ok\":tru", "\"ok\""};
    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        app_t *app = s_at_concerts();
        s_press('r');
        s_take("concert.list");
        app_reply(app, replies[i], strlen(replies[i]), s_now);
        assert_int_equal(app_screen(app), SCREEN_CONCERTS);
        s_assert_message(true, "cannot read");
        assert_int_equal(app->pending_count, 0);
        /* The next request goes out as usual. */
        s_press('r');
        s_take("concert.list");
        s_reply_concerts();
        assert_true(app->concerts.loaded);
        s_finish();
    }
}

/* An unreadable reply to a payment must not leave the pay screen waiting
   for ever, swallowing q and Esc. */
static void test_unreadable_pay_reply_does_not_lock_the_screen(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    s_press('y');
    s_take("payment.pay");
    s_reply("<html>oops</html>");
    s_assert_message(true, "cannot read");
    s_press(APP_ESCAPE);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_finish();
}

static void test_unreadable_reserve_reply_does_not_block_reserving(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_reply("garbage");
    s_assert_message(true, "cannot read");
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_finish();
}

static void test_unreadable_charge_reply_does_not_block_charging(void **state)
{
    (void)state;
    app_t *app = s_at_wallet_from_concerts();
    s_press('c');
    s_type("1000");
    s_press(APP_ENTER);
    s_take("point.charge");
    s_reply("garbage");
    s_assert_message(true, "cannot read");
    s_press('c');
    assert_true(app->wallet.typing);
    s_finish();
}

/* Late replies ------------------------------------------------------------ */

static void test_late_reply_updates_balance_only(void **state)
{
    (void)state;
    app_t *app = s_at_wallet_from_concerts();
    s_press('c');
    s_type("1,000");
    s_press(APP_ENTER);
    s_take("point.charge");
    /* The person leaves the wallet before the answer comes. */
    s_press(APP_ESCAPE);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    s_reply_balance(201000);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    assert_int_equal(app->balance, 201000);
    assert_true(app->balance_known);
    /* Not the wallet's "Charged" nor its ledger reload. */
    assert_string_equal(app->message, "");
    s_take("concert.list");
    s_reply_concerts();
    s_assert_nothing_to_send();
    s_finish();
}

static void test_late_reply_not_applied_to_another_screen(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press('r');
    s_take("concert.seats");
    s_press('w');
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_reply_seats("hhhhh");
    assert_int_equal(app->seats.seats[0].status, BO_SEAT_FREE);
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_finish();
}

/* The same screen, a later visit: the generation tells them apart. */
static void test_late_reply_not_applied_to_a_later_visit(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_press('q');
    assert_int_equal(app_screen(app), SCREEN_DATES);
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_reply_hold(1, T0 + HOLD_TTL_MS);
    /* The hold from the earlier visit does not open on this one. */
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    assert_int_equal(app->hold.hold.reservation_id, 0);
    s_take("concert.dates");
    s_reply_dates();
    s_take("concert.seats");
    s_reply_seats("");
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_finish();
}

/* Countdowns ------------------------------------------------------------ */

static void test_token_runs_out_on_gated_screens(void **state)
{
    (void)state;
    for (int which = 0; which < 3; which++) {
        app_t *app = which == 0 ? s_at_concerts() : which == 1 ? s_at_dates() : s_at_seats("");
        screen_id_t screen = app_screen(app);
        s_tick_at(T0 + TOKEN_TTL_MS - 1);
        assert_int_equal(app_screen(app), screen);
        if (screen == SCREEN_SEATS) {
            /* The grid's refresh, out of the way. */
            s_take("concert.seats");
            s_reply_seats("");
        }
        assert_true(app->has_token);
        s_tick_at(T0 + TOKEN_TTL_MS);
        assert_int_equal(app_screen(app), SCREEN_QUEUE);
        s_assert_message(true, "back in line");
        assert_false(app->has_token);
        assert_int_equal(app->token_status, BO_TOKEN_EXPIRED_STATE);
        s_take("queue.enter");
        s_finish();
    }
}

static void test_token_runs_out_quietly_off_the_gated_screens(void **state)
{
    (void)state;
    app_t *app = s_at_wallet_from_concerts();
    s_tick_at(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    assert_false(app->has_token);
    assert_int_equal(app->token_status, BO_TOKEN_EXPIRED_STATE);
    s_assert_nothing_to_send();
    s_finish();

    /* A hold that outlives the turn stays on screen; paying then needs the
       line again. */
    app = s_at_seats("");
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_reply_hold(1, T0 + TOKEN_TTL_MS + 60000);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_tick_at(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    assert_false(app->has_token);
    s_assert_nothing_to_send();
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_assert_message(true, "Your hold on seat A1 stays");
    s_finish();
}

static void test_hold_countdown_goes_back(void **state)
{
    (void)state;
    app_t *app = s_at_hold();
    s_tick_at(T0 + HOLD_TTL_MS - 1);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_assert_nothing_to_send();
    s_tick_at(T0 + HOLD_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_assert_message(true, "Your hold on seat A1 ended");
    json_t *request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    s_reply_seats("");
    assert_true(app->has_token);
    s_finish();
}

static void test_seat_grid_refreshes(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    /* The grid was asked for at T0. */
    s_tick_at(T0 + APP_SEATS_POLL_MS - 1);
    s_assert_nothing_to_send();
    s_tick_at(T0 + APP_SEATS_POLL_MS);
    json_t *request = s_take("concert.seats");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    assert_string_equal(s_str(request, "token"), TOKEN);
    /* Not again while that one is out. */
    s_tick_at(T0 + 3 * APP_SEATS_POLL_MS);
    assert_int_equal(app->pending_count, 1);
    s_now = T0 + 3 * APP_SEATS_POLL_MS + 100;
    /* Someone else took seats 5 and 6 meanwhile. */
    s_reply_seats("....hs");
    assert_int_equal(app->seats.seats[4].status, BO_SEAT_HELD);
    assert_int_equal(app->seats.seats[5].status, BO_SEAT_SOLD);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_tick_at(T0 + 4 * APP_SEATS_POLL_MS);
    s_take("concert.seats");
    s_reply_seats("");
    s_tick_at(T0 + 5 * APP_SEATS_POLL_MS - 1);
    s_assert_nothing_to_send();
    s_tick_at(T0 + 5 * APP_SEATS_POLL_MS);
    s_take("concert.seats");
    s_finish();
}

/* Charging ------------------------------------------------------------- */

static void test_charge_amount_is_checked_before_sending(void **state)
{
    (void)state;
    app_t *app = s_at_wallet_from_concerts();
    s_press('c');
    assert_true(app->wallet.typing);
    /* Enter with nothing typed. */
    s_press(APP_ENTER);
    s_assert_message(true, "amount");
    s_assert_nothing_to_send();

    s_type("12a4");
    assert_string_equal(app->wallet.amount, "12a4");
    s_press(APP_ENTER);
    s_assert_message(true, "digits");
    s_assert_nothing_to_send();
    assert_true(app->wallet.typing);
    for (int i = 0; i < 4; i++)
        s_press(APP_BACKSPACE);
    assert_string_equal(app->wallet.amount, "");

    s_type("-5");
    s_press(APP_ENTER);
    s_assert_message(true, "digits");
    s_assert_nothing_to_send();
    s_press(APP_BACKSPACE);
    s_press(APP_BACKSPACE);

    s_type("0");
    s_press(APP_ENTER);
    s_assert_message(true, "at least 1");
    s_assert_nothing_to_send();
    s_press(APP_BACKSPACE);

    s_type("10,000,001");
    s_press(APP_ENTER);
    s_assert_message(true, "10,000,000");
    s_assert_nothing_to_send();
    for (int i = 0; i < 10; i++)
        s_press(APP_KEY(KEY_BACKSPACE));
    assert_string_equal(app->wallet.amount, "");

    s_type("99999999999999");
    s_press(APP_ENTER);
    s_assert_message(true, "10,000,000");
    s_assert_nothing_to_send();
    /* Esc cancels what was typed, and q was a character, not "back". */
    s_press(APP_ESCAPE);
    assert_false(app->wallet.typing);
    assert_string_equal(app->wallet.amount, "");
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    s_assert_nothing_to_send();

    s_press('c');
    s_type("q");
    s_press(0xAE40); /* not a digit, and not kept */
    assert_int_equal(app_screen(app), SCREEN_WALLET);
    assert_string_equal(app->wallet.amount, "q");
    s_press(APP_BACKSPACE);

    s_type("10,000,000");
    s_press(APP_ENTER);
    json_t *request = s_take("point.charge");
    assert_int_equal(s_int(request, "amount"), 10000000);
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_false(app->wallet.typing);
    assert_true(app->wallet.charging);
    s_assert_message(false, "10,000,000");
    /* One charge at a time. */
    s_press('c');
    assert_false(app->wallet.typing);
    s_reply_balance(10200000);
    assert_int_equal(app->balance, 10200000);
    assert_false(app->wallet.charging);
    s_take("point.history");
    s_reply_history();

    s_press(APP_ENTER);
    assert_true(app->wallet.typing);
    s_type("1");
    s_press(APP_RETURN);
    request = s_take("point.charge");
    assert_int_equal(s_int(request, "amount"), 1);
    s_finish();
}

/* Seats ------------------------------------------------------------------ */

static void test_seat_cursor_stays_in_the_grid(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    assert_int_equal(app->seats.cursor, 0);
    s_press(APP_KEY(KEY_UP));
    s_press('k');
    s_press(APP_KEY(KEY_LEFT));
    s_press('h');
    assert_int_equal(app->seats.cursor, 0);
    for (int i = 0; i < 12; i++)
        s_press(i % 2 ? 'l' : APP_KEY(KEY_RIGHT));
    assert_int_equal(app->seats.cursor, 9);
    for (int i = 0; i < 7; i++)
        s_press(i % 2 ? 'j' : APP_KEY(KEY_DOWN));
    assert_int_equal(app->seats.cursor, 49);
    s_press(APP_KEY(KEY_RIGHT));
    s_press('j');
    assert_int_equal(app->seats.cursor, 49);
    s_press(APP_KEY(KEY_UP));
    assert_int_equal(app->seats.cursor, 39);
    s_press('k');
    assert_int_equal(app->seats.cursor, 29);
    s_press('h');
    assert_int_equal(app->seats.cursor, 28);
    s_press(APP_KEY(KEY_LEFT));
    assert_int_equal(app->seats.cursor, 27);
    /* Moving at the right edge does not wrap to the next row. */
    for (int i = 0; i < 5; i++)
        s_press('l');
    assert_int_equal(app->seats.cursor, 29);
    s_assert_nothing_to_send();
    s_press(APP_ENTER);
    json_t *request = s_take("seat.reserve");
    assert_int_equal(s_int(request, "seat_number"), 30);
    s_finish();
}

static void test_seat_taken_seats_are_refused_here(void **state)
{
    (void)state;
    app_t *app = s_at_seats("hs");
    assert_int_equal(app->seats.cursor, 2);
    s_press('h');
    s_press(APP_ENTER);
    s_assert_message(true, "sold");
    s_assert_nothing_to_send();
    s_press('h');
    s_press(' ');
    s_assert_message(true, "held");
    s_assert_nothing_to_send();
    s_press(APP_KEY(KEY_ENTER));
    s_assert_nothing_to_send();
    s_press('l');
    s_press('l');
    s_press(APP_ENTER);
    json_t *request = s_take("seat.reserve");
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    assert_int_equal(s_int(request, "seat_number"), 3);
    assert_string_equal(s_str(request, "token"), TOKEN);
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_true(app->seats.reserving);
    /* A second Enter while the first is out sends nothing more. */
    s_press(APP_ENTER);
    assert_int_equal(app->pending_count, 1);
    s_finish();
}

/* Where screen_seats.c draws seat `index`: the grid is centred in the body,
   its first row GRID_TOP rows below the body's top, each cell CELL_WIDTH
   columns after a LABEL_WIDTH label. */
static void s_seat_cell(int index, int *row, int *col)
{
    area_t body = screen_body(s_app);
    *row = body.top + GRID_TOP + index / 10;
    *col = body.left + (body.cols - GRID_WIDTH) / 2 + LABEL_WIDTH + index % 10 * CELL_WIDTH;
}

static void test_seat_mouse_selects_then_reserves(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    int row, col;
    /* At 80 columns the grid starts at column 1 + (78 - 52) / 2 = 14. */
    s_seat_cell(24, &row, &col);
    assert_int_equal(row, 8);
    assert_int_equal(col, 37);
    s_click(row, col + 1);
    assert_int_equal(app->seats.cursor, 24);
    s_assert_nothing_to_send();
    /* The gap between cells, the row label and outside the grid: nothing. */
    s_click(row, col + 4);
    area_t body = screen_body(app);
    s_click(row, body.left + (body.cols - GRID_WIDTH) / 2 + 1);
    s_click(row - 3, col);
    s_click(row + 3, col);
    s_seat_cell(9, &row, &col);
    s_click(row, col + CELL_WIDTH);
    assert_int_equal(app->seats.cursor, 24);
    s_assert_nothing_to_send();
    /* The bottom-right corner seat. */
    s_seat_cell(49, &row, &col);
    s_click(row, col + 3);
    assert_int_equal(app->seats.cursor, 49);
    s_seat_cell(24, &row, &col);
    s_click(row, col);
    assert_int_equal(app->seats.cursor, 24);
    s_click(row, col + 2);
    json_t *request = s_take("seat.reserve");
    assert_int_equal(s_int(request, "seat_number"), 25);
    assert_int_equal(s_int(request, "schedule_id"), SCHEDULE);
    s_reply_hold(25, T0 + HOLD_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    /* Clicks mean nothing on the hold screen. */
    s_click(row, col);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('p');
    s_press('y');
    request = s_take("payment.pay");
    assert_int_equal(s_int(request, "reservation_id"), RESERVATION);
    s_finish();
}

static void test_seat_mouse_follows_the_terminal_size(void **state)
{
    (void)state;
    app_t *app = s_at_seats("h");
    app_resize(app, 40, 120);
    int row, col;
    s_seat_cell(9, &row, &col);
    /* 1 + (118 - 52) / 2 = 34, then the label and nine cells. */
    assert_int_equal(col, 34 + 3 + 45);
    s_click(row, col);
    assert_int_equal(app->seats.cursor, 9);
    s_seat_cell(0, &row, &col);
    s_click(row, col);
    assert_int_equal(app->seats.cursor, 0);
    /* A second click on a held seat explains instead of reserving. */
    s_click(row, col);
    s_assert_message(true, "held");
    s_assert_nothing_to_send();
    s_finish();
}

/* Requests ---------------------------------------------------------------- */

static void test_request_ids_and_session_fields(void **state)
{
    (void)state;
    app_t *app = s_new_with_client(USER, "tui-42-0badcafe");
    json_t *request = s_take_from("tui-42-0badcafe", "queue.enter");
    char first[BO_REQUEST_ID_MAX + 1];
    snprintf(first, sizeof first, "%s", s_str(request, "request_id"));
    assert_int_equal(s_int(request, "user_id"), USER);
    assert_null(json_object_get(request, "token"));
    /* In flight: nothing new to hand out, and the same text stays for a
       transport that has to resend it. */
    assert_null(app_outgoing(app));
    assert_int_equal(app->pending_count, 2);
    assert_non_null(strstr(app->pending[0].text, first));
    s_reply_active(T0 + TOKEN_TTL_MS);
    request = s_take_from("tui-42-0badcafe", "point.balance");
    assert_string_not_equal(s_str(request, "request_id"), first);
    assert_int_equal(s_int(request, "user_id"), USER);
    s_reply_balance(1);
    request = s_take_from("tui-42-0badcafe", "concert.list");
    assert_string_equal(s_str(request, "token"), TOKEN);
    s_reply_concerts();
    assert_int_equal(s_id_count, 3);
    s_finish();
}

/* A reply with nothing in flight is ignored rather than taken for another. */
static void test_reply_without_request_is_ignored(void **state)
{
    (void)state;
    app_t *app = s_new(USER);
    s_reply_active(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_false(app->has_token);
    assert_int_equal(app->pending_count, 2);
    s_take("queue.enter");
    s_reply_waiting(1, 1, 0);
    assert_true(app->queue.entered);
    s_finish();
}

/* Audit fixes ----------------------------------------------------------- */

/* A seat held on the hold screen until T0 + TOKEN_TTL_MS + 60 s, with the
   turn ended under it at T0 + TOKEN_TTL_MS. */
static app_t *s_hold_outliving_the_turn(void)
{
    app_t *app = s_at_seats("");
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_reply_hold(1, T0 + TOKEN_TTL_MS + 60000);
    s_tick_at(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    assert_false(app_turn_active(app));
    return app;
}

static void test_pay_after_the_turn_returns_to_the_hold(void **state)
{
    (void)state;
    app_t *app = s_hold_outliving_the_turn();
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    assert_true(app->hold.resume);
    s_take("queue.enter");
    s_reply_waiting(2, 2, 10);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_tick_at(T0 + TOKEN_TTL_MS + 1000);
    s_take("queue.status");
    s_reply_active(T0 + TOKEN_TTL_MS + 1000 + TOKEN_TTL_MS);
    /* Back to paying for the same hold, with Hold and Concerts under it. */
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_CONFIRM);
    assert_int_equal(app->depth, 3);
    assert_int_equal(app->stack[0], SCREEN_CONCERTS);
    assert_int_equal(app->stack[1], SCREEN_HOLD);
    assert_false(app->hold.resume);
    s_assert_message(false, "pay for seat A1");
    s_take("concert.list"); /* the concerts under it loaded on the way */
    s_reply_concerts();
    s_press('y');
    json_t *request = s_take("payment.pay");
    assert_int_equal(s_int(request, "reservation_id"), RESERVATION);
    s_finish();

    /* The hold ran out while the person waited: the concerts, and why. */
    app = s_hold_outliving_the_turn();
    s_press('p');
    s_take("queue.enter");
    s_now = T0 + TOKEN_TTL_MS + 60000;
    s_reply_active(s_now + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    s_assert_message(true, "your hold on seat A1 ended");
    assert_false(app->hold.resume);
    s_finish();

    /* The turn runs out on the payment page itself: same return. */
    app = s_at_hold();
    s_press('p');
    assert_int_equal(app_screen(app), SCREEN_PAY);
    app->hold.hold.hold_expires_at = T0 + TOKEN_TTL_MS + 60000;
    s_tick_at(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_assert_message(true, "Your hold on seat A1 stays");
    s_take("queue.enter");
    s_reply_active(s_now + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_PAY);
    s_finish();
}

static void test_pay_page_reads_the_balance_afresh(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    /* 200,000 P against 120,000 P: no warning, and what is left after. */
    assert_int_equal(app->balance, 200000);
    s_press('y');
    s_answer_error("payment.pay", "INSUFFICIENT_POINTS");
    assert_int_equal(app->pay.stage, PAY_SHORT);
    s_take("point.balance");
    s_reply_balance(100000);
    s_press('w');
    s_take("point.balance");
    s_reply_balance(100000);
    s_take("point.history");
    s_reply_history();
    s_press('c');
    s_type("20000");
    s_press(APP_ENTER);
    s_take("point.charge");
    s_reply_balance(120000);
    s_press('q');
    /* Nothing left over from before the charge. */
    assert_int_equal(app_screen(app), SCREEN_PAY);
    assert_int_equal(app->pay.stage, PAY_CONFIRM);
    assert_int_equal(app->balance, 120000);
    assert_string_equal(app->message, "");
    s_finish();
}

static void test_pay_page_notices_the_hold_lapsing(void **state)
{
    (void)state;
    app_t *app = s_at_pay();
    s_tick_at(T0 + HOLD_TTL_MS - 1);
    assert_int_equal(app_screen(app), SCREEN_PAY);
    s_tick_at(T0 + HOLD_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    s_assert_message(true, "Your hold on seat A1 ended");
    s_take("concert.seats");
    s_finish();

    /* A hold paid from My tickets has no grid under it: back to the list,
       which reloads, with a clear word on what happened. */
    app = s_at_concerts();
    s_press('t');
    s_take("reservation.list");
    s_reply_tickets();
    s_press('j');
    s_press(APP_ENTER);
    assert_int_equal(app_screen(app), SCREEN_HOLD);
    s_press('p');
    s_press('y');
    s_answer_error("payment.pay", "HOLD_EXPIRED");
    assert_int_equal(app_screen(app), SCREEN_TICKETS);
    s_assert_message(true, "Your hold on seat B2 ended");
    s_assert_message(true, "Concerts");
    s_take("reservation.list");
    s_finish();
}

static void test_turn_expiry_explanation_survives_admission(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    s_tick_at(T0 + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_QUEUE);
    s_take("queue.enter");
    /* Nobody else in line: the turn comes at once. */
    s_reply_active(s_now + TOKEN_TTL_MS);
    assert_int_equal(app_screen(app), SCREEN_CONCERTS);
    s_assert_message(true, "Your time to book ran out");
    s_assert_message(true, "your turn again");
    s_finish();
}

static void test_quit_asks_with_a_turn_or_a_hold(void **state)
{
    (void)state;
    /* Waiting, nothing held: q quits at once. */
    app_t *app = s_waiting_user();
    s_press('q');
    assert_true(app->quit);
    s_finish();

    /* Waiting with a live hold: asked first. */
    app = s_hold_outliving_the_turn();
    s_press('p');
    assert_int_equal(app->depth, 1);
    s_press('q');
    assert_false(app->quit);
    s_assert_message(true, "hold on seat A1");
    s_press('n');
    assert_false(app->quit);
    s_press(APP_ESCAPE);
    s_press('y');
    assert_true(app->quit);
    s_finish();

    /* Paid: the journey is over, q quits at once. */
    app = s_at_pay();
    s_press('y');
    s_take("payment.pay");
    s_reply("{\"ok\":true,\"point\":80000}");
    assert_int_equal(app->pay.stage, PAY_PAID);
    assert_int_equal(app->depth, 1);
    s_press('q');
    assert_true(app->quit);
    s_finish();
}

static void test_error_codes_in_the_clients_words(void **state)
{
    (void)state;
    static const char *const codes[] = {"UNKNOWN_OP", "TOO_LARGE", "BAD_REQUEST", "INTERNAL"};
    for (size_t code = 0; code < sizeof codes / sizeof codes[0]; code++) {
        app_t *app = s_at_concerts();
        s_press('r');
        s_answer_error("concert.list", codes[code]);
        assert_int_equal(app_screen(app), SCREEN_CONCERTS);
        s_assert_friendly(codes[code]);
        /* Still usable. */
        s_press('r');
        s_take("concert.list");
        s_reply_concerts();
        assert_true(app->concerts.loaded);
        s_finish();
    }
    /* The seat taken, by its name in the grid, never by the server's id. */
    app_t *app = s_at_seats("");
    s_press('l');
    s_press('l');
    s_press('l');
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_reply("{\"ok\":false,\"error\":\"SEAT_TAKEN\",\"message\":\"seat 4 of show 1 is taken\"}");
    s_assert_message(true, "seat A4");
    assert_null(strstr(app->message, "show 1"));
    s_finish();
}

static void test_server_silence_is_told(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    snprintf(app->endpoint, sizeof app->endpoint, "tcp://127.0.0.1:5555");
    char line[512];
    bool is_error;
    app_say(app, false, "hello");
    assert_string_equal(app_message_line(app, &is_error, line, sizeof line), "hello");
    app_set_connected(app, false);
    app_message_line(app, &is_error, line, sizeof line);
    assert_true(is_error);
    assert_non_null(strstr(line, "tcp://127.0.0.1:5555 is not answering"));
    assert_non_null(strstr(line, "retrying"));
    app_set_connected(app, true);
    assert_string_equal(app_message_line(app, &is_error, line, sizeof line), "hello");

    /* Enter on another seat while a hold is asked for says so. */
    s_press(APP_ENTER);
    s_take("seat.reserve");
    s_press('l');
    s_press(APP_ENTER);
    s_assert_message(false, "Waiting for the server");
    s_assert_message(false, "A1");
    /* Only the first request, still in flight. */
    assert_int_equal(app->pending_count, 1);
    assert_null(app_outgoing(app));
    s_finish();
}

static void test_messages_hold_no_frozen_countdowns(void **state)
{
    (void)state;
    app_t *app = s_at_concerts();
    s_assert_message(false, "It's your turn!");
    assert_null(strstr(app->message, ":0"));
    assert_null(strstr(app->message, "5:00"));
    s_finish();
    app = s_at_hold();
    s_assert_message(false, "Seat A1 is held for you");
    assert_null(strstr(app->message, "2:00"));
    assert_null(strstr(app->message, "1:59"));
    s_finish();
}

static void test_keys_wait_while_the_window_is_too_small(void **state)
{
    (void)state;
    app_t *app = s_at_seats("");
    app_resize(app, 15, 50);
    s_press('l');
    s_press(APP_ENTER);
    s_press('w');
    s_press('?');
    assert_int_equal(app_screen(app), SCREEN_SEATS);
    assert_int_equal(app->seats.cursor, 0);
    assert_false(app->help_visible);
    s_assert_nothing_to_send();
    s_click(2 + GRID_TOP, 10);
    assert_int_equal(app->seats.cursor, 0);
    app_resize(app, 24, 80);
    s_press('l');
    assert_int_equal(app->seats.cursor, 1);
    app_resize(app, 15, 50);
    s_press('q');
    assert_true(app->quit);
    s_finish();

    /* Before anyone signs in, w and t do nothing. */
    app = s_new(0);
    s_press('w');
    s_press('t');
    assert_int_equal(app_screen(app), SCREEN_SIGNIN);
    s_finish();
}

static void test_created_user_named_in_the_status(void **state)
{
    (void)state;
    app_t *app = s_new(0);
    s_press('n');
    s_type("Mina");
    s_press(APP_ENTER);
    s_answer("user.create", "{\"ok\":true,\"user_id\":%d}", USER);
    assert_string_equal(app->user_name, "Mina");
    s_take("queue.enter");
    s_reply_waiting(1, 1, 0);
    s_press('u');
    assert_string_equal(app->user_name, "");
    s_finish();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_signin_demo_user_checked_then_queue),
        T(test_signin_arrows_and_enter_choose),
        T(test_signin_unknown_demo_user_stays),
        T(test_signin_new_user_in_korean),
        T(test_signin_empty_name_and_escape),
        T(test_signin_create_sent_once),
        T(test_queue_wait_updates_the_view),
        T(test_queue_polls_once_a_second),
        T(test_queue_active_opens_concerts),
        T(test_queue_expired_place_enters_again),
        T(test_queue_unknown_remembered_user_signs_in),
        T(test_queue_unknown_user_explanation_survives),
        T(test_queue_change_user),
        T(test_queue_keeps_polling_under_the_wallet),
        T(test_queue_enter_failure_retries),
        T(test_queue_status_invalid_token_enters_again),
        T(test_journey_from_line_to_ticket),
        T(test_back_from_every_screen),
        T(test_quit_keys),
        T(test_help_opens_and_any_key_closes),
        T(test_wallet_and_tickets_from_several_screens),
        T(test_tickets_open_hold_can_be_paid),
        T(test_token_errors_send_back_to_the_line),
        T(test_seat_taken_reloads_the_grid),
        T(test_reserve_errors_leave_the_grid_usable),
        T(test_list_errors_leave_screens_usable),
        T(test_pay_short_of_points),
        T(test_pay_errors_leave_the_screen_usable),
        T(test_pay_hold_expired_goes_back),
        T(test_charge_errors_leave_the_wallet_usable),
        T(test_not_found_about_the_user_elsewhere),
        T(test_unreadable_reply),
        T(test_unreadable_pay_reply_does_not_lock_the_screen),
        T(test_unreadable_reserve_reply_does_not_block_reserving),
        T(test_unreadable_charge_reply_does_not_block_charging),
        T(test_late_reply_updates_balance_only),
        T(test_late_reply_not_applied_to_another_screen),
        T(test_late_reply_not_applied_to_a_later_visit),
        T(test_token_runs_out_on_gated_screens),
        T(test_token_runs_out_quietly_off_the_gated_screens),
        T(test_hold_countdown_goes_back),
        T(test_seat_grid_refreshes),
        T(test_charge_amount_is_checked_before_sending),
        T(test_seat_cursor_stays_in_the_grid),
        T(test_seat_taken_seats_are_refused_here),
        T(test_seat_mouse_selects_then_reserves),
        T(test_seat_mouse_follows_the_terminal_size),
        T(test_request_ids_and_session_fields),
        T(test_reply_without_request_is_ignored),
        T(test_pay_after_the_turn_returns_to_the_hold),
        T(test_pay_page_reads_the_balance_afresh),
        T(test_pay_page_notices_the_hold_lapsing),
        T(test_turn_expiry_explanation_survives_admission),
        T(test_quit_asks_with_a_turn_or_a_hold),
        T(test_error_codes_in_the_clients_words),
        T(test_server_silence_is_told),
        T(test_messages_hold_no_frozen_countdowns),
        T(test_keys_wait_while_the_window_is_too_small),
        T(test_created_user_named_in_the_status),
#undef T
    };
    return cmocka_run_group_tests(tests, s_group_setup, NULL);
}
