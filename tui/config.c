/*  config: the remembered user. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Writes the directory (made if missing) or the file path into `path`. */
static bool s_path(char *path, size_t size, bool file)
{
    const char *base = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int written;
    if (base && base[0] == '/')
        written = snprintf(path, size, "%s/boxoffice%s", base, file ? "/user" : "");
    else if (home && home[0])
        written = snprintf(path, size, "%s/.config/boxoffice%s", home, file ? "/user" : "");
    else
        return false;
    return written > 0 && (size_t)written < size;
}

int64_t config_load_user(void)
{
    char path[4096];
    if (!s_path(path, sizeof path, true))
        return 0;
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    long long user_id = 0;
    if (fscanf(file, "%lld", &user_id) != 1 || user_id < 0)
        user_id = 0;
    fclose(file);
    return user_id;
}

static bool s_make_directories(char *path)
{
    for (char *slash = path + 1; *slash; slash++) {
        if (*slash != '/')
            continue;
        *slash = '\0';
        bool made = mkdir(path, 0700) == 0 || errno == EEXIST;
        *slash = '/';
        if (!made)
            return false;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool config_save_user(int64_t user_id)
{
    char directory[4096], path[4096];
    if (!s_path(directory, sizeof directory, false) || !s_path(path, sizeof path, true) ||
        !s_make_directories(directory))
        return false;
    FILE *file = fopen(path, "w");
    if (!file)
        return false;
    bool written = fprintf(file, "%lld\n", (long long)user_id) > 0;
    return fclose(file) == 0 && written;
}
