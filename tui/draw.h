/*  draw: the few ways the client puts text on the terminal.

    Every screen draws through styles, not raw colours: draw_init() maps
    each style to a colour pair when the terminal has colours (and NO_COLOR
    is unset), or to plain attributes (bold, dim, reverse, underline) when
    not, so everything still reads on a monochrome terminal. Text is UTF-8
    and is fitted by display cells, so wide (Korean) characters align.
*/
#ifndef BO_DRAW_H
#define BO_DRAW_H

#include <stdbool.h>

typedef enum {
    STYLE_NORMAL,
    STYLE_TITLE,
    STYLE_DIM,
    STYLE_BAR,
    STYLE_ERROR,
    STYLE_GOOD,
    STYLE_CURSOR,
    STYLE_SEAT_FREE,
    STYLE_SEAT_FREE_FRONT,
    STYLE_SEAT_HELD,
    STYLE_SEAT_SOLD,
    STYLE_KEY,
    STYLE_COUNT
} style_t;

/* Call after initscr(). */
void draw_init(bool use_color);
bool draw_has_color(void);

/* Text at (row, col) fitted to `width` cells (padded with spaces). */
void draw_text(int row, int col, int width, style_t style, const char *utf8);
/* Text centred in `width` cells starting at col. */
void draw_centered(int row, int col, int width, style_t style, const char *utf8);
/* printf into a line, then draw_text. */
void draw_line(int row, int col, int width, style_t style, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

#endif
