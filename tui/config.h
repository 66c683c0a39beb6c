/*  config: what the client remembers between runs: the signed-in user, in
    $XDG_CONFIG_HOME/boxoffice/user (or ~/.config/boxoffice/user). */
#ifndef BO_CONFIG_H
#define BO_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/* The remembered user id, or 0. */
int64_t config_load_user(void);
/* Remembers a user id; false (and nothing written) if the directory
   cannot be made or the file written. */
bool config_save_user(int64_t user_id);

#endif
