/*  text: UTF-8 width and fitting, with the C library's wide characters. */
/* wcwidth() is X/Open. */
#define _XOPEN_SOURCE 700
#include "text.h"

#include <string.h>
#include <wchar.h>

/* The next character of `utf8`: its length in bytes and cells. */
static size_t s_next(const char *utf8, size_t available, int *cells)
{
    mbstate_t state;
    memset(&state, 0, sizeof state);
    wchar_t wide;
    size_t length = mbrtowc(&wide, utf8, available, &state);
    if (length == (size_t)-1 || length == (size_t)-2 || length == 0) {
        *cells = 1;
        return 1;
    }
    int width = wcwidth(wide);
    *cells = width < 0 ? 1 : width;
    return length;
}

int text_width(const char *utf8)
{
    int total = 0;
    size_t remaining = strlen(utf8);
    while (remaining > 0) {
        int cells;
        size_t length = s_next(utf8, remaining, &cells);
        total += cells;
        utf8 += length;
        remaining -= length;
    }
    return total;
}

void text_fit(const char *utf8, int columns, bool pad, char *out, size_t out_size)
{
    static const char ellipsis[] = "…";
    size_t used = 0, remaining = strlen(utf8);
    int cells_used = 0;
    bool cut = text_width(utf8) > columns;
    /* Leave a cell for the ellipsis when the text will not fit. */
    int budget = cut ? columns - 1 : columns;
    while (remaining > 0) {
        int cells;
        size_t length = s_next(utf8, remaining, &cells);
        if (cells_used + cells > budget || used + length + sizeof ellipsis >= out_size)
            break;
        memcpy(out + used, utf8, length);
        used += length;
        cells_used += cells;
        utf8 += length;
        remaining -= length;
    }
    if (cut && columns > 0 && used + sizeof ellipsis <= out_size) {
        memcpy(out + used, ellipsis, sizeof ellipsis - 1);
        used += sizeof ellipsis - 1;
        cells_used++;
    }
    while (pad && cells_used < columns && used + 1 < out_size) {
        out[used++] = ' ';
        cells_used++;
    }
    out[used] = '\0';
}

void text_copy(char *out, size_t out_size, const char *utf8)
{
    size_t used = 0, remaining = strlen(utf8);
    while (remaining > 0) {
        int cells;
        size_t length = s_next(utf8, remaining, &cells);
        if (used + length >= out_size)
            break;
        memcpy(out + used, utf8, length);
        used += length;
        utf8 += length;
        remaining -= length;
    }
    out[used] = '\0';
}

bool text_append_code_point(char *out, size_t out_size, unsigned long code_point)
{
    char encoded[4];
    size_t length;
    if (code_point < 0x80) {
        encoded[0] = (char)code_point;
        length = 1;
    } else if (code_point < 0x800) {
        encoded[0] = (char)(0xc0 | (code_point >> 6));
        encoded[1] = (char)(0x80 | (code_point & 0x3f));
        length = 2;
    } else if (code_point < 0x10000) {
        if (code_point >= 0xd800 && code_point < 0xe000)
            return false;
        encoded[0] = (char)(0xe0 | (code_point >> 12));
        encoded[1] = (char)(0x80 | ((code_point >> 6) & 0x3f));
        encoded[2] = (char)(0x80 | (code_point & 0x3f));
        length = 3;
    } else if (code_point < 0x110000) {
        encoded[0] = (char)(0xf0 | (code_point >> 18));
        encoded[1] = (char)(0x80 | ((code_point >> 12) & 0x3f));
        encoded[2] = (char)(0x80 | ((code_point >> 6) & 0x3f));
        encoded[3] = (char)(0x80 | (code_point & 0x3f));
        length = 4;
    } else {
        return false;
    }
    size_t used = strlen(out);
    if (used + length >= out_size)
        return false;
    memcpy(out + used, encoded, length);
    out[used + length] = '\0';
    return true;
}

void text_pop_char(char *utf8)
{
    size_t length = strlen(utf8);
    /* Step back over continuation bytes (10xxxxxx) to the lead byte. */
    while (length > 0) {
        length--;
        if (((unsigned char)utf8[length] & 0xc0) != 0x80)
            break;
    }
    utf8[length] = '\0';
}
