/*  replay: runs the fuzz target over a corpus without libFuzzer.

    usage: fuzz_replay PATH...

    Each PATH is a file (one input) or a directory (every regular file in it,
    in name order, not recursing). Built with gcc and the sanitizers, it lets
    `make test` replay the seed corpus on machines without clang's fuzzer
    runtime. The target aborts on any finding, so a problem shows as a
    sanitizer report or an abort; a path that cannot be read is an error
    too. Exits 0 only if every input ran.
*/
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; false (reported) if it cannot be read. */
static bool s_run_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t capacity = 4096, size = 0;
    uint8_t *data = malloc(capacity);
    bool ok = data != NULL;
    while (ok) {
        if (size == capacity) {
            uint8_t *bigger = realloc(data, capacity * 2);
            if (!bigger) {
                ok = false;
                break;
            }
            data = bigger;
            capacity *= 2;
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            break;
    }
    if (ferror(file))
        ok = false;
    fclose(file);
    if (!ok) {
        fprintf(stderr, "fuzz_replay: %s: cannot read\n", path);
        free(data);
        return false;
    }
    /* An exact-size copy, as libFuzzer hands the target, so a read past
       the input's end is caught. */
    uint8_t *input = malloc(size ? size : 1);
    if (!input) {
        free(data);
        return false;
    }
    memcpy(input, data, size);
    free(data);
    LLVMFuzzerTestOneInput(input, size);
    free(input);
    return true;
}

static int s_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of a directory in name order; returns the number
   run, or -1 on an error. */
static long s_run_directory(const char *path)
{
    DIR *directory = opendir(path);
    if (!directory) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(directory))) {
        if (entry->d_name[0] == '.')
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            char **bigger = realloc(names, capacity * sizeof *names);
            if (!bigger) {
                fprintf(stderr, "fuzz_replay: out of memory\n");
                exit(1);
            }
            names = bigger;
        }
        size_t length = strlen(path) + 1 + strlen(entry->d_name) + 1;
        names[count] = malloc(length);
        if (!names[count]) {
            fprintf(stderr, "fuzz_replay: out of memory\n");
            exit(1);
        }
        snprintf(names[count], length, "%s/%s", path, entry->d_name);
        count++;
    }
    closedir(directory);
    if (count > 0)
        qsort(names, count, sizeof *names, s_compare);
    long run = 0;
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        struct stat info;
        if (stat(names[i], &info) != 0) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", names[i], strerror(errno));
            ok = false;
        } else if (S_ISREG(info.st_mode)) {
            if (s_run_file(names[i]))
                run++;
            else
                ok = false;
        }
        free(names[i]);
    }
    free(names);
    return ok ? run : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH...\n", argv[0]);
        return 2;
    }
    long total = 0;
    bool ok = true;
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) != 0) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
            ok = false;
        } else if (S_ISDIR(info.st_mode)) {
            long run = s_run_directory(argv[i]);
            if (run < 0)
                ok = false;
            else
                total += run;
        } else if (s_run_file(argv[i])) {
            total++;
        } else {
            ok = false;
        }
    }
    printf("fuzz_replay: %ld inputs replayed%s\n", total, ok ? "" : ", with errors");
    if (total == 0) {
        fprintf(stderr, "fuzz_replay: no inputs\n");
        return 1;
    }
    return ok ? 0 : 1;
}
