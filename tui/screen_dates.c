/*  screen_dates: the shows of one concert open for booking now. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "format.h"
#include "screen.h"
#include "text.h"

static void s_enter(app_t *app)
{
    app->dates.loaded = false;
    app_send(app, BO_OP_CONCERT_DATES,
             json_pack("{s:I}", "concert_id", (json_int_t)app->dates.concert_id), true);
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op != BO_OP_CONCERT_DATES || status != BO_OK)
        return;
    json_t *dates = json_object_get(reply, "dates");
    app->dates.count = 0;
    for (size_t i = 0; i < json_array_size(dates) && i < APP_DATES_MAX; i++) {
        bo_schedule_t schedule;
        if (!codec_parse_schedule(json_array_get(dates, i), &schedule))
            continue;
        int index = app->dates.count++;
        text_copy(app->dates.titles[index], sizeof app->dates.titles[index], schedule.title);
        schedule.title = app->dates.titles[index];
        schedule.performer = NULL; /* not kept */
        app->dates.items[index].schedule = schedule;
    }
    if (app->dates.cursor >= app->dates.count)
        app->dates.cursor = 0;
    app->dates.loaded = true;
}

static bool s_key(app_t *app, int key)
{
    if (screen_list_key(key, &app->dates.cursor, app->dates.count))
        return true;
    if (key == 'r') {
        s_enter(app);
        return true;
    }
    if (!screen_is_enter(key) || app->dates.count == 0)
        return false;
    const bo_schedule_t *chosen = &app->dates.items[app->dates.cursor].schedule;
    app->seats.show = *chosen;
    text_copy(app->seats.show_title, sizeof app->seats.show_title, chosen->title);
    app->seats.show.title = app->seats.show_title;
    app->seats.cursor = -1;
    app_push(app, SCREEN_SEATS);
    return true;
}

static void s_draw(const app_t *app, const area_t *area)
{
    int col = area->left + 2, width = area->cols - 4;
    draw_text(area->top, col, width, STYLE_TITLE, app->dates.concert_title);
    if (!app->dates.loaded) {
        draw_text(area->top + 2, col, width, STYLE_DIM, "Loading dates…");
        return;
    }
    if (app->dates.count == 0) {
        draw_text(area->top + 2, col, width, STYLE_NORMAL,
                  "No show of this concert is open for booking right now.");
        draw_text(area->top + 3, col, width, STYLE_DIM, "q goes back to the concerts.");
        return;
    }
    /* The reservation window gets a column when there is room for it, and
       the chosen show's window is spelled out in full below the list. */
    bool window_column = width >= 63;
    draw_text(area->top + 2, col, width, STYLE_DIM,
              window_column ? "  Show                   From  Left  Booking window"
                            : "  Show                   From  Left");
    int visible = area->rows - 6;
    int first = screen_list_first(app->dates.cursor, app->dates.count, visible);
    int row = area->top + 3;
    for (int i = first; i < app->dates.count && i - first < visible; i++, row++) {
        const bo_schedule_t *show = &app->dates.items[i].schedule;
        char when[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX], opens[FORMAT_TEXT_MAX],
            closes[FORMAT_TEXT_MAX];
        bool here = i == app->dates.cursor;
        draw_line(row, col, width, here ? STYLE_CURSOR : STYLE_NORMAL,
                  "%s %-16s %10s  %4lld  %s%s%s", here ? ">" : " ",
                  format_show_time(show->show_time, when), format_points(show->price, price),
                  (long long)show->left_tickets,
                  window_column ? format_short_time(show->reservation_start, opens) : "",
                  window_column ? " – " : "",
                  window_column ? format_short_time(show->reservation_end, closes) : "");
    }
    const bo_schedule_t *chosen = &app->dates.items[app->dates.cursor].schedule;
    char opens[FORMAT_TEXT_MAX], closes[FORMAT_TEXT_MAX];
    draw_line(row + 1, col, width, STYLE_NORMAL, "Booking window: %s – %s",
              format_local_time(chosen->reservation_start, opens),
              format_local_time(chosen->reservation_end, closes));
}

static const char *const s_help[] = {
    SCREEN_HELP_LIST,
    "Enter        see the seats of the show",
    "r            refresh the list",
    NULL,
};

const screen_t screen_dates = {
    .title = "Dates",
    .keys = "↑↓ move  Enter seats  r refresh",
    .help = s_help,
    .needs_token = true,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
