/*  chrome: status bar, title, message line, key bar, help. */
#define NCURSES_WIDECHAR 1
#include "chrome.h"

#include <curses.h>
#include <stdio.h>

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
    if (app->user_id)
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

static void s_key_bar(const app_t *app, const screen_t *screen)
{
    char keys[256];
    snprintf(keys, sizeof keys, " ? help  q back  w wallet  t tickets%s%s",
             screen->keys && screen->keys[0] ? "  │  " : "", screen->keys ? screen->keys : "");
    draw_text(app->rows - 1, 0, app->cols, STYLE_BAR, keys);
}

static const char *const s_help[] = {
    "Keys",
    "",
    "  ?            this help (any key closes it)",
    "  q, Esc       back; on the first screen, quit",
    "  Q, Ctrl-C    quit at once",
    "  Enter        choose, hold the seat, confirm (Space also holds)",
    "  ↑ ↓ ← →      move (also h j k l; Home/End, PgUp/PgDn in lists)",
    "  mouse        click a seat to select it, click again to hold it",
    "  w            wallet: balance, charge points, recent activity",
    "  t            my tickets: paid seats and open holds",
    "  r            refresh the screen's data",
    "  c            (wallet) charge points",
    "  p            (hold) pay for the held seat",
    "  y / n        (payment) pay / go back",
    "  u            (waiting room) change user",
    "",
    "A held seat is yours until its countdown ends; pay before then.",
};

static void s_help_overlay(const app_t *app)
{
    int count = (int)(sizeof s_help / sizeof s_help[0]);
    int width = app->cols - 8 > 70 ? 70 : app->cols - 8;
    int top = (app->rows - count - 2) / 2, left = (app->cols - width) / 2;
    for (int i = -1; i <= count; i++) {
        const char *line = i >= 0 && i < count ? s_help[i] : "";
        draw_text(top + 1 + i, left, width, i == 0 ? STYLE_CURSOR : STYLE_BAR, line);
    }
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
    if (app->rows < CHROME_MIN_ROWS || app->cols < CHROME_MIN_COLS) {
        s_too_small(app);
        return;
    }
    const screen_t *screen = screen_for(app_screen(app));
    s_status_bar(app);
    draw_text(1, 1, app->cols - 2, STYLE_TITLE, screen->title);
    area_t body = screen_body(app);
    screen->draw(app, &body);
    draw_text(app->rows - 2, 1, app->cols - 2, app->message_is_error ? STYLE_ERROR : STYLE_GOOD,
              app->message);
    s_key_bar(app, screen);
    if (app->help_visible)
        s_help_overlay(app);
}
