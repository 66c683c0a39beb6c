/*  screen_pay: confirm, pay, and the outcome: a ticket, a short balance, or
    a hold that lapsed. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

/* Arriving (again, say back from the wallet) asks afresh: what the page
   says about the balance is worked out when it is drawn, never kept. */
static void s_enter(app_t *app)
{
    if (app->pay.stage != PAY_PAID)
        app->pay.stage = PAY_CONFIRM;
}

static void s_pay(app_t *app)
{
    app->pay.stage = PAY_SENDING;
    app_send(app, BO_OP_PAYMENT_PAY,
             json_pack("{s:I}", "reservation_id", (json_int_t)app->hold.hold.reservation_id), true);
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    (void)reply;
    if (op != BO_OP_PAYMENT_PAY)
        return;
    char seat[FORMAT_TEXT_MAX], points[FORMAT_TEXT_MAX];
    format_seat(app->hold.hold.seat_number, seat);
    switch (status) {
    case BO_OK:
        app->pay.ticket = app->hold.hold;
        app->pay.stage = PAY_PAID;
        app->hold.live = false;
        app->hold.resume = false;
        /* The journey is over: nothing to go back to but the start. */
        app_replace_all(app, SCREEN_PAY);
        app_say(app, false, "Paid. Enjoy the show!");
        break;
    case BO_INSUFFICIENT_POINTS:
        app->pay.stage = PAY_SHORT;
        /* The server said so: ask for the balance, which the page shows. */
        app_send(app, BO_OP_POINT_BALANCE, json_object(), false);
        app_say(app, true, "Not enough points for seat %s (%s): charge some in the wallet (w).",
                seat, format_points(app->hold.hold.price, points));
        break;
    case BO_HOLD_EXPIRED:
        app->hold.hold.hold_expires_at = app->now;
        app_hold_lapsed(app);
        break;
    default:
        app->pay.stage = PAY_CONFIRM;
        break;
    }
}

/* The hold's countdown reached zero while the person was deciding. */
static void s_tick(app_t *app)
{
    if (app->pay.stage == PAY_CONFIRM || app->pay.stage == PAY_SHORT)
        if (app->hold.hold.hold_expires_at <= app->now)
            app_hold_lapsed(app);
}

static bool s_key(app_t *app, int key)
{
    switch (app->pay.stage) {
    case PAY_CONFIRM:
    case PAY_SHORT:
        if (key == 'y' || screen_is_enter(key)) {
            s_pay(app);
            return true;
        }
        if (key == 'n') {
            app_back(app);
            return true;
        }
        return false;
    case PAY_SENDING:
        if (key == APP_CTRL('c') || key == 'Q')
            return false;
        app_say(app, false, "Waiting for the server to answer the payment…");
        return true;
    case PAY_PAID:
        if (screen_is_enter(key)) {
            app_push(app, SCREEN_TICKETS);
            return true;
        }
        if (key == 'n') {
            app_replace_all(app, SCREEN_QUEUE);
            return true;
        }
        return false;
    }
    return false;
}

static void s_draw_ticket(const app_t *app, const area_t *area)
{
    const bo_reservation_t *ticket = &app->pay.ticket;
    int row = area->top + 1, col = area->left + 2, width = area->cols - 4;
    char when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], balance[FORMAT_TEXT_MAX],
        seat[FORMAT_TEXT_MAX];
    draw_text(row++, col, width, STYLE_GOOD, "PAID — here is your ticket");
    row++;
    draw_text(row++, col, width > 50 ? 50 : width, STYLE_BAR, "  TICKET");
    draw_line(row++, col, width, STYLE_NORMAL, "  %s", app->hold.title);
    draw_line(row++, col, width, STYLE_NORMAL, "  %s", format_show_time(ticket->show_time, when));
    draw_line(row++, col, width, STYLE_NORMAL, "  Seat %s   %s",
              format_seat(ticket->seat_number, seat), format_points(ticket->price, price));
    draw_line(row++, col, width, STYLE_DIM, "  Reservation %lld",
              (long long)ticket->reservation_id);
    row++;
    draw_line(row++, col, width, STYLE_NORMAL, "Balance now: %s",
              format_points(app->balance, balance));
    row++;
    draw_text(row++, col, width, STYLE_KEY, "Enter  my tickets");
    draw_text(row++, col, width, STYLE_KEY, "n      another ticket (back to the line)");
    draw_text(row, col, width, STYLE_KEY, "q      quit");
}

static void s_draw(const app_t *app, const area_t *area)
{
    if (app->pay.stage == PAY_PAID) {
        s_draw_ticket(app, area);
        return;
    }
    const bo_reservation_t *hold = &app->hold.hold;
    int row = area->top + 1, col = area->left + 2, width = area->cols - 4;
    char price[FORMAT_TEXT_MAX], balance[FORMAT_TEXT_MAX], left[FORMAT_TEXT_MAX],
        when[FORMAT_TEXT_MAX], seat[FORMAT_TEXT_MAX];
    draw_line(row++, col, width, STYLE_TITLE, "Pay %s for seat %s?",
              format_points(hold->price, price), format_seat(hold->seat_number, seat));
    draw_line(row++, col, width, STYLE_NORMAL, "%s", app->hold.title);
    draw_line(row++, col, width, STYLE_NORMAL, "%s", format_show_time(hold->show_time, when));
    draw_line(row++, col, width, STYLE_DIM, "The hold ends in %s.",
              format_countdown(hold->hold_expires_at, app->now, left));
    row++;
    if (app->pay.stage == PAY_SENDING) {
        draw_text(row, col, width, STYLE_DIM, "Paying…");
        return;
    }
    if (app->balance_known && app->balance < hold->price) {
        char missing[FORMAT_TEXT_MAX];
        draw_line(row++, col, width, STYLE_ERROR, "Not enough points: your balance is %s.",
                  format_points(app->balance, balance));
        draw_line(row++, col, width, STYLE_NORMAL, "Charge at least %s (w), then y to pay.",
                  format_points(hold->price - app->balance, missing));
    } else if (app->balance_known) {
        draw_line(row++, col, width, STYLE_NORMAL, "Your balance: %s, after paying %s.",
                  format_points(app->balance, balance),
                  format_points(app->balance - hold->price, left));
    }
    row++;
    draw_text(row++, col, width, STYLE_KEY, "y  yes, pay");
    draw_text(row, col, width, STYLE_KEY, "n  no, go back");
}

static const char *const s_help[] = {
    "y, Enter     pay (confirm)",
    "n            no, go back to the hold",
    "Enter        (after paying) my tickets",
    "n            (after paying) another ticket",
    NULL,
};

static const char *s_keys(const app_t *app)
{
    return app->pay.stage == PAY_PAID ? "Enter my tickets  n another" : "y pay  n back";
}

const screen_t screen_pay = {
    .title = "Payment",
    .keys_for = s_keys,
    .help = s_help,
    .needs_token = true,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .tick = s_tick,
    .draw = s_draw,
};
