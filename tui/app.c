/*  app: navigation, the request queue, the session and reply routing. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "format.h"
#include "screen.h"
#include "text.h"

static const screen_t *s_top(const app_t *self)
{
    return screen_for(self->stack[self->depth - 1]);
}

screen_id_t app_screen(const app_t *self)
{
    return self->stack[self->depth - 1];
}

app_t *app_new(int64_t user_id, const char *client_id, int64_t now)
{
    app_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->now = now;
    self->rows = 24;
    self->cols = 80;
    snprintf(self->client_id, sizeof self->client_id, "%s", client_id);
    self->depth = 1;
    self->stack[0] = SCREEN_SIGNIN;
    if (user_id > 0)
        app_sign_in(self, user_id);
    else
        app_replace_all(self, SCREEN_SIGNIN);
    return self;
}

void app_destroy(app_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

void app_say(app_t *self, bool is_error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(self->message, sizeof self->message, format, args);
    va_end(args);
    self->message_is_error = is_error;
}

/* Every move between screens clears the message line and starts a new
   generation; the screen arriving on top then (re)loads what it shows. */
static void s_arrive(app_t *self)
{
    self->generation++;
    self->message[0] = '\0';
    self->help_visible = false;
    const screen_t *screen = s_top(self);
    if (screen->enter)
        screen->enter(self);
}

void app_push(app_t *self, screen_id_t screen)
{
    if (self->depth == APP_STACK_MAX)
        self->depth--;
    self->stack[self->depth++] = screen;
    s_arrive(self);
}

void app_replace_all(app_t *self, screen_id_t screen)
{
    self->depth = 1;
    self->stack[0] = screen;
    s_arrive(self);
}

void app_back(app_t *self)
{
    if (self->depth <= 1) {
        self->quit = true;
        return;
    }
    self->depth--;
    s_arrive(self);
}

void app_sign_in(app_t *self, int64_t user_id)
{
    self->user_id = user_id;
    self->has_token = false;
    self->balance_known = false;
    self->hold.live = false;
    self->hold.resume = false;
    if (self->remember_user)
        self->remember_user(user_id, self->remember_arg);
    app_replace_all(self, SCREEN_QUEUE);
    /* The status bar shows the balance from the start. */
    app_send(self, BO_OP_POINT_BALANCE, json_object(), false);
}

void app_token_lost(app_t *self, const char *why)
{
    /* Leaving the payment for want of a turn: come back to it after. */
    bool paying = app_screen(self) == SCREEN_PAY && self->pay.stage != PAY_PAID;
    if (paying && app_hold_live(self))
        self->hold.resume = true;
    self->has_token = false;
    self->token_status = BO_TOKEN_EXPIRED_STATE;
    app_replace_all(self, SCREEN_QUEUE);
    if (self->hold.resume && app_hold_live(self)) {
        char seat[FORMAT_TEXT_MAX];
        app_say(self, true, "%s Your hold on seat %s stays: you return to it when your turn comes.",
                why, format_seat(self->hold.hold.seat_number, seat));
    } else
        app_say(self, true, "%s", why);
    snprintf(self->queue.why, sizeof self->queue.why, "%s", self->message);
}

bool app_turn_active(const app_t *self)
{
    return self->has_token && self->token_status == BO_TOKEN_ACTIVE &&
           (!self->token_expires_at || self->token_expires_at > self->now);
}

void app_take_hold(app_t *self, const bo_reservation_t *hold)
{
    const char *title = hold->title ? hold->title : "";
    if (title != self->hold.title)
        text_copy(self->hold.title, sizeof self->hold.title, title);
    self->hold.hold = *hold;
    self->hold.hold.title = self->hold.title;
    self->hold.live = true;
    self->hold.resume = false;
}

bool app_hold_live(const app_t *self)
{
    return self->hold.live && self->hold.hold.hold_expires_at > self->now;
}

bool app_back_to(app_t *self, screen_id_t screen)
{
    for (int i = self->depth - 2; i >= 0; i--)
        if (self->stack[i] == screen) {
            self->depth = i + 1;
            s_arrive(self);
            return true;
        }
    return false;
}

void app_hold_lapsed(app_t *self)
{
    char seat[FORMAT_TEXT_MAX];
    format_seat(self->hold.hold.seat_number, seat);
    self->hold.live = false;
    self->hold.resume = false;
    if (app_back_to(self, SCREEN_SEATS)) {
        app_say(self, true, "Your hold on seat %s ended and the seat went back on sale.", seat);
        return;
    }
    /* Taken up from My tickets: there is no grid to go back to, so back
       to the screen below the hold, which reloads. */
    for (int i = self->depth - 1; i > 0; i--)
        if (self->stack[i] == SCREEN_HOLD) {
            self->depth = i;
            s_arrive(self);
            break;
        }
    app_say(self, true,
            "Your hold on seat %s ended and the seat went back on sale. To choose a seat "
            "again, go to Concerts.",
            seat);
}

const char *app_error_text(bo_status_t status, const char *detail, char *out, size_t size)
{
    const char *text;
    bool with_detail = false;
    switch (status) {
    case BO_BAD_REQUEST:
        text = "The server could not accept that request";
        with_detail = true;
        break;
    case BO_UNKNOWN_OP:
        text = "This server does not know that request: it may be an older version than the "
               "client.";
        break;
    case BO_TOO_LARGE:
        text = "That request was too large for the server.";
        break;
    case BO_NOT_FOUND:
        text = "That is no longer there; refresh (r) and try again.";
        break;
    case BO_TOKEN_INVALID:
    case BO_TOKEN_WAITING:
    case BO_TOKEN_EXPIRED:
        text = "Your turn has ended; you need to line up again.";
        break;
    case BO_NOT_RESERVABLE:
        text = "That show is not open for booking right now.";
        break;
    case BO_SEAT_TAKEN:
        text = "Someone else took that seat just now; choose another.";
        break;
    case BO_HOLD_LIMIT:
        text = "You already hold as many seats as you may: pay for one in My tickets (t).";
        break;
    case BO_HOLD_EXPIRED:
        text = "The hold ended and the seat went back on sale.";
        break;
    case BO_INSUFFICIENT_POINTS:
        text = "Not enough points: charge some in the wallet (w).";
        break;
    case BO_FORBIDDEN:
        text = "That reservation is not yours.";
        break;
    case BO_CONFLICT:
        text = "That clashed with another request; try again.";
        break;
    case BO_INTERNAL:
    default:
        text = "The server had a problem; try again in a moment";
        with_detail = true;
        break;
    }
    if (with_detail && detail && detail[0])
        snprintf(out, size, "%s (%s).", text, detail);
    else if (with_detail)
        snprintf(out, size, "%s.", text);
    else
        snprintf(out, size, "%s", text);
    return out;
}

const char *app_message_line(const app_t *self, bool *is_error, char *out, size_t size)
{
    if (self->link_lost) {
        *is_error = true;
        snprintf(out, size, "The server at %s is not answering; retrying…",
                 self->endpoint[0] ? self->endpoint : "its endpoint");
        return out;
    }
    *is_error = self->message_is_error;
    snprintf(out, size, "%s", self->message);
    return out;
}

bool app_too_small(const app_t *self)
{
    return self->rows < APP_MIN_ROWS || self->cols < APP_MIN_COLS;
}

void app_send(app_t *self, bo_op_t op, json_t *request, bool with_token)
{
    const bo_op_entry_t *entry = bo_op_entry(op);
    if (self->pending_count == APP_PENDING_MAX) {
        json_decref(request);
        app_say(self, true, "Too many requests are waiting for the server; one moment.");
        return;
    }
    char request_id[48];
    snprintf(request_id, sizeof request_id, "%s-%lu", self->client_id, ++self->request_counter);
    json_object_set_new(request, "op", json_string(entry->name));
    json_object_set_new(request, "request_id", json_string(request_id));
    if ((entry->flags & BO_OP_NEEDS_USER) && !json_object_get(request, "user_id"))
        json_object_set_new(request, "user_id", json_integer(self->user_id));
    if (with_token)
        json_object_set_new(request, "token", json_string(self->token));
    char *text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    if (!text || strlen(text) >= APP_REQUEST_MAX) {
        free(text);
        app_say(self, true, "That request is too long to send.");
        return;
    }
    app_pending_t *pending = &self->pending[self->pending_count++];
    pending->op = op;
    pending->screen = app_screen(self);
    pending->generation = self->generation;
    snprintf(pending->text, sizeof pending->text, "%s", text);
    free(text);
}

bool app_is_pending(const app_t *self, bo_op_t op)
{
    for (int i = 0; i < self->pending_count; i++)
        if (self->pending[i].op == op)
            return true;
    return false;
}

const char *app_outgoing(app_t *self)
{
    if (self->pending_count == 0 || self->head_sent)
        return NULL;
    self->head_sent = true;
    return self->pending[0].text;
}

/* What a reply says about the session, whichever screen asked. */
static void s_update_session(app_t *self, bo_op_t op, bo_status_t status, const json_t *reply)
{
    if (status != BO_OK)
        return;
    json_t *point = json_object_get(reply, "point");
    if (json_is_integer(point)) {
        self->balance = json_integer_value(point);
        self->balance_known = true;
    }
    if (op == BO_OP_QUEUE_ENTER || op == BO_OP_QUEUE_STATUS) {
        bo_queue_state_t state;
        if (codec_parse_queue_state(reply, &state)) {
            snprintf(self->token, sizeof self->token, "%s", state.token);
            self->token_status = state.status;
            self->token_expires_at = state.expires_at;
            self->has_token = state.status != BO_TOKEN_EXPIRED_STATE;
        }
    }
    if (op == BO_OP_PAYMENT_PAY) {
        /* A payment ends the token so the next person can come in. */
        self->has_token = false;
        self->token_status = BO_TOKEN_EXPIRED_STATE;
    }
}

/* The token stopped being usable. On a screen that needs it the person
   goes back to the line; elsewhere (wallet, tickets) they are only told,
   so a late reply never pulls them out of what they are doing. */
static void s_token_gone(app_t *self)
{
    if (s_top(self)->needs_token) {
        app_token_lost(self, "Your turn has ended; you are back in line.");
        return;
    }
    self->has_token = false;
    self->token_status = BO_TOKEN_EXPIRED_STATE;
    if (app_screen(self) == SCREEN_QUEUE) {
        app_replace_all(self, SCREEN_QUEUE); /* enters the line again */
        app_say(self, true, "Your place in line was lost; joining the line again.");
    } else
        app_say(self, true, "Your turn has ended; go back (q) to get in line again.");
}

/* Replies every screen answers the same way. Returns true if handled. */
static bool s_common_error(app_t *self, bo_op_t op, bo_status_t status)
{
    const bo_op_entry_t *entry = bo_op_entry(op);
    bool token_error =
        status == BO_TOKEN_EXPIRED || status == BO_TOKEN_INVALID || status == BO_TOKEN_WAITING;
    if (token_error && ((entry->flags & BO_OP_NEEDS_TOKEN) || op == BO_OP_QUEUE_STATUS)) {
        s_token_gone(self);
        return true;
    }
    /* Without a token, NOT_FOUND from these ops can only mean the user: the
       remembered id is unknown to this server. Sign-in asks for itself. */
    bool about_user = op == BO_OP_QUEUE_ENTER || op == BO_OP_POINT_BALANCE ||
                      op == BO_OP_POINT_CHARGE || op == BO_OP_POINT_HISTORY ||
                      op == BO_OP_RESERVATION_LIST;
    if (status == BO_NOT_FOUND && about_user && app_screen(self) != SCREEN_SIGNIN) {
        if (self->user_id == 0)
            return true; /* already explained, by an earlier reply */
        int64_t unknown = self->user_id;
        self->user_id = 0;
        self->user_name[0] = '\0';
        app_replace_all(self, SCREEN_SIGNIN);
        app_say(self, true, "This server does not know user %lld; choose or create a user.",
                (long long)unknown);
        return true;
    }
    return false;
}

void app_reply(app_t *self, const char *text, size_t size, int64_t now)
{
    self->now = now;
    app_set_connected(self, true);
    if (self->pending_count == 0 || !self->head_sent)
        return;
    app_pending_t head = self->pending[0];
    memmove(&self->pending[0], &self->pending[1],
            sizeof self->pending[0] * (size_t)(self->pending_count - 1));
    self->pending_count--;
    self->head_sent = false;

    bo_status_t status;
    const char *message;
    json_t *reply = codec_parse_reply(text, size, &status, &message);
    if (!reply) {
        /* Treated as a failed request, so the screen that waits for it
           stops waiting. */
        reply = json_object();
        status = BO_INTERNAL;
        message = "The server sent a reply this client cannot read.";
    }
    char friendly[APP_MESSAGE_MAX];
    if (status != BO_OK && reply && json_object_get(reply, "error"))
        message = app_error_text(status, message, friendly, sizeof friendly);
    bo_token_status_t was = self->token_status;
    bool had_token = self->has_token;
    s_update_session(self, head.op, status, reply);
    bool for_this_screen = head.screen == app_screen(self) && head.generation == self->generation;
    if (!s_common_error(self, head.op, status)) {
        /* A reply for a screen already left updates the session only. */
        if (status != BO_OK && for_this_screen)
            app_say(self, true, "%s", message);
        const screen_t *screen = s_top(self);
        if (for_this_screen && screen->reply)
            screen->reply(self, head.op, status, message, reply);
        else if (had_token && was == BO_TOKEN_WAIT && self->token_status == BO_TOKEN_ACTIVE)
            app_say(self, false, "It's your turn! Go back (q) to the waiting room to start.");
    }
    json_decref(reply);
}

void app_tick(app_t *self, int64_t now)
{
    self->now = now;
    if (self->has_token && self->token_status == BO_TOKEN_ACTIVE && self->token_expires_at &&
        self->token_expires_at <= now) {
        self->token_status = BO_TOKEN_EXPIRED_STATE;
        self->has_token = false;
        if (s_top(self)->needs_token) {
            app_token_lost(self, "Your time to book ran out; you are back in line.");
            return;
        }
    }
    /* A waiter keeps their place by asking, whichever screen is up. */
    if (self->has_token && self->token_status == BO_TOKEN_WAIT &&
        now - self->queue.last_poll >= APP_QUEUE_POLL_MS &&
        !app_is_pending(self, BO_OP_QUEUE_STATUS) && !app_is_pending(self, BO_OP_QUEUE_ENTER)) {
        self->queue.last_poll = now;
        app_send(self, BO_OP_QUEUE_STATUS, json_object(), true);
    }
    const screen_t *screen = s_top(self);
    if (screen->tick)
        screen->tick(self);
}

int64_t app_next_tick(const app_t *self)
{
    /* Countdowns change on whole seconds; polls are due on whole seconds
       too, as the screens time them from `now`. */
    return self->now + 1000 - self->now % 1000;
}

void app_set_connected(app_t *self, bool connected)
{
    self->connected = connected;
    self->link_lost = !connected;
}

void app_resize(app_t *self, int rows, int cols)
{
    self->rows = rows;
    self->cols = cols;
}

/* q on the first screen quits, after asking if something would be lost. */
static void s_quit_or_ask(app_t *self)
{
    char seat[FORMAT_TEXT_MAX];
    if (app_hold_live(self)) {
        self->confirm_quit = true;
        app_say(self, true,
                "Quit? Your hold on seat %s is not paid yet. y quits, any other key "
                "stays.",
                format_seat(self->hold.hold.seat_number, seat));
    } else if (app_turn_active(self)) {
        self->confirm_quit = true;
        app_say(self, true,
                "Quit? Your turn to book is still on. y quits, any other key "
                "stays.");
    } else
        self->quit = true;
}

static void s_global_key(app_t *self, int key)
{
    switch (key) {
    case '?':
        self->help_visible = true;
        break;
    case 'q':
    case APP_ESCAPE:
        if (self->depth <= 1)
            s_quit_or_ask(self);
        else
            app_back(self);
        break;
    case 'Q':
    case APP_CTRL('c'):
        self->quit = true;
        break;
    case 'w':
        if (self->user_id && app_screen(self) != SCREEN_WALLET && app_screen(self) != SCREEN_SIGNIN)
            app_push(self, SCREEN_WALLET);
        break;
    case 't':
        if (self->user_id && app_screen(self) != SCREEN_TICKETS &&
            app_screen(self) != SCREEN_SIGNIN)
            app_push(self, SCREEN_TICKETS);
        break;
    default:
        break;
    }
}

void app_key(app_t *self, int key, int64_t now)
{
    self->now = now;
    if (app_too_small(self)) {
        /* Nothing of the screen shows: only quitting acts. */
        if (key == 'q' || key == 'Q' || key == APP_CTRL('c'))
            self->quit = true;
        return;
    }
    if (self->help_visible) {
        /* Any key closes help; Ctrl-C still quits. */
        self->help_visible = false;
        if (key == APP_CTRL('c'))
            self->quit = true;
        return;
    }
    if (self->confirm_quit) {
        self->confirm_quit = false;
        if (key == 'y' || key == 'Y' || key == 'Q' || key == APP_CTRL('c')) {
            self->quit = true;
            return;
        }
        self->message[0] = '\0';
        return;
    }
    const screen_t *screen = s_top(self);
    if (key != APP_CTRL('c') && screen->key && screen->key(self, key))
        return;
    s_global_key(self, key);
}

void app_mouse(app_t *self, int row, int col, int64_t now)
{
    self->now = now;
    const screen_t *screen = s_top(self);
    if (!self->help_visible && !self->confirm_quit && !app_too_small(self) && screen->click)
        screen->click(self, row, col);
}
