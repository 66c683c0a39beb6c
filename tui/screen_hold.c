/*  screen_hold: a held seat and the time left to pay for it. From here the
    person pays, charges points, or lets the hold lapse. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

static bool s_can_pay_now(const app_t *app)
{
    return app->has_token && app->token_status == BO_TOKEN_ACTIVE;
}

static void s_tick(app_t *app)
{
    if (app->hold.hold.hold_expires_at > app->now)
        return;
    int64_t seat = app->hold.hold.seat_number;
    app_back(app);
    app_say(app, true, "Your hold on seat %lld expired and the seat went back on sale.",
            (long long)seat);
}

static bool s_key(app_t *app, int key)
{
    if (key != 'p' && !screen_is_enter(key))
        return false;
    if (!s_can_pay_now(app)) {
        /* Paying needs a turn; the hold outlives the wait if it is short. */
        app_replace_all(app, SCREEN_QUEUE);
        app_say(app, true, "Paying needs your turn: you are back in line. Your hold stays.");
        return true;
    }
    app->pay.stage = PAY_CONFIRM;
    app_push(app, SCREEN_PAY);
    return true;
}

static void s_draw(const app_t *app, const area_t *area)
{
    const bo_reservation_t *hold = &app->hold.hold;
    int row = area->top + 1, col = area->left + 4, width = area->cols - 8;
    char when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], left[FORMAT_TEXT_MAX],
        balance[FORMAT_TEXT_MAX];
    draw_text(row++, col, width, STYLE_TITLE, "Your seat is held");
    row++;
    draw_line(row++, col, width, STYLE_NORMAL, "Concert:   %s", app->hold.title);
    draw_line(row++, col, width, STYLE_NORMAL, "Show:      %s",
              format_show_time(hold->show_time, when));
    draw_line(row++, col, width, STYLE_NORMAL, "Seat:      %c%lld (no. %lld)",
              (char)('A' + (hold->seat_number - 1) / 10),
              (long long)(hold->seat_number - 1) % 10 + 1, (long long)hold->seat_number);
    draw_line(row++, col, width, STYLE_NORMAL, "Price:     %s", format_points(hold->price, price));
    row++;
    draw_line(row++, col, width, STYLE_GOOD, "Hold ends in %s",
              format_countdown(hold->hold_expires_at, app->now, left));
    if (app->balance_known && app->balance < hold->price) {
        char missing[FORMAT_TEXT_MAX];
        draw_line(row++, col, width, STYLE_ERROR,
                  "Your balance is %s: charge at least %s more (w).",
                  format_points(app->balance, balance),
                  format_points(hold->price - app->balance, missing));
    } else if (app->balance_known) {
        draw_line(row++, col, width, STYLE_NORMAL, "Your balance: %s",
                  format_points(app->balance, balance));
    }
    row++;
    if (s_can_pay_now(app))
        draw_text(row++, col, width, STYLE_KEY, "p  pay now");
    else
        draw_text(row++, col, width, STYLE_ERROR,
                  "Your turn has ended: p takes you back in line to pay.");
    draw_text(row++, col, width, STYLE_NORMAL, "w  charge points");
    draw_text(row, col, width, STYLE_DIM,
              "q  back: the seat stays yours until the countdown ends, then goes back on sale");
}

const screen_t screen_hold = {
    .title = "Hold",
    .keys = "p pay",
    .key = s_key,
    .tick = s_tick,
    .draw = s_draw,
};
