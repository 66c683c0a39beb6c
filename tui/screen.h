/*  screen: what every screen provides, and the table of them.

    Each screen is one file (screen_*.c) that defines a screen_t: logic
    entry points that read and change app_t and queue requests, and draw(),
    the only one that touches the terminal. The logic never draws, so the
    unit tests run every screen without a terminal.
*/
#ifndef BO_SCREEN_H
#define BO_SCREEN_H

#include "app.h"
#include "codec.h"

/* The part of the terminal a screen may draw in. */
typedef struct {
    int top, left, rows, cols;
} area_t;

typedef struct {
    const char *title;
    /* Keys this screen adds, for the key bar ("Enter reserve  p pay"), or
       keys_for() when they depend on the screen's state. */
    const char *keys;
    const char *(*keys_for)(const app_t *app);
    /* Every key of this screen for the help overlay, one per line
       ("p, Enter     pay"), ending with NULL. */
    const char *const *help;
    /* Gated screens need an active token; losing it sends the person back
       to the line. */
    bool needs_token;
    void (*enter)(app_t *app);
    /* Returns true if the key was the screen's; otherwise the global keys
       (help, back, wallet, tickets) get it. */
    bool (*key)(app_t *app, int key);
    /* A reply to a request this screen sent while it was on top. */
    void (*reply)(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                  const json_t *reply);
    void (*tick)(app_t *app);
    /* Optional: a mouse click at a terminal cell. */
    void (*click)(app_t *app, int row, int col);
    void (*draw)(const app_t *app, const area_t *area);
} screen_t;

const screen_t *screen_for(screen_id_t id);
/* The screen's keys for the key bar, as they are now. */
const char *screen_keys(const screen_t *screen, const app_t *app);

/* The body area for the terminal size in `app` (between the title line and
   the message line); draw and click agree on it through this. */
area_t screen_body(const app_t *app);

/* Moves a list cursor for arrows, j/k, Home/End and Page keys. Returns
   true if the key was one of them. */
bool screen_list_key(int key, int *cursor, int count);
/* Enter, Return or the keypad's Enter. */
bool screen_is_enter(int key);
/* Backspace in its several spellings. */
bool screen_is_backspace(int key);
/* A key that types a character (not a control or special key). */
bool screen_is_printable(int key);
/* The first row of a list of `count` items scrolled so `cursor` shows in
   `visible` rows. */
int screen_list_first(int cursor, int count, int visible);

/* The list keys (screen_list_key), for screens' help. */
#define SCREEN_HELP_LIST                                                                           \
    "↑ ↓, k j     move", "g G, Home End first, last", "PgUp PgDn    ten up, ten down"

extern const screen_t screen_signin;
extern const screen_t screen_queue;
extern const screen_t screen_concerts;
extern const screen_t screen_dates;
extern const screen_t screen_seats;
extern const screen_t screen_hold;
extern const screen_t screen_wallet;
extern const screen_t screen_pay;
extern const screen_t screen_tickets;

#endif
