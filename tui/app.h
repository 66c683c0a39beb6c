/*  app: the client's state machine, apart from any terminal or socket.

    Everything the client knows (who is signed in, the token and its time,
    the balance, which screen is up and what each screen has loaded) lives
    in app_t. Four inputs change it: a key, a reply, the passing of time
    and the connection going up or down. One output leaves it: the next
    request to send. main.c wires these to ncurses and ZeroMQ; the unit
    tests drive them directly.

    Screens (screen_*.c, one file each) own their part of app_t and are
    reached only through screen.h's table; app.c does what all screens
    share: navigation, the request queue, the session, and reply routing.
*/
#ifndef BO_APP_H
#define BO_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

/* An input is a Unicode code point, or an ncurses KEY_* code moved past
   the end of Unicode so the two never collide. */
#define APP_KEY_SPECIAL  0x110000
#define APP_KEY(code)    (APP_KEY_SPECIAL + (code))
#define APP_CTRL(letter) ((letter)&0x1f)
enum { APP_ESCAPE = 27, APP_ENTER = '\n', APP_RETURN = '\r', APP_BACKSPACE = 127 };

typedef enum {
    SCREEN_SIGNIN,
    SCREEN_QUEUE,
    SCREEN_CONCERTS,
    SCREEN_DATES,
    SCREEN_SEATS,
    SCREEN_HOLD,
    SCREEN_WALLET,
    SCREEN_PAY,
    SCREEN_TICKETS,
    SCREEN_COUNT
} screen_id_t;

#define APP_TITLE_MAX    256
#define APP_CONCERTS_MAX 64
#define APP_DATES_MAX    32
#define APP_TICKETS_MAX  100
#define APP_LEDGER_MAX   20
#define APP_PENDING_MAX  16
#define APP_STACK_MAX    8
#define APP_MESSAGE_MAX  256
#define APP_REQUEST_MAX  1024
/* How often a screen that watches something asks again. */
#define APP_QUEUE_POLL_MS 1000
#define APP_SEATS_POLL_MS 2000
/* How long before a failed request that a screen depends on is tried again. */
#define APP_RETRY_MS 2000
/* The smallest terminal the client draws in; below it only q, Q and
   Ctrl-C act. */
#define APP_MIN_ROWS 20
#define APP_MIN_COLS 60

typedef struct {
    int64_t concert_id;
    char title[APP_TITLE_MAX];
    char performer[APP_TITLE_MAX];
} app_concert_t;

typedef struct {
    bo_schedule_t schedule; /* title and performer point at app->dates */
} app_date_t;

typedef struct {
    bo_reservation_t reservation; /* title points at `title` */
    char title[APP_TITLE_MAX];
} app_ticket_t;

/* A request waiting for its reply, and who asked. */
typedef struct {
    bo_op_t op;
    screen_id_t screen;
    unsigned generation;
    char text[APP_REQUEST_MAX];
} app_pending_t;

typedef enum { PAY_CONFIRM, PAY_SENDING, PAY_PAID, PAY_SHORT } pay_stage_t;

typedef struct app_t {
    int64_t now;
    int rows, cols; /* terminal size, for screens' layout */
    bool connected; /* the server answered the last request */
    bool link_lost; /* a request timed out since the last answer */
    bool quit;
    bool help_visible;
    /* q on the first screen asked "quit?"; the next key answers. */
    bool confirm_quit;
    char endpoint[256]; /* for telling the person which server is silent */
    char message[APP_MESSAGE_MAX];
    bool message_is_error;

    /* The session. */
    int64_t user_id; /* 0 until someone signs in */
    char token[BO_TOKEN_MAX + 1];
    bo_token_status_t token_status;
    int64_t token_expires_at;
    bool has_token;
    int64_t balance;
    bool balance_known;
    char user_name[BO_NAME_MAX + 1]; /* "" when not known */
    /* Called when a person signs in, so main can remember them. */
    void (*remember_user)(int64_t user_id, void *arg);
    void *remember_arg;

    /* Navigation: a stack of screens; generation changes with every move
       so a late reply for a screen that was left is not applied to it. */
    screen_id_t stack[APP_STACK_MAX];
    int depth;
    unsigned generation;

    /* Requests: the head is in flight once handed out. */
    app_pending_t pending[APP_PENDING_MAX];
    int pending_count;
    bool head_sent;
    unsigned long request_counter;
    char client_id[24];

    struct {
        int cursor; /* 0..2 demo users, 3 new user */
        bool typing;
        char name[BO_NAME_MAX + 1];
        int64_t checking_user;
    } signin;
    struct {
        int64_t first_position; /* where the person started, for progress */
        int64_t position, waiting, eta_s;
        int64_t last_poll;
        bool entered;
        /* Why the person was sent back to the line; shown again when
           their turn comes, so it is not lost under "It's your turn". */
        char why[APP_MESSAGE_MAX];
    } queue;
    struct {
        app_concert_t items[APP_CONCERTS_MAX];
        int count, cursor;
        bool loaded;
    } concerts;
    struct {
        int64_t concert_id;
        char concert_title[APP_TITLE_MAX];
        char titles[APP_DATES_MAX][APP_TITLE_MAX];
        app_date_t items[APP_DATES_MAX];
        int count, cursor;
        bool loaded;
    } dates;
    struct {
        bo_schedule_t show; /* title points at show_title */
        char show_title[APP_TITLE_MAX];
        bo_seat_t seats[BO_SEAT_MAX];
        int count, cursor;
        bool loaded, reserving;
        int64_t reserving_seat; /* the seat number asked for */
        int64_t last_refresh;
    } seats;
    struct {
        bo_reservation_t hold; /* title points at `title` */
        char title[APP_TITLE_MAX];
        bool live; /* held, not yet paid nor known to have lapsed */
        /* The person left to line up again to pay for it: when their turn
           comes they return to it. */
        bool resume;
    } hold;
    struct {
        bo_ledger_entry_t entries[APP_LEDGER_MAX];
        int count;
        bool loaded, typing, charging;
        char amount[16];
    } wallet;
    struct {
        pay_stage_t stage;
        bo_reservation_t ticket; /* the paid seat, title at hold.title */
    } pay;
    struct {
        app_ticket_t items[APP_TICKETS_MAX];
        int count, cursor;
        bool loaded;
    } tickets;
} app_t;

/* A new client at `now`. user_id 0 starts at the sign-in screen;
   client_id seeds request_ids (unique per client process). */
app_t *app_new(int64_t user_id, const char *client_id, int64_t now);
void app_destroy(app_t **self_p);

/* Inputs. */
void app_key(app_t *self, int key, int64_t now);
void app_mouse(app_t *self, int row, int col, int64_t now);
void app_reply(app_t *self, const char *text, size_t size, int64_t now);
void app_tick(app_t *self, int64_t now);
/* The transport's view: false after a request timed out, true when
   anything (even a heartbeat) was answered. Replies also count as true. */
void app_set_connected(app_t *self, bool connected);
void app_resize(app_t *self, int rows, int cols);

/* The next request to send, or NULL: a request stays at the head until its
   reply arrives; the transport resends the same text if it has to. */
const char *app_outgoing(app_t *self);
/* When app_tick next has something to do. */
int64_t app_next_tick(const app_t *self);
screen_id_t app_screen(const app_t *self);

/* For screens: */
/* Queues a request (takes ownership of `request`) with a fresh request_id
   and the session's user_id, and the token when `with_token`. */
void app_send(app_t *self, bo_op_t op, json_t *request, bool with_token);
bool app_is_pending(const app_t *self, bo_op_t op);
void app_push(app_t *self, screen_id_t screen);
void app_replace_all(app_t *self, screen_id_t screen);
void app_back(app_t *self);
void app_say(app_t *self, bool is_error, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* The person's token is no longer usable: back to the line. */
void app_token_lost(app_t *self, const char *why);
void app_sign_in(app_t *self, int64_t user_id);

/* Sets what a reserve or a ticket chose as the hold being paid for. */
void app_take_hold(app_t *self, const bo_reservation_t *hold);
/* The hold is held and its time has not run out. */
bool app_hold_live(const app_t *self);
/* The hold lapsed (its countdown ended, or payment said HOLD_EXPIRED):
   back to the seat grid it was taken from, or else to the screen below
   the hold, with an explanation. */
void app_hold_lapsed(app_t *self);
/* Pops screens down to the topmost `screen` in the stack; false (and no
   change) if it is not there. */
bool app_back_to(app_t *self, screen_id_t screen);
/* The person has a turn to book with right now. */
bool app_turn_active(const app_t *self);

/* The client's words for an error reply; `detail` is the server's own
   message, shown only where the code alone says little. */
const char *app_error_text(bo_status_t status, const char *detail, char *out, size_t size);
/* What the message line shows: the screen's message, or the notice that
   the server is not answering. */
const char *app_message_line(const app_t *self, bool *is_error, char *out, size_t size);
/* The terminal is below the minimum size. */
bool app_too_small(const app_t *self);

#endif
