/*  boxoffice-bench: load, baselines and figures for boxofficed.

    main.c runs the whole measurement: baselines (a bare ZeroMQ echo at the
    same client count, and the raw SQLite cost of one reserve transaction),
    then a real daemon driven by N client threads op by op, the journey and
    a read-heavy mix, then the queue.status cost with 1,000,000 people
    waiting against 10. Every figure is printed beside its baseline.
*/
#ifndef BO_BENCH_H
#define BO_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Latencies of one op in one phase, in microseconds. */
typedef struct {
    uint32_t *us;
    size_t count, capacity;
    uint64_t errors; /* replies that were not ok */
} samples_t;

void samples_add(samples_t *self, uint32_t us);
void samples_merge(samples_t *into, const samples_t *from);
void samples_clear(samples_t *self);
void samples_free(samples_t *self);

typedef struct {
    char name[48];
    uint64_t requests, errors;
    double seconds, rps, p50_ms, p99_ms, max_ms;
} figure_t;

/* Sorts the samples (in place) and computes the figure. */
figure_t figure_of(const char *name, samples_t *samples, double seconds);

int64_t bench_now_us(void);

/* Baselines (baseline.c). A baseline is measured in slices taken next to
   the phases it judges, their samples pooled (main.c). */
/* Runs a ROUTER echo server in a child process and `clients` REQ threads
   against it for `seconds`, adding the latency of each 150-byte request
   to `into`; returns the seconds measured. */
double baseline_echo(const char *directory, int clients, double seconds, samples_t *into);
/* One reserve transaction (BEGIN IMMEDIATE; conditional seat update;
   reservation insert; left_tickets update; COMMIT) in a loop, one commit
   each, synchronous FULL or NORMAL, on a file of its own in `directory`
   that raw_txn_destroy removes. NULL if SQLite refused (said on stderr). */
typedef struct raw_txn_t raw_txn_t;
raw_txn_t *raw_txn_new(const char *directory, bool full);
/* Runs transactions for `seconds`, adding each one's latency to `into`;
   returns the seconds measured. */
double raw_txn_run(raw_txn_t *self, double seconds, samples_t *into);
void raw_txn_destroy(raw_txn_t **self_p);

/* Databases (fixture.c): SQL straight into the daemon's file, for speed;
   the bench knows the schema, production code does not share it. */
/* Adds `concerts` concerts of `shows_per_concert` open shows each, 50
   seats a show in two price tiers; their ids are consecutive from
   *first_concert and *first_show. */
bool fixture_add_halls(const char *database, int concerts, int shows_per_concert,
                       int64_t *first_concert, int64_t *first_show);
/* Puts `waiting` users in line (tokens "t" + 31-digit seq) with nobody
   admitted. Returns false on error. */
bool fixture_fill_line(const char *database, int64_t waiting);
/* The text of the token fixture_fill_line gave ticket `seq`. */
void fixture_token(int64_t seq, char token[33]);

/* The daemon under test (daemon.c). */
typedef struct {
    int pid;
    char endpoint[512];
    char database[512];
} daemon_t;

/* In a child just forked by `parent`: asks for SIGTERM when the bench
   goes, so nothing it started runs on under a later measurement; exits at
   once if the bench is already gone. */
void daemon_follow_parent(pid_t parent);
bool daemon_start(daemon_t *self, const char *binary, const char *directory, const char *name,
                  const char *const *extra_args);
void daemon_stop(daemon_t *self);
/* Resident set size of the daemon in KiB, or -1. */
long daemon_rss_kib(const daemon_t *self);
/* The anonymous part of it (RssAnon): heap and stacks, what a leak grows.
   The rest is the database file mapped for reading (SQLite's mmap), which
   grows with the data like the file itself and is the kernel's page cache
   to reclaim. */
long daemon_private_kib(const daemon_t *self);
/* CPU time the daemon has used, user and system, in milliseconds (at the
   kernel's clock-tick resolution, 10 ms); -1 if it cannot be read. */
double daemon_cpu_ms(const daemon_t *self);

#endif
