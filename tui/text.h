/*  text: UTF-8 strings measured in terminal cells.

    Korean titles take two cells a character; alignment in tables and the
    seat grid depends on counting cells, not bytes. These need the process
    locale to be a UTF-8 one (the client sets it from the environment, and
    falls back to C.UTF-8).
*/
#ifndef BO_TEXT_H
#define BO_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Cells the string takes on a terminal. Invalid bytes count one cell. */
int text_width(const char *utf8);

/* Copies as much of `utf8` as fits in `columns` cells into `out`, ending
   with "…" when something was cut; with `pad`, spaces fill it to exactly
   `columns` cells. `out` must hold at least 4 * columns + 1 bytes. */
void text_fit(const char *utf8, int columns, bool pad, char *out, size_t out_size);

/* Copies at most out_size - 1 bytes without cutting a character in half. */
void text_copy(char *out, size_t out_size, const char *utf8);

/* Appends the UTF-8 form of a code point if it fits in `out` (of
   out_size bytes, NUL-terminated). Returns false if it does not. */
bool text_append_code_point(char *out, size_t out_size, unsigned long code_point);

/* Removes the last character (not just the last byte). */
void text_pop_char(char *utf8);

#endif
