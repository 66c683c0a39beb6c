/*  chrome: status bar, title, message line, key bar, help. */
#define NCURSES_WIDECHAR 1
#include "chrome.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "format.h"
#include "screen.h"
#include "text.h"

/* "●" when the server answers, "○" while it does not (yet). */
static const char *s_connection(const app_t *app)
{
    if (app->connected)
        return " ● connected ";
    return app->link_lost ? " ○ reconnecting… " : " ○ connecting… ";
}

/* The status bar drops its least useful parts first when narrow: the
   program's name, then the user; the countdown always stays. */
static void s_status_bar(const app_t *app)
{
    char user[48] = "not signed in", balance[FORMAT_TEXT_MAX] = "", token[96],
         left[FORMAT_TEXT_MAX];
    if (app->user_id && app->user_name[0])
        text_copy(user, sizeof user, app->user_name);
    else if (app->user_id)
        snprintf(user, sizeof user, "user %lld", (long long)app->user_id);
    if (app->balance_known)
        format_points(app->balance, balance);
    if (app->has_token && app->token_status == BO_TOKEN_ACTIVE)
        snprintf(token, sizeof token, "your turn: %s left",
                 format_countdown(app->token_expires_at, app->now, left));
    else if (app->has_token && app->token_status == BO_TOKEN_WAIT)
        snprintf(token, sizeof token, "in line: %lld", (long long)app->queue.position);
    else
        snprintf(token, sizeof token, "not in line");
    const char *connection = s_connection(app);
    int room = app->cols - text_width(connection);
    char bar[512];
    for (int drop = 0; drop < 3; drop++) {
        snprintf(bar, sizeof bar, " %s%s%s%s%s%s", drop < 1 ? "boxoffice │ " : "",
                 drop < 2 ? user : "", drop < 2 ? " │ " : "", balance, balance[0] ? " │ " : "",
                 token);
        if (text_width(bar) <= room)
            break;
    }
    draw_text(0, 0, room, STYLE_BAR, bar);
    draw_text(0, room, app->cols - room, STYLE_BAR, connection);
}

/* The screen's own keys first, so a narrow terminal cuts the shared ones. */
static void s_key_bar(const app_t *app, const screen_t *screen)
{
    char keys[256];
    const char *own = screen_keys(screen, app);
    bool signed_in = app->user_id && app_screen(app) != SCREEN_SIGNIN;
    snprintf(keys, sizeof keys, " %s%s? help  %s%s", own, own[0] ? "  │  " : "",
             app->depth <= 1 ? "q quit" : "q back", signed_in ? "  w wallet  t tickets" : "");
    draw_text(app->rows - 1, 0, app->cols, STYLE_BAR, keys);
}

static const char *const s_help_everywhere[] = {
    "?            this help (any key closes it)",
    "q, Esc       back; on the first screen, quit",
    "Q, Ctrl-C    quit at once",
};
static const char *const s_help_signed_in[] = {
    "w            wallet: balance, charge, activity",
    "t            my tickets: paid seats, open holds",
};

/* The help: this screen's keys, then the keys that work everywhere, in a
   frame over a cleared band of the terminal, so nothing shows through. */
static void s_help_overlay(const app_t *app, const screen_t *screen)
{
    const char *lines[40];
    int count = 0;
    char heading[96];
    snprintf(heading, sizeof heading, "Keys: %s", screen->title);
    lines[count++] = heading;
    for (int i = 0; screen->help && screen->help[i] && count < 24; i++)
        lines[count++] = screen->help[i];
    lines[count++] = "";
    for (size_t i = 0; i < sizeof s_help_everywhere / sizeof s_help_everywhere[0]; i++)
        lines[count++] = s_help_everywhere[i];
    if (app->user_id && app_screen(app) != SCREEN_SIGNIN)
        for (size_t i = 0; i < sizeof s_help_signed_in / sizeof s_help_signed_in[0]; i++)
            lines[count++] = s_help_signed_in[i];
    int width = app->cols - 4 > 60 ? 60 : app->cols - 4;
    int height = count + 2;
    if (height > app->rows)
        height = app->rows, count = height - 2;
    int top = (app->rows - height) / 2, left = (app->cols - width) / 2;
    char edge[256 * 3 + 8];
    for (int row = 0; row < height; row++)
        draw_text(top + row, 0, app->cols, STYLE_NORMAL, "");
    for (int row = 0; row < height; row += height - 1) {
        size_t used = 0;
        used += (size_t)snprintf(edge + used, sizeof edge - used, "%s", row ? "└" : "┌");
        for (int i = 0; i < width - 2 && used + 4 < sizeof edge; i++)
            used += (size_t)snprintf(edge + used, sizeof edge - used, "─");
        snprintf(edge + used, sizeof edge - used, "%s", row ? "┘" : "┐");
        draw_text(top + row, left, width, STYLE_TITLE, edge);
    }
    for (int i = 0; i < count; i++) {
        draw_text(top + 1 + i, left, 1, STYLE_TITLE, "│");
        draw_text(top + 1 + i, left + 2, width - 4, i == 0 ? STYLE_TITLE : STYLE_NORMAL, lines[i]);
        draw_text(top + 1 + i, left + width - 1, 1, STYLE_TITLE, "│");
    }
}

/* The message on one line, or two when it is long: the second line is
   the body's last row, which no screen needs at the minimum size. */
static void s_message(const app_t *app)
{
    bool is_error;
    char text[APP_MESSAGE_MAX + 128];
    app_message_line(app, &is_error, text, sizeof text);
    style_t style = is_error ? STYLE_ERROR : STYLE_GOOD;
    int width = app->cols - 2;
    if (text_width(text) <= width) {
        draw_text(app->rows - 2, 1, width, style, text);
        return;
    }
    /* Break at the last space that lets the first line fit. */
    size_t cut = 0;
    char first[sizeof text];
    for (size_t i = 1; text[i]; i++) {
        if (text[i] != ' ')
            continue;
        memcpy(first, text, i);
        first[i] = '\0';
        if (text_width(first) > width)
            break;
        cut = i;
    }
    if (cut == 0) {
        draw_text(app->rows - 2, 1, width, style, text);
        return;
    }
    memcpy(first, text, cut);
    first[cut] = '\0';
    draw_text(app->rows - 3, 1, width, style, first);
    draw_text(app->rows - 2, 1, width, style, text + cut + 1);
}

static void s_too_small(const app_t *app)
{
    char size[96];
    snprintf(size, sizeof size, "(at least %dx%d; now %dx%d)", CHROME_MIN_COLS, CHROME_MIN_ROWS,
             app->cols, app->rows);
    int row = app->rows / 2 - 1;
    draw_centered(row < 0 ? 0 : row, 0, app->cols, STYLE_TITLE, "Please make the window larger");
    draw_centered(row + 1, 0, app->cols, STYLE_NORMAL, size);
}

void chrome_draw(const app_t *app)
{
    erase();
    if (app_too_small(app)) {
        s_too_small(app);
        return;
    }
    const screen_t *screen = screen_for(app_screen(app));
    s_status_bar(app);
    draw_text(1, 1, app->cols - 2, STYLE_TITLE, screen->title);
    area_t body = screen_body(app);
    screen->draw(app, &body);
    s_message(app);
    s_key_bar(app, screen);
    if (app->help_visible)
        s_help_overlay(app, screen);
}
