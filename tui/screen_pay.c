/*  screen_pay: confirm, pay, and the outcome: a ticket, a short balance, or
    a hold that lapsed. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

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
    switch (status) {
    case BO_OK:
        app->pay.ticket = app->hold.hold;
        app->pay.stage = PAY_PAID;
        /* The journey is over: nothing to go back to but the start. */
        app_replace_all(app, SCREEN_PAY);
        app_say(app, false, "Paid. Enjoy the show!");
        break;
    case BO_INSUFFICIENT_POINTS:
        app->pay.stage = PAY_SHORT;
        break;
    case BO_HOLD_EXPIRED:
        /* Back to the hold, which sees the lapse and returns to the seats. */
        app->hold.hold.hold_expires_at = app->now;
        app_back(app);
        app_say(app, true, "Too late: the hold expired and the seat went back on sale.");
        break;
    default:
        app->pay.stage = PAY_CONFIRM;
        break;
    }
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
        return key != APP_CTRL('c') && key != 'Q';
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
    int row = area->top + 1, col = area->left + 4, width = area->cols - 8;
    char when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], balance[FORMAT_TEXT_MAX];
    draw_text(row++, col, width, STYLE_GOOD, "PAID — here is your ticket");
    row++;
    draw_text(row++, col, width > 50 ? 50 : width, STYLE_BAR, "  TICKET");
    draw_line(row++, col, width, STYLE_NORMAL, "  %s", app->hold.title);
    draw_line(row++, col, width, STYLE_NORMAL, "  %s", format_show_time(ticket->show_time, when));
    draw_line(row++, col, width, STYLE_NORMAL, "  Seat %c%lld (no. %lld)   %s",
              (char)('A' + (ticket->seat_number - 1) / 10),
              (long long)(ticket->seat_number - 1) % 10 + 1, (long long)ticket->seat_number,
              format_points(ticket->price, price));
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
    int row = area->top + 1, col = area->left + 4, width = area->cols - 8;
    char price[FORMAT_TEXT_MAX], balance[FORMAT_TEXT_MAX], left[FORMAT_TEXT_MAX];
    draw_line(row++, col, width, STYLE_TITLE, "Pay %s for seat %lld?",
              format_points(hold->price, price), (long long)hold->seat_number);
    draw_line(row++, col, width, STYLE_NORMAL, "%s", app->hold.title);
    draw_line(row++, col, width, STYLE_DIM, "The hold ends in %s.",
              format_countdown(hold->hold_expires_at, app->now, left));
    row++;
    if (app->pay.stage == PAY_SENDING) {
        draw_text(row, col, width, STYLE_DIM, "Paying…");
        return;
    }
    if (app->pay.stage == PAY_SHORT) {
        char missing[FORMAT_TEXT_MAX];
        draw_line(row++, col, width, STYLE_ERROR, "Not enough points: your balance is %s.",
                  format_points(app->balance, balance));
        draw_line(row++, col, width, STYLE_NORMAL, "Charge at least %s (w), then y to pay.",
                  format_points(hold->price - app->balance, missing));
        row++;
    }
    draw_text(row++, col, width, STYLE_KEY, "y  yes, pay");
    draw_text(row, col, width, STYLE_KEY, "n  no, go back");
}

const screen_t screen_pay = {
    .title = "Payment",
    .keys = "",
    .needs_token = true,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
