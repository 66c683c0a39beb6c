/*  screen_hold: a held seat and the time left to pay for it. From here the
    person pays, charges points, or lets the hold lapse. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

static void s_tick(app_t *app)
{
    if (app->hold.hold.hold_expires_at > app->now)
        return;
    app_hold_lapsed(app);
}

static bool s_key(app_t *app, int key)
{
    if (key != 'p' && !screen_is_enter(key))
        return false;
    if (!app_turn_active(app)) {
        /* Paying needs a turn; the hold outlives the wait if it is short,
           and the person comes back here when the turn comes. */
        char seat[FORMAT_TEXT_MAX];
        app->hold.resume = true;
        app_replace_all(app, SCREEN_QUEUE);
        app_say(app, true,
                "Paying needs your turn: you are back in line. Your hold on seat %s stays and "
                "you return to it when your turn comes.",
                format_seat(app->hold.hold.seat_number, seat));
        return true;
    }
    app->pay.stage = PAY_CONFIRM;
    app_push(app, SCREEN_PAY);
    return true;
}

static void s_draw(const app_t *app, const area_t *area)
{
    const bo_reservation_t *hold = &app->hold.hold;
    int row = area->top + 1, col = area->left + 2, width = area->cols - 4;
    char when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], left[FORMAT_TEXT_MAX],
        balance[FORMAT_TEXT_MAX], seat[FORMAT_TEXT_MAX];
    draw_text(row++, col, width, STYLE_TITLE, "Your seat is held");
    row++;
    draw_line(row++, col, width, STYLE_NORMAL, "Concert:   %s", app->hold.title);
    draw_line(row++, col, width, STYLE_NORMAL, "Show:      %s",
              format_show_time(hold->show_time, when));
    draw_line(row++, col, width, STYLE_NORMAL, "Seat:      %s",
              format_seat(hold->seat_number, seat));
    draw_line(row++, col, width, STYLE_NORMAL, "Price:     %s", format_points(hold->price, price));
    row++;
    draw_line(row++, col, width, STYLE_GOOD, "Hold ends in %s",
              format_countdown(hold->hold_expires_at, app->now, left));
    if (app->balance_known && app->balance < hold->price) {
        char missing[FORMAT_TEXT_MAX];
        draw_line(row++, col, width, STYLE_ERROR, "Balance %s: charge at least %s more (w).",
                  format_points(app->balance, balance),
                  format_points(hold->price - app->balance, missing));
    } else if (app->balance_known) {
        draw_line(row++, col, width, STYLE_NORMAL, "Your balance: %s",
                  format_points(app->balance, balance));
    }
    row++;
    if (app_turn_active(app))
        draw_text(row++, col, width, STYLE_KEY, "p  pay now");
    else
        draw_text(row++, col, width, STYLE_ERROR, "Your turn ended: p lines up again to pay.");
    draw_text(row++, col, width, STYLE_NORMAL, "w  charge points");
    draw_text(row, col, width, STYLE_DIM, "q  back; the seat stays yours until the countdown ends");
}

static const char *const s_help[] = {
    "p, Enter     pay for the held seat",
    "w            charge points first",
    NULL,
};

const screen_t screen_hold = {
    .title = "Hold",
    .keys = "p pay",
    .help = s_help,
    .key = s_key,
    .tick = s_tick,
    .draw = s_draw,
};
