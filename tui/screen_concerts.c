/*  screen_concerts: the list of concerts. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "screen.h"
#include "text.h"

static void s_enter(app_t *app)
{
    app->concerts.loaded = false;
    app_send(app, BO_OP_CONCERT_LIST, json_object(), true);
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op != BO_OP_CONCERT_LIST || status != BO_OK)
        return;
    json_t *concerts = json_object_get(reply, "concerts");
    app->concerts.count = 0;
    for (size_t i = 0; i < json_array_size(concerts) && i < APP_CONCERTS_MAX; i++) {
        bo_concert_t concert;
        if (!codec_parse_concert(json_array_get(concerts, i), &concert))
            continue;
        app_concert_t *item = &app->concerts.items[app->concerts.count++];
        item->concert_id = concert.concert_id;
        text_copy(item->title, sizeof item->title, concert.title);
        text_copy(item->performer, sizeof item->performer, concert.performer);
    }
    if (app->concerts.cursor >= app->concerts.count)
        app->concerts.cursor = 0;
    app->concerts.loaded = true;
}

static bool s_key(app_t *app, int key)
{
    if (screen_list_key(key, &app->concerts.cursor, app->concerts.count))
        return true;
    if (key == 'r') {
        s_enter(app);
        return true;
    }
    if (!screen_is_enter(key) || app->concerts.count == 0)
        return false;
    const app_concert_t *chosen = &app->concerts.items[app->concerts.cursor];
    app->dates.concert_id = chosen->concert_id;
    text_copy(app->dates.concert_title, sizeof app->dates.concert_title, chosen->title);
    app_push(app, SCREEN_DATES);
    return true;
}

static void s_draw(const app_t *app, const area_t *area)
{
    int col = area->left + 2, width = area->cols - 4;
    if (!app->concerts.loaded) {
        draw_text(area->top + 1, col, width, STYLE_DIM, "Loading concerts…");
        return;
    }
    if (app->concerts.count == 0) {
        draw_text(area->top + 1, col, width, STYLE_NORMAL, "There are no concerts yet.");
        return;
    }
    int title_width = width * 3 / 5;
    draw_text(area->top, col, title_width, STYLE_DIM, "  Concert");
    draw_text(area->top, col + title_width, width - title_width, STYLE_DIM, "Performer");
    int visible = area->rows - 2;
    int first = screen_list_first(app->concerts.cursor, app->concerts.count, visible);
    for (int i = first; i < app->concerts.count && i - first < visible; i++) {
        const app_concert_t *item = &app->concerts.items[i];
        bool here = i == app->concerts.cursor;
        char title[APP_TITLE_MAX + 4];
        snprintf(title, sizeof title, "%s %s", here ? ">" : " ", item->title);
        int row = area->top + 1 + i - first;
        style_t style = here ? STYLE_CURSOR : STYLE_NORMAL;
        /* One cell stays blank between the columns. */
        draw_text(row, col, title_width - 1, style, title);
        draw_text(row, col + title_width - 1, 1, style, " ");
        draw_text(row, col + title_width, width - title_width, style, item->performer);
    }
}

static const char *const s_help[] = {
    SCREEN_HELP_LIST,
    "Enter        see the dates of the concert",
    "r            refresh the list",
    NULL,
};

const screen_t screen_concerts = {
    .title = "Concerts",
    .keys = "↑↓ move  Enter dates  r refresh",
    .help = s_help,
    .needs_token = true,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
