/*  screen_queue: the waiting room. Enters the line, then asks where the
    person stands about once a second until their turn comes. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

static void s_enter(app_t *app)
{
    app->queue.entered = false;
    app->queue.first_position = 0;
    app->queue.position = 0;
    app->queue.last_poll = app->now;
    app_send(app, BO_OP_QUEUE_ENTER, json_object(), false);
}

/* The turn came. Back to the hold being paid for if there is one; the
   reason the person was sent to the line stays in view. The time left is
   in the status bar, which counts down; the message would not. */
static void s_admitted(app_t *app)
{
    char why[APP_MESSAGE_MAX], seat[FORMAT_TEXT_MAX];
    snprintf(why, sizeof why, "%s", app->queue.why);
    app->queue.why[0] = '\0';
    bool resume = app->hold.resume;
    app->hold.resume = false;
    format_seat(app->hold.hold.seat_number, seat);
    app_replace_all(app, SCREEN_CONCERTS);
    if (resume && app_hold_live(app)) {
        app_push(app, SCREEN_HOLD);
        app->pay.stage = PAY_CONFIRM;
        app_push(app, SCREEN_PAY);
        app_say(app, false, "It's your turn again: pay for seat %s (y), or n to go back.", seat);
    } else if (resume) {
        app_say(app, true,
                "It's your turn again, but your hold on seat %s ended meanwhile: "
                "choose a concert.",
                seat);
    } else if (why[0]) {
        app_say(app, true, "%s It's your turn again: choose a concert.", why);
    } else
        app_say(app, false, "It's your turn! Choose a concert; your time left is at the top.");
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if ((op != BO_OP_QUEUE_ENTER && op != BO_OP_QUEUE_STATUS) || status != BO_OK)
        return;
    bo_queue_state_t state;
    if (!codec_parse_queue_state(reply, &state))
        return;
    app->queue.entered = true;
    app->queue.last_poll = app->now;
    if (state.status == BO_TOKEN_ACTIVE) {
        s_admitted(app);
        return;
    }
    if (state.status == BO_TOKEN_EXPIRED_STATE) {
        /* The place lapsed (the client was away too long): line up again. */
        app_say(app, true, "Your place in line lapsed; you are back in line.");
        app->queue.entered = false;
        app->queue.first_position = 0;
        app_send(app, BO_OP_QUEUE_ENTER, json_object(), false);
        return;
    }
    app->queue.position = state.position;
    app->queue.waiting = state.waiting;
    app->queue.eta_s = state.eta_s;
    if (state.position > app->queue.first_position)
        app->queue.first_position = state.position;
}

/* Polling while waiting is the app's (app_tick), so it goes on under the
   wallet too. Here only a failed entry is retried. */
static void s_tick(app_t *app)
{
    if (app->queue.entered || app_is_pending(app, BO_OP_QUEUE_ENTER) ||
        app->now - app->queue.last_poll < APP_RETRY_MS)
        return;
    app->queue.last_poll = app->now;
    app_send(app, BO_OP_QUEUE_ENTER, json_object(), false);
}

static bool s_key(app_t *app, int key)
{
    if (key != 'u')
        return false;
    app->user_id = 0;
    app->user_name[0] = '\0';
    app->has_token = false;
    app->hold.live = false;
    app->hold.resume = false;
    app_replace_all(app, SCREEN_SIGNIN);
    return true;
}

/* [#########..........] filled by how far the person has come. */
static void s_draw_progress(int row, int col, int width, int64_t first, int64_t position)
{
    char bar[256];
    int inner = width - 2 > 200 ? 200 : width - 2;
    int64_t done = first > 0 ? (first - position + 1) * inner / first : 0;
    bar[0] = '[';
    for (int i = 0; i < inner; i++)
        bar[1 + i] = i < done ? '#' : '.';
    bar[1 + inner] = ']';
    bar[2 + inner] = '\0';
    draw_text(row, col, width, STYLE_GOOD, bar);
}

static void s_draw(const app_t *app, const area_t *area)
{
    int row = area->top + 1, col = area->left + 2, width = area->cols - 4;
    if (!app->queue.entered) {
        draw_text(row, col, width, STYLE_TITLE, "Joining the line…");
        return;
    }
    draw_text(row++, col, width, STYLE_TITLE, "You are in the waiting room.");
    row++;
    char eta[FORMAT_TEXT_MAX];
    draw_line(row++, col, width, STYLE_NORMAL, "Your place in line:  %lld of %lld",
              (long long)app->queue.position, (long long)app->queue.waiting);
    draw_line(row++, col, width, STYLE_NORMAL, "Estimated wait:      %s",
              format_eta(app->queue.eta_s, eta));
    row++;
    s_draw_progress(row++, col, width > 62 ? 62 : width, app->queue.first_position,
                    app->queue.position);
    row++;
    draw_text(row++, col, width, STYLE_DIM,
              "Keep this window open: your place is kept while the client runs.");
    draw_text(row++, col, width, STYLE_DIM,
              "While you wait you can charge points (w) or look at your tickets (t).");
}

static const char *const s_help[] = {
    "u            change user (leaves the line)",
    "(the line moves by itself; the screen follows it)",
    NULL,
};

const screen_t screen_queue = {
    .title = "Waiting room",
    .keys = "u change user",
    .help = s_help,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .tick = s_tick,
    .draw = s_draw,
};
