/*  chrome: everything around the current screen: the status bar, the
    title, the message line, the key bar, the help overlay and the notice
    shown when the terminal is too small. */
#ifndef BO_CHROME_H
#define BO_CHROME_H

#include "app.h"

/* The smallest terminal the client draws in. */
#define CHROME_MIN_ROWS APP_MIN_ROWS
#define CHROME_MIN_COLS APP_MIN_COLS

/* Draws the whole frame for the app's current state. */
void chrome_draw(const app_t *app);

#endif
