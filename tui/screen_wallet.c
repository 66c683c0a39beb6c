/*  screen_wallet: the balance, charging points, and the recent ledger. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "format.h"
#include "screen.h"

#define HISTORY_SHOWN 10

static void s_load(app_t *app)
{
    app_send(app, BO_OP_POINT_BALANCE, json_object(), false);
    app_send(app, BO_OP_POINT_HISTORY, json_pack("{s:i}", "limit", HISTORY_SHOWN), false);
}

static void s_enter(app_t *app)
{
    app->wallet.loaded = false;
    app->wallet.typing = false;
    app->wallet.charging = false;
    app->wallet.amount[0] = '\0';
    s_load(app);
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op == BO_OP_POINT_HISTORY && status == BO_OK) {
        json_t *entries = json_object_get(reply, "entries");
        app->wallet.count = 0;
        for (size_t i = 0; i < json_array_size(entries) && i < APP_LEDGER_MAX; i++)
            if (codec_parse_ledger_entry(json_array_get(entries, i),
                                         &app->wallet.entries[app->wallet.count]))
                app->wallet.count++;
        app->wallet.loaded = true;
    } else if (op == BO_OP_POINT_CHARGE) {
        app->wallet.charging = false;
        if (status != BO_OK)
            return;
        char balance[FORMAT_TEXT_MAX];
        app_say(app, false, "Charged. Your balance is now %s.",
                format_points(app->balance, balance));
        app_send(app, BO_OP_POINT_HISTORY, json_pack("{s:i}", "limit", HISTORY_SHOWN), false);
    }
}

/* Checks the amount here, so a typo never reaches the server. */
static void s_charge(app_t *app)
{
    int64_t amount;
    const char *why;
    if (!format_parse_charge(app->wallet.amount, &amount, &why)) {
        app_say(app, true, "%s", why);
        return;
    }
    app->wallet.typing = false;
    app->wallet.charging = true;
    app->wallet.amount[0] = '\0';
    char points[FORMAT_TEXT_MAX];
    app_send(app, BO_OP_POINT_CHARGE, json_pack("{s:I}", "amount", (json_int_t)amount), false);
    app_say(app, false, "Charging %s…", format_points(amount, points));
}

static bool s_type_amount(app_t *app, int key)
{
    size_t length = strlen(app->wallet.amount);
    if (key == APP_ESCAPE) {
        app->wallet.typing = false;
        app->wallet.amount[0] = '\0';
    } else if (screen_is_backspace(key)) {
        if (length > 0)
            app->wallet.amount[length - 1] = '\0';
    } else if (screen_is_enter(key)) {
        s_charge(app);
    } else if (screen_is_printable(key) && key < 0x80) {
        /* Anything typed is shown, and judged when Enter is pressed. */
        if (length + 1 < sizeof app->wallet.amount) {
            app->wallet.amount[length] = (char)key;
            app->wallet.amount[length + 1] = '\0';
        }
    }
    return true;
}

static bool s_key(app_t *app, int key)
{
    if (app->wallet.typing)
        return s_type_amount(app, key);
    if (key == 'c' || screen_is_enter(key)) {
        if (!app->wallet.charging) {
            app->wallet.typing = true;
            app->wallet.amount[0] = '\0';
        }
        return true;
    }
    if (key == 'r') {
        s_load(app);
        return true;
    }
    return false;
}

static void s_draw(const app_t *app, const area_t *area)
{
    int row = area->top + 1, col = area->left + 2, width = area->cols - 4;
    char balance[FORMAT_TEXT_MAX];
    draw_line(row++, col, width, STYLE_TITLE, "Balance: %s",
              app->balance_known ? format_points(app->balance, balance) : "…");
    row++;
    if (app->wallet.typing) {
        draw_line(row++, col, width, STYLE_KEY, "Charge amount: %s_", app->wallet.amount);
        draw_text(row++, col, width, STYLE_DIM, "1 to 10,000,000 P. Enter charges, Esc cancels.");
    } else {
        draw_text(row++, col, width, STYLE_KEY, "c  charge points");
        row++;
    }
    row++;
    draw_text(row++, col, width, STYLE_DIM, "Recent activity");
    draw_text(row++, col, width, STYLE_DIM, "When              What          Amount       Balance");
    if (!app->wallet.loaded) {
        draw_text(row, col, width, STYLE_DIM, "Loading…");
        return;
    }
    if (app->wallet.count == 0)
        draw_text(row, col, width, STYLE_NORMAL, "Nothing yet.");
    static const char *const kinds[] = {"charge", "payment", "refund"};
    for (int i = 0; i < app->wallet.count && row < area->top + area->rows; i++) {
        const bo_ledger_entry_t *entry = &app->wallet.entries[i];
        char when[FORMAT_TEXT_MAX], amount[FORMAT_TEXT_MAX], signed_amount[FORMAT_TEXT_MAX + 1],
            after[FORMAT_TEXT_MAX];
        snprintf(signed_amount, sizeof signed_amount, "%s%s", entry->amount > 0 ? "+" : "",
                 format_points(entry->amount, amount));
        draw_line(row++, col, width, STYLE_NORMAL, "%-16s  %-7s %12s  %12s",
                  format_local_time(entry->at, when), kinds[entry->kind], signed_amount,
                  format_points(entry->balance_after, after));
    }
}

static const char *const s_help[] = {
    "c, Enter     start a charge: type the amount",
    "Enter        (typing) charge the amount",
    "Esc          (typing) cancel; Backspace erases",
    "r            refresh the balance and activity",
    NULL,
};

const screen_t screen_wallet = {
    .title = "Wallet",
    .keys = "c/Enter charge  r refresh",
    .help = s_help,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
