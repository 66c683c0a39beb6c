/*  draw: styles and fitted UTF-8 text on ncurses. */
#define NCURSES_WIDECHAR 1
#include "draw.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>

#include "text.h"

static chtype s_attrs[STYLE_COUNT];
static bool s_color;

void draw_init(bool use_color)
{
    s_color = use_color && has_colors();
    if (s_color) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_CYAN, -1);
        init_pair(2, COLOR_WHITE, COLOR_BLUE);
        init_pair(3, COLOR_RED, -1);
        init_pair(4, COLOR_GREEN, -1);
        init_pair(5, COLOR_YELLOW, -1);
        init_pair(6, COLOR_MAGENTA, -1);
        init_pair(7, COLOR_BLACK, COLOR_CYAN);
        s_attrs[STYLE_NORMAL] = A_NORMAL;
        s_attrs[STYLE_TITLE] = COLOR_PAIR(1) | A_BOLD;
        s_attrs[STYLE_DIM] = A_DIM;
        s_attrs[STYLE_BAR] = COLOR_PAIR(2);
        s_attrs[STYLE_ERROR] = COLOR_PAIR(3) | A_BOLD;
        s_attrs[STYLE_GOOD] = COLOR_PAIR(4) | A_BOLD;
        s_attrs[STYLE_CURSOR] = COLOR_PAIR(7) | A_BOLD;
        s_attrs[STYLE_SEAT_FREE] = COLOR_PAIR(4);
        s_attrs[STYLE_SEAT_FREE_FRONT] = COLOR_PAIR(6) | A_BOLD;
        s_attrs[STYLE_SEAT_HELD] = COLOR_PAIR(5);
        s_attrs[STYLE_SEAT_SOLD] = COLOR_PAIR(3) | A_DIM;
        s_attrs[STYLE_KEY] = COLOR_PAIR(1) | A_BOLD;
        return;
    }
    s_attrs[STYLE_NORMAL] = A_NORMAL;
    s_attrs[STYLE_TITLE] = A_BOLD;
    s_attrs[STYLE_DIM] = A_DIM;
    s_attrs[STYLE_BAR] = A_REVERSE;
    s_attrs[STYLE_ERROR] = A_BOLD;
    s_attrs[STYLE_GOOD] = A_BOLD;
    s_attrs[STYLE_CURSOR] = A_REVERSE;
    s_attrs[STYLE_SEAT_FREE] = A_NORMAL;
    s_attrs[STYLE_SEAT_FREE_FRONT] = A_BOLD;
    s_attrs[STYLE_SEAT_HELD] = A_UNDERLINE;
    s_attrs[STYLE_SEAT_SOLD] = A_DIM;
    s_attrs[STYLE_KEY] = A_BOLD;
}

bool draw_has_color(void)
{
    return s_color;
}

void draw_text(int row, int col, int width, style_t style, const char *utf8)
{
    if (width <= 0)
        return;
    char fitted[1024];
    if (width > 250)
        width = 250;
    text_fit(utf8, width, true, fitted, sizeof fitted);
    attrset(s_attrs[style]);
    mvaddstr(row, col, fitted);
    attrset(A_NORMAL);
}

void draw_centered(int row, int col, int width, style_t style, const char *utf8)
{
    int used = text_width(utf8);
    if (used > width)
        used = width;
    int offset = (width - used) / 2;
    draw_text(row, col + offset, used, style, utf8);
}

void draw_line(int row, int col, int width, style_t style, const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    draw_text(row, col, width, style, line);
}
