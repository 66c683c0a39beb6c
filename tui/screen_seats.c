/*  screen_seats: the hall as a grid of 50 seats, refreshed while the person
    looks, so seats others take turn unavailable. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "format.h"
#include "screen.h"
#include "text.h"

#define SEATS_PER_ROW 10
#define HALL_ROWS     (BO_SEAT_MAX / SEATS_PER_ROW)
#define CELL_WIDTH    5 /* "[07]" and a space */
#define LABEL_WIDTH   3 /* "A  " */
#define GRID_WIDTH    (LABEL_WIDTH + SEATS_PER_ROW * CELL_WIDTH - 1)
#define GRID_TOP      4 /* rows below the body's top */

static void s_request_seats(app_t *app)
{
    app->seats.last_refresh = app->now;
    app_send(app, BO_OP_CONCERT_SEATS,
             json_pack("{s:I}", "schedule_id", (json_int_t)app->seats.show.schedule_id), true);
}

static void s_enter(app_t *app)
{
    app->seats.loaded = false;
    app->seats.reserving = false;
    s_request_seats(app);
}

static int s_first_free(const app_t *app)
{
    for (int i = 0; i < app->seats.count; i++)
        if (app->seats.seats[i].status == BO_SEAT_FREE)
            return i;
    return 0;
}

static void s_take_seat_list(app_t *app, const json_t *reply)
{
    json_t *seats = json_object_get(reply, "seats");
    app->seats.count = 0;
    for (size_t i = 0; i < json_array_size(seats) && i < BO_SEAT_MAX; i++) {
        bo_seat_t seat;
        if (codec_parse_seat(json_array_get(seats, i), &seat) && seat.number >= 1 &&
            seat.number <= BO_SEAT_MAX)
            app->seats.seats[seat.number - 1] = seat;
    }
    app->seats.count = BO_SEAT_MAX;
    if (app->seats.cursor < 0 || app->seats.cursor >= BO_SEAT_MAX)
        app->seats.cursor = s_first_free(app);
    app->seats.loaded = true;
}

static void s_take_hold(app_t *app, const json_t *reply)
{
    bo_reservation_t hold;
    if (!codec_parse_hold(reply, &hold))
        return;
    app_take_hold(app, &hold);
    char seat[FORMAT_TEXT_MAX];
    app_push(app, SCREEN_HOLD);
    app_say(app, false, "Seat %s is held for you. Pay before the countdown ends.",
            format_seat(hold.seat_number, seat));
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op == BO_OP_CONCERT_SEATS && status == BO_OK) {
        s_take_seat_list(app, reply);
    } else if (op == BO_OP_SEAT_RESERVE) {
        app->seats.reserving = false;
        char seat[FORMAT_TEXT_MAX];
        format_seat(app->seats.reserving_seat, seat);
        if (status == BO_OK) {
            s_take_hold(app, reply);
        } else if (status == BO_SEAT_TAKEN) {
            app_say(app, true, "Someone else took seat %s just now; choose another.", seat);
            s_request_seats(app);
        } else if (status == BO_HOLD_LIMIT) {
            app_say(app, true, "You already hold %d seats: pay for one in My tickets (t).",
                    BO_MAX_HOLDS);
        } else if (status == BO_NOT_RESERVABLE) {
            app_say(app, true, "Seat %s cannot be held: this show is not open for booking now.",
                    seat);
        }
    }
}

static void s_tick(app_t *app)
{
    if (!app_is_pending(app, BO_OP_CONCERT_SEATS) &&
        app->now - app->seats.last_refresh >= APP_SEATS_POLL_MS)
        s_request_seats(app);
}

/* Seat 13 is "B3": rows of ten from the stage back. */
static void s_seat_name(int index, char name[FORMAT_TEXT_MAX])
{
    format_seat(index + 1, name);
}

static void s_reserve(app_t *app)
{
    const bo_seat_t *seat = &app->seats.seats[app->seats.cursor];
    char name[FORMAT_TEXT_MAX];
    s_seat_name(app->seats.cursor, name);
    if (app->seats.reserving) {
        char asked[FORMAT_TEXT_MAX];
        app_say(app, false, "Waiting for the server… (holding seat %s)",
                format_seat(app->seats.reserving_seat, asked));
        return;
    }
    if (seat->status != BO_SEAT_FREE) {
        app_say(app, true, "Seat %s is %s; choose a free one.", name,
                seat->status == BO_SEAT_SOLD ? "sold" : "held by someone");
        return;
    }
    app->seats.reserving = true;
    app->seats.reserving_seat = seat->number;
    app_send(app, BO_OP_SEAT_RESERVE,
             json_pack("{s:I, s:I}", "schedule_id", (json_int_t)app->seats.show.schedule_id,
                       "seat_number", (json_int_t)seat->number),
             true);
    app_say(app, false, "Holding seat %s…", name);
}

static bool s_key(app_t *app, int key)
{
    if (!app->seats.loaded)
        return false;
    int row = app->seats.cursor / SEATS_PER_ROW, col = app->seats.cursor % SEATS_PER_ROW;
    switch (key) {
    case APP_KEY(KEY_UP):
    case 'k':
        row = row > 0 ? row - 1 : 0;
        break;
    case APP_KEY(KEY_DOWN):
    case 'j':
        row = row < HALL_ROWS - 1 ? row + 1 : row;
        break;
    case APP_KEY(KEY_LEFT):
    case 'h':
        col = col > 0 ? col - 1 : 0;
        break;
    case APP_KEY(KEY_RIGHT):
    case 'l':
        col = col < SEATS_PER_ROW - 1 ? col + 1 : col;
        break;
    case 'r':
        s_request_seats(app);
        return true;
    case ' ':
        s_reserve(app);
        return true;
    default:
        if (!screen_is_enter(key))
            return false;
        s_reserve(app);
        return true;
    }
    app->seats.cursor = row * SEATS_PER_ROW + col;
    return true;
}

static int s_grid_left(const area_t *area)
{
    int left = area->left + (area->cols - GRID_WIDTH) / 2;
    return left < area->left ? area->left : left;
}

static void s_click(app_t *app, int row, int col)
{
    area_t area = screen_body(app);
    int grid_row = row - (area.top + GRID_TOP);
    int offset = col - (s_grid_left(&area) + LABEL_WIDTH);
    if (!app->seats.loaded || grid_row < 0 || grid_row >= HALL_ROWS || offset < 0 ||
        offset % CELL_WIDTH == CELL_WIDTH - 1 || offset / CELL_WIDTH >= SEATS_PER_ROW)
        return;
    int index = grid_row * SEATS_PER_ROW + offset / CELL_WIDTH;
    if (index == app->seats.cursor)
        s_reserve(app);
    else
        app->seats.cursor = index;
}

/* The cheaper tier is drawn plain; dearer seats stand out, whichever rows
   they are in. */
static int64_t s_lowest_price(const app_t *app)
{
    int64_t lowest = app->seats.seats[0].price;
    for (int i = 1; i < app->seats.count; i++)
        if (app->seats.seats[i].price < lowest)
            lowest = app->seats.seats[i].price;
    return lowest;
}

static void s_draw_cell(const app_t *app, int index, int row, int col)
{
    const bo_seat_t *seat = &app->seats.seats[index];
    char cell[16];
    style_t style;
    /* The symbol tells the state without colour: [07] free, [··] held,
       [××] sold; the cursor's brackets turn to arrows. */
    if (seat->status == BO_SEAT_FREE) {
        snprintf(cell, sizeof cell, "[%02lld]", (long long)seat->number);
        style = seat->price > s_lowest_price(app) ? STYLE_SEAT_FREE_FRONT : STYLE_SEAT_FREE;
    } else if (seat->status == BO_SEAT_HELD) {
        snprintf(cell, sizeof cell, "[··]");
        style = STYLE_SEAT_HELD;
    } else {
        snprintf(cell, sizeof cell, "[××]");
        style = STYLE_SEAT_SOLD;
    }
    if (index == app->seats.cursor) {
        cell[0] = '>';
        cell[strlen(cell) - 1] = '<';
        style = STYLE_CURSOR;
    }
    draw_text(row, col, CELL_WIDTH - 1, style, cell);
}

/* "Rows A–B 120,000 P · Rows C–E 80,000 P": price tiers by row. */
static void s_tiers(const app_t *app, char *out, size_t size)
{
    out[0] = '\0';
    int start = 0;
    for (int row = 1; row <= HALL_ROWS; row++) {
        int64_t price = app->seats.seats[start * SEATS_PER_ROW].price;
        if (row < HALL_ROWS && app->seats.seats[row * SEATS_PER_ROW].price == price)
            continue;
        char points[FORMAT_TEXT_MAX], part[96];
        if (row - 1 == start)
            snprintf(part, sizeof part, "%sRow %c %s", out[0] ? " · " : "", 'A' + start,
                     format_points(price, points));
        else
            snprintf(part, sizeof part, "%sRows %c–%c %s", out[0] ? " · " : "", 'A' + start,
                     'A' + row - 1, format_points(price, points));
        strncat(out, part, size - strlen(out) - 1);
        start = row;
    }
}

/* Under the grid and aligned with it, whatever the terminal's width. */
static void s_draw_details(const app_t *app, const area_t *area, int row)
{
    int col = s_grid_left(area), width = area->left + area->cols - col;
    char tiers[256];
    s_tiers(app, tiers, sizeof tiers);
    draw_text(row++, col, width, STYLE_DIM, "[07] free   [··] held   [××] sold   >07< cursor");
    draw_text(row++, col, width, STYLE_DIM, tiers);
    const bo_seat_t *seat = &app->seats.seats[app->seats.cursor];
    char name[FORMAT_TEXT_MAX], price[FORMAT_TEXT_MAX];
    s_seat_name(app->seats.cursor, name);
    static const char *const states[] = {"free: Enter holds it for you", "held by someone", "sold"};
    draw_line(row, col, width, seat->status == BO_SEAT_FREE ? STYLE_GOOD : STYLE_NORMAL,
              "Seat %s · %s · %s", name, format_points(seat->price, price), states[seat->status]);
}

static void s_draw(const app_t *app, const area_t *area)
{
    char when[FORMAT_TEXT_MAX];
    draw_line(area->top, area->left + 2, area->cols - 4, STYLE_TITLE, "%s — %s",
              app->seats.show_title, format_show_time(app->seats.show.show_time, when));
    if (!app->seats.loaded) {
        draw_text(area->top + 2, area->left + 2, area->cols - 4, STYLE_DIM, "Loading seats…");
        return;
    }
    int left = s_grid_left(area);
    draw_centered(area->top + 2, left, GRID_WIDTH, STYLE_BAR, "        S T A G E        ");
    for (int hall_row = 0; hall_row < HALL_ROWS; hall_row++) {
        int row = area->top + GRID_TOP + hall_row;
        char label[4] = {(char)('A' + hall_row), '\0'};
        draw_text(row, left, LABEL_WIDTH, STYLE_DIM, label);
        for (int seat = 0; seat < SEATS_PER_ROW; seat++)
            s_draw_cell(app, hall_row * SEATS_PER_ROW + seat, row,
                        left + LABEL_WIDTH + seat * CELL_WIDTH);
    }
    s_draw_details(app, area, area->top + GRID_TOP + HALL_ROWS + 1);
}

static const char *const s_help[] = {
    "← ↑ ↓ →      move (also h j k l)",
    "Enter, Space hold the seat under the cursor",
    "mouse        click a seat, click again to hold it",
    "r            refresh the seats",
    NULL,
};

const screen_t screen_seats = {
    .title = "Seats",
    .keys = "hjkl/←↑↓→ move  Enter hold  r refresh",
    .help = s_help,
    .needs_token = true,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .tick = s_tick,
    .click = s_click,
    .draw = s_draw,
};
