/*  screen: the table of screens and the body area they share. */
#define NCURSES_WIDECHAR 1
#include "screen.h"

#include <curses.h>

static const screen_t *const s_screens[SCREEN_COUNT] = {
    [SCREEN_SIGNIN] = &screen_signin,     [SCREEN_QUEUE] = &screen_queue,
    [SCREEN_CONCERTS] = &screen_concerts, [SCREEN_DATES] = &screen_dates,
    [SCREEN_SEATS] = &screen_seats,       [SCREEN_HOLD] = &screen_hold,
    [SCREEN_WALLET] = &screen_wallet,     [SCREEN_PAY] = &screen_pay,
    [SCREEN_TICKETS] = &screen_tickets,
};

const screen_t *screen_for(screen_id_t id)
{
    return s_screens[id];
}

const char *screen_keys(const screen_t *screen, const app_t *app)
{
    if (screen->keys_for)
        return screen->keys_for(app);
    return screen->keys ? screen->keys : "";
}

/* Row 0 is the status bar, row 1 the screen's title; the last two rows are
   the message line and the key bar. */
area_t screen_body(const app_t *app)
{
    return (area_t){.top = 2, .left = 1, .rows = app->rows - 4, .cols = app->cols - 2};
}

bool screen_list_key(int key, int *cursor, int count)
{
    int moved = *cursor;
    switch (key) {
    case APP_KEY(KEY_UP):
    case 'k':
        moved--;
        break;
    case APP_KEY(KEY_DOWN):
    case 'j':
        moved++;
        break;
    case APP_KEY(KEY_HOME):
    case 'g':
        moved = 0;
        break;
    case APP_KEY(KEY_END):
    case 'G':
        moved = count - 1;
        break;
    case APP_KEY(KEY_PPAGE):
        moved -= 10;
        break;
    case APP_KEY(KEY_NPAGE):
        moved += 10;
        break;
    default:
        return false;
    }
    if (moved >= count)
        moved = count - 1;
    if (moved < 0)
        moved = 0;
    *cursor = moved;
    return true;
}

bool screen_is_enter(int key)
{
    return key == APP_ENTER || key == APP_RETURN || key == APP_KEY(KEY_ENTER);
}

bool screen_is_backspace(int key)
{
    return key == APP_BACKSPACE || key == 8 || key == APP_KEY(KEY_BACKSPACE);
}

bool screen_is_printable(int key)
{
    return key >= 0x20 && key != 0x7f && key < APP_KEY_SPECIAL;
}

int screen_list_first(int cursor, int count, int visible)
{
    if (visible <= 0 || count <= visible)
        return 0;
    int first = cursor - visible / 2;
    if (first < 0)
        first = 0;
    if (first > count - visible)
        first = count - visible;
    return first;
}
