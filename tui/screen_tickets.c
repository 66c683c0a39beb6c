/*  screen_tickets: the person's reservations, paid and open. An open hold
    can be picked up from here and paid. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"
#include "text.h"

static void s_enter(app_t *app)
{
    app->tickets.loaded = false;
    app_send(app, BO_OP_RESERVATION_LIST, json_object(), false);
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op != BO_OP_RESERVATION_LIST || status != BO_OK)
        return;
    json_t *list = json_object_get(reply, "reservations");
    app->tickets.count = 0;
    for (size_t i = 0; i < json_array_size(list) && i < APP_TICKETS_MAX; i++) {
        app_ticket_t *item = &app->tickets.items[app->tickets.count];
        if (!codec_parse_reservation(json_array_get(list, i), &item->reservation))
            continue;
        text_copy(item->title, sizeof item->title, item->reservation.title);
        item->reservation.title = item->title;
        app->tickets.count++;
    }
    if (app->tickets.cursor >= app->tickets.count)
        app->tickets.cursor = 0;
    app->tickets.loaded = true;
}

static bool s_key(app_t *app, int key)
{
    if (screen_list_key(key, &app->tickets.cursor, app->tickets.count))
        return true;
    if (key == 'r') {
        s_enter(app);
        return true;
    }
    if (!screen_is_enter(key) || app->tickets.count == 0)
        return false;
    const app_ticket_t *item = &app->tickets.items[app->tickets.cursor];
    if (item->reservation.status != BO_RESERVATION_RESERVED ||
        item->reservation.hold_expires_at <= app->now) {
        app_say(app, false, "Only an open hold can be paid from here.");
        return true;
    }
    app_take_hold(app, &item->reservation);
    app_push(app, SCREEN_HOLD);
    return true;
}

static void s_draw(const app_t *app, const area_t *area)
{
    int col = area->left + 2, width = area->cols - 4;
    if (!app->tickets.loaded) {
        draw_text(area->top + 1, col, width, STYLE_DIM, "Loading your tickets…");
        return;
    }
    if (app->tickets.count == 0) {
        draw_text(area->top + 1, col, width, STYLE_NORMAL, "You have no tickets yet.");
        return;
    }
    /* Narrow terminals drop the weekday, so the concert keeps some room. */
    bool wide = width >= 72;
    draw_text(area->top, col, width, STYLE_DIM,
              wide ? "  Status    Show              Seat  Price       Concert"
                   : "  Status    Show          Seat  Price       Concert");
    int visible = area->rows - 1;
    int first = screen_list_first(app->tickets.cursor, app->tickets.count, visible);
    for (int i = first; i < app->tickets.count && i - first < visible; i++) {
        const bo_reservation_t *reservation = &app->tickets.items[i].reservation;
        char status[32], when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], left[FORMAT_TEXT_MAX],
            seat[FORMAT_TEXT_MAX];
        if (reservation->status == BO_RESERVATION_PAID)
            snprintf(status, sizeof status, "PAID");
        else if (reservation->status == BO_RESERVATION_CANCELLED ||
                 reservation->hold_expires_at <= app->now)
            snprintf(status, sizeof status, "lapsed");
        else
            snprintf(status, sizeof status, "held %s",
                     format_countdown(reservation->hold_expires_at, app->now, left));
        bool here = i == app->tickets.cursor;
        style_t style = here                                              ? STYLE_CURSOR
                        : reservation->status == BO_RESERVATION_CANCELLED ? STYLE_DIM
                                                                          : STYLE_NORMAL;
        if (wide)
            format_show_time(reservation->show_time, when);
        else
            format_short_time(reservation->show_time, when);
        draw_line(area->top + 1 + i - first, col, width, style, "%s %-9s %-*s  %-4s  %-10s  %s",
                  here ? ">" : " ", status, wide ? 16 : 12, when,
                  format_seat(reservation->seat_number, seat),
                  format_points(reservation->price, price), reservation->title);
    }
}

static const char *const s_help[] = {
    SCREEN_HELP_LIST,
    "Enter        pay for a held seat",
    "r            refresh the list",
    NULL,
};

const screen_t screen_tickets = {
    .title = "My tickets",
    .keys = "↑↓ move  Enter pay a held seat  r refresh",
    .help = s_help,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
