/*  screen_signin: choose a demo user or create one by name. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>

#include "draw.h"
#include "screen.h"
#include "text.h"

/* The demo database (boxofficed --seed-demo) creates users 1 to 3. */
#define DEMO_USERS 3
#define CHOICES    (DEMO_USERS + 1)

static void s_enter(app_t *app)
{
    app->signin.typing = false;
    app->signin.name[0] = '\0';
    app->signin.checking_user = 0;
}

/* A demo user might not exist on this server: ask before signing in. */
static void s_choose_demo(app_t *app, int64_t user_id)
{
    if (app->signin.checking_user && app_is_pending(app, BO_OP_POINT_BALANCE))
        return; /* one check at a time */
    app->signin.checking_user = user_id;
    app->user_name[0] = '\0';
    app_send(app, BO_OP_POINT_BALANCE, json_pack("{s:I}", "user_id", (json_int_t)user_id), false);
    app_say(app, false, "Checking user %lld…", (long long)user_id);
}

static bool s_type_name(app_t *app, int key)
{
    if (key == APP_ESCAPE) {
        app->signin.typing = false;
    } else if (screen_is_backspace(key)) {
        text_pop_char(app->signin.name);
    } else if (screen_is_enter(key)) {
        if (text_width(app->signin.name) == 0) {
            app_say(app, true, "Type a name first, or Esc to go back.");
            return true;
        }
        if (app_is_pending(app, BO_OP_USER_CREATE))
            return true; /* one user per Enter, however impatient */
        app_send(app, BO_OP_USER_CREATE, json_pack("{s:s}", "name", app->signin.name), false);
        app_say(app, false, "Creating %s…", app->signin.name);
    } else if (screen_is_printable(key)) {
        if (!text_append_code_point(app->signin.name, sizeof app->signin.name, (unsigned long)key))
            app_say(app, true, "That name is as long as a name can be.");
    }
    return true;
}

static bool s_key(app_t *app, int key)
{
    if (app->signin.typing)
        return s_type_name(app, key);
    if (screen_list_key(key, &app->signin.cursor, CHOICES))
        return true;
    if (key >= '1' && key <= '0' + DEMO_USERS) {
        app->signin.cursor = key - '1';
        s_choose_demo(app, key - '0');
        return true;
    }
    if (key == 'n') {
        app->signin.cursor = DEMO_USERS;
        app->signin.typing = true;
        return true;
    }
    if (!screen_is_enter(key))
        return false;
    if (app->signin.cursor < DEMO_USERS)
        s_choose_demo(app, app->signin.cursor + 1);
    else
        app->signin.typing = true;
    return true;
}

static void s_reply(app_t *app, bo_op_t op, bo_status_t status, const char *message,
                    const json_t *reply)
{
    (void)message;
    if (op == BO_OP_POINT_BALANCE && status == BO_OK && app->signin.checking_user)
        app_sign_in(app, app->signin.checking_user);
    else if (op == BO_OP_POINT_BALANCE && status == BO_NOT_FOUND)
        app_say(app, true, "This server has no user %lld; create a new user instead.",
                (long long)app->signin.checking_user);
    if (op == BO_OP_POINT_BALANCE)
        app->signin.checking_user = 0;
    else if (op == BO_OP_USER_CREATE && status == BO_OK) {
        text_copy(app->user_name, sizeof app->user_name, app->signin.name);
        app_sign_in(app, json_integer_value(json_object_get(reply, "user_id")));
    }
}

static void s_draw(const app_t *app, const area_t *area)
{
    int row = area->top + 1;
    draw_text(row++, area->left + 2, area->cols - 4, STYLE_TITLE, "Who is buying tickets today?");
    row++;
    for (int choice = 0; choice < CHOICES; choice++) {
        bool here = choice == app->signin.cursor;
        char label[64];
        if (choice < DEMO_USERS)
            snprintf(label, sizeof label, "%s %d  Demo user %d", here ? ">" : " ", choice + 1,
                     choice + 1);
        else
            snprintf(label, sizeof label, "%s n  New user…", here ? ">" : " ");
        draw_text(row++, area->left + 4, 30, here ? STYLE_CURSOR : STYLE_NORMAL, label);
    }
    row++;
    if (app->signin.typing) {
        char field[BO_NAME_MAX + 16];
        snprintf(field, sizeof field, "Your name: %s_", app->signin.name);
        draw_text(row++, area->left + 4, area->cols - 6, STYLE_KEY, field);
        draw_text(row, area->left + 4, area->cols - 6, STYLE_DIM,
                  "Enter to create the user, Esc to cancel.");
    } else {
        draw_text(row, area->left + 4, area->cols - 6, STYLE_DIM,
                  "Choose with ↑↓ and Enter; you are remembered next time.");
    }
}

static const char *const s_help[] = {
    SCREEN_HELP_LIST,
    "1 2 3        sign in as demo user 1, 2 or 3",
    "n            new user: type a name",
    "Enter        choose; (typing) create the user",
    "Esc          (typing) cancel; Backspace erases",
    NULL,
};

const screen_t screen_signin = {
    .title = "Sign in",
    .keys = "↑↓ move  1-3 demo user  n new user  Enter choose",
    .help = s_help,
    .enter = s_enter,
    .key = s_key,
    .reply = s_reply,
    .draw = s_draw,
};
