/*  boxoffice-bench: figures for boxofficed, each beside its baseline.

    make bench    baselines, every op, the journey, a read mix, and the
                  queue.status cost with 1,000,000 waiting against 10
    make soak     ten minutes of full load, the daemon's memory sampled

    On a shared machine the speed of the disk and of the processors drifts
    by a factor of two within minutes, so a baseline measured once at the
    start judges phases run a minute later under other conditions. Each
    baseline is therefore measured in slices, one just before each phase
    it judges, and the slices pooled; the two lines queue.status compares
    run side by side and are measured in alternating turns.
*/
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "load.h"

/* Issue 5's goal for each write op: this many raw FULL commits' rate. */
#define WRITE_GOAL 3.0

/* 400 concerts of 10 shows: 200,000 seats, enough that no phase runs out,
   and concert.dates answers ten shows as a real concert would. */
#define HALL_CONCERTS   400
#define HALL_SHOWS_EACH 10
#define HALL_SHOWS      (HALL_CONCERTS * HALL_SHOWS_EACH)

typedef struct {
    int clients;
    double seconds; /* per phase */
    const char *daemon;
    const char *csv;
    FILE *csv_file;      /* opened before the run, so a bad path fails at once */
    double soak_seconds; /* 0: the benchmark, not a soak */
    int64_t line;
} bench_options_t;

/* The pooled baseline a row is compared with, known only at the end of
   the run when its last slice is in; AGAINST_NONE for a row that has no
   baseline or was given its own. */
typedef enum { AGAINST_NONE, AGAINST_ECHO, AGAINST_FULL } against_t;

typedef struct {
    figure_t figure;
    const char *phase;
    const char *baseline_name;
    against_t against;
    double baseline;  /* the comparison figure, 0 for none */
    double ratio;     /* figure / baseline (or, for p99, baseline / figure) */
    const char *goal; /* "≥ 0.5× echo", empty for none */
    double threshold; /* the ratio the goal asks for */
    bool met;
    double cpu_us; /* the daemon's CPU time per request of the phase, 0 unknown */
} row_t;

/* A baseline measured in slices, each next to the phases it judges, their
   samples pooled: on a shared machine one fast or slow moment then
   decides less, and each phase is compared with the machine as it was
   around it. */
typedef struct {
    const char *name;
    samples_t samples;
    double seconds;
    int slices;
    double slowest, fastest; /* rates of single slices, to show the spread */
} pooled_t;

static row_t s_rows[64];
static int s_row_count;

static void s_usage(FILE *out, const char *program)
{
    fprintf(out,
            "usage: %s [-c CLIENTS] [-s SECONDS] [-d BOXOFFICED] [-o CSV] [--line N]\n"
            "       %s --soak SECONDS [-c CLIENTS] [-d BOXOFFICED] [-o CSV]\n\n"
            "Drives a real boxofficed with CLIENTS concurrent clients (default 64, or\n"
            "$BENCH_CLIENTS) for SECONDS a phase (default 5, or $BENCH_SECONDS), and\n"
            "prints every op's requests/s and latency beside same-run baselines.\n"
            "Its databases, sockets and logs live in a directory under $TMPDIR (or\n"
            "/tmp), removed when the bench ends, however it ends.\n",
            program, program);
}

/* Error replies are cheap to make: a figure that counts them is not the
   op's, so a goal measured over any error reply is not met. */
static bool s_no_errors(const figure_t *figure)
{
    return figure->errors == 0;
}

static void s_add(const char *phase, figure_t figure, const char *baseline_name, double baseline,
                  double ratio, const char *goal, bool met)
{
    if (s_row_count == (int)(sizeof s_rows / sizeof s_rows[0]))
        return;
    s_rows[s_row_count++] = (row_t){.figure = figure,
                                    .phase = phase,
                                    .baseline_name = baseline_name,
                                    .baseline = baseline,
                                    .ratio = ratio,
                                    .goal = goal,
                                    .met = met && s_no_errors(&figure)};
}

/* A row judged against a pooled baseline once the run is over; a
   threshold of 0 for no goal. */
static void s_add_against(const char *phase, figure_t figure, against_t against, const char *goal,
                          double threshold)
{
    if (s_row_count == (int)(sizeof s_rows / sizeof s_rows[0]))
        return;
    s_rows[s_row_count++] = (row_t){.figure = figure,
                                    .phase = phase,
                                    .baseline_name = against == AGAINST_ECHO ? "echo" : "raw FULL",
                                    .against = against,
                                    .goal = goal,
                                    .threshold = threshold,
                                    .met = true};
}

static void s_judge_rows(double echo_rps, double full_rps)
{
    for (int i = 0; i < s_row_count; i++) {
        row_t *row = &s_rows[i];
        if (row->against == AGAINST_NONE)
            continue;
        row->baseline = row->against == AGAINST_ECHO ? echo_rps : full_rps;
        row->ratio = row->baseline > 0 ? row->figure.rps / row->baseline : 0;
        row->met = !row->goal[0] || (row->ratio >= row->threshold && s_no_errors(&row->figure));
    }
}

/* The write goals are ratios to the raw FULL commit, which follows the
   disk's flush, while the daemon's rate is bound as much by the round trip
   ZeroMQ makes (what the echo measures). Where the disk flushes fast
   beside the echo, a write at 3× raw FULL is a larger share of the echo:
   this line says how large, next to the share the writes reached. */
static void s_print_balance(double echo_rps, double full_rps)
{
    if (echo_rps <= 0 || full_rps <= 0)
        return;
    double low = 0, high = 0;
    int writes = 0;
    for (int i = 0; i < s_row_count; i++) {
        const row_t *row = &s_rows[i];
        if (row->against != AGAINST_FULL || !row->goal[0])
            continue;
        double share = row->figure.rps / echo_rps;
        low = writes == 0 || share < low ? share : low;
        high = writes == 0 || share > high ? share : high;
        writes++;
    }
    printf("machine balance: the echo is %.1f× raw FULL, so a write at %.0f× raw FULL is %.2f× "
           "echo here",
           echo_rps / full_rps, WRITE_GOAL, WRITE_GOAL * full_rps / echo_rps);
    if (writes > 0)
        printf("; the judged writes ran at %.2f–%.2f× echo", low, high);
    printf("\n");
}

/* Puts a row at `at`: the baselines' rows go first, though they are
   complete only at the end. */
static void s_insert(int at, const char *phase, figure_t figure)
{
    if (s_row_count == (int)(sizeof s_rows / sizeof s_rows[0]) || at > s_row_count)
        return;
    memmove(&s_rows[at + 1], &s_rows[at], (size_t)(s_row_count - at) * sizeof *s_rows);
    s_rows[at] = (row_t){.figure = figure, .phase = phase, .goal = "", .met = true};
    s_row_count++;
}

static void s_pool(pooled_t *pool, const samples_t *slice, double seconds)
{
    double rate = seconds > 0 ? (double)slice->count / seconds : 0;
    if (pool->slices == 0 || rate < pool->slowest)
        pool->slowest = rate;
    if (pool->slices == 0 || rate > pool->fastest)
        pool->fastest = rate;
    samples_merge(&pool->samples, slice);
    pool->seconds += seconds;
    pool->slices++;
}

static void s_echo_slice(pooled_t *echo, const char *directory, int clients, double seconds)
{
    samples_t slice = {0};
    double measured = baseline_echo(directory, clients, seconds, &slice);
    s_pool(echo, &slice, measured);
    fprintf(stderr, "  %-28s %9zu requests %9.0f/s\n", "baseline: echo", slice.count,
            measured > 0 ? slice.count / measured : 0);
    samples_free(&slice);
}

/* A slice of the raw reserve transaction. The daemon, if one runs, is
   idle; its checkpoint thread gets a moment to finish first, so the two
   do not share the disk. */
static void s_full_slice(pooled_t *full, raw_txn_t *raw, double seconds)
{
    usleep(300000);
    samples_t slice = {0};
    double measured = raw_txn_run(raw, seconds, &slice);
    s_pool(full, &slice, measured);
    fprintf(stderr, "  %-28s %9zu requests %9.0f/s\n", "baseline: raw FULL", slice.count,
            measured > 0 ? slice.count / measured : 0);
    samples_free(&slice);
}

static void s_print_rows(FILE *out)
{
    fprintf(out, "\n%-10s %-34s %9s %9s %8s %8s %8s %7s %7s  %-26s %s\n", "phase", "what",
            "requests", "per s", "p50 ms", "p99 ms", "max ms", "errors", "cpu µs",
            "against baseline", "goal");
    for (int i = 0; i < s_row_count; i++) {
        const row_t *row = &s_rows[i];
        char against[64] = "";
        if (row->baseline > 0)
            snprintf(against, sizeof against, "%.2f× %s", row->ratio, row->baseline_name);
        char cpu[16] = "";
        if (row->cpu_us > 0)
            snprintf(cpu, sizeof cpu, "%.0f", row->cpu_us);
        fprintf(out, "%-10s %-34s %9llu %9.0f %8.2f %8.2f %8.2f %7llu %7s  %-26s %s%s\n",
                row->phase, row->figure.name, (unsigned long long)row->figure.requests,
                row->figure.rps, row->figure.p50_ms, row->figure.p99_ms, row->figure.max_ms,
                (unsigned long long)row->figure.errors, cpu, against, row->goal,
                row->goal[0] ? (row->met             ? "  met"
                                : row->figure.errors ? "  MISSED (errors)"
                                                     : "  MISSED")
                             : "");
    }
}

static void s_write_csv(FILE *csv, const char *path)
{
    fprintf(csv, "phase,what,requests,errors,seconds,per_s,p50_ms,p99_ms,max_ms,baseline,"
                 "baseline_value,ratio,goal,met,daemon_cpu_us_per_request\n");
    for (int i = 0; i < s_row_count; i++) {
        const row_t *row = &s_rows[i];
        fprintf(csv,
                "%s,\"%s\",%llu,%llu,%.3f,%.1f,%.3f,%.3f,%.3f,\"%s\",%.1f,%.3f,\"%s\",%s,%.1f\n",
                row->phase, row->figure.name, (unsigned long long)row->figure.requests,
                (unsigned long long)row->figure.errors, row->figure.seconds, row->figure.rps,
                row->figure.p50_ms, row->figure.p99_ms, row->figure.max_ms,
                row->baseline_name ? row->baseline_name : "", row->baseline, row->ratio, row->goal,
                row->goal[0] ? (row->met ? "yes" : "no") : "", row->cpu_us);
    }
    fclose(csv);
    fprintf(stderr, "figures written to %s\n", path);
}

/* A daemon on a fresh database: the schema, the demo data and the bench
   hall, then started again with the bench's settings. */
static bool s_start_hall(daemon_t *daemon, const bench_options_t *options, const char *directory,
                         const char *name, const char *const *args, int64_t *concert_id,
                         int64_t *first_show)
{
    const char *seed[] = {"--seed-demo", NULL};
    if (!daemon_start(daemon, options->daemon, directory, name, seed))
        return false;
    daemon_stop(daemon);
    return fixture_add_halls(daemon->database, HALL_CONCERTS, HALL_SHOWS_EACH, concert_id,
                             first_show) &&
           daemon_start(daemon, options->daemon, directory, name, args);
}

static const char *const s_hall_args[] = {"--admit-batch",
                                          "100000",
                                          "--admit-interval-ms",
                                          "100",
                                          "--max-active",
                                          "10000000",
                                          "--token-ttl",
                                          "3600",
                                          "--hold-ttl",
                                          "3600",
                                          "--abandon-after",
                                          "3600",
                                          NULL};

typedef struct {
    load_phase_t phase;
    const char *name;
    load_op_t op; /* the op measured, LOAD_OP_COUNT for every op in it */
} phase_plan_t;

static const phase_plan_t s_plan[] = {
    {PHASE_CREATE, "create", LOAD_CREATE},
    {PHASE_ENTER, "enter", LOAD_ENTER},
    {PHASE_ADMIT, "admit", LOAD_OP_COUNT},
    {PHASE_STATUS, "status", LOAD_STATUS},
    {PHASE_DATES, "dates", LOAD_DATES},
    {PHASE_SEATS, "seats", LOAD_SEATS},
    {PHASE_RESERVE, "reserve", LOAD_RESERVE},
    {PHASE_CHARGE, "charge", LOAD_CHARGE},
    {PHASE_PAY, "pay", LOAD_PAY},
    {PHASE_JOURNEY, "journey", LOAD_OP_COUNT},
    {PHASE_MIX, "read mix", LOAD_OP_COUNT},
};

static bool s_is_read(load_op_t op)
{
    return op == LOAD_STATUS || op == LOAD_DATES || op == LOAD_SEATS;
}

static bool s_is_write(load_op_t op)
{
    return op == LOAD_RESERVE || op == LOAD_PAY || op == LOAD_CHARGE || op == LOAD_ENTER;
}

static void s_judge(const char *phase, load_op_t op, figure_t figure)
{
    /* The goals of issue 5 hold for the op measured alone. */
    bool alone = strcmp(phase, "journey") != 0 && strcmp(phase, "read mix") != 0;
    if (s_is_read(op) && alone)
        s_add_against(phase, figure, AGAINST_ECHO, "≥ 0.5× echo", 0.5);
    else if (s_is_write(op) && alone)
        s_add_against(phase, figure, AGAINST_FULL, "≥ 3× raw FULL", WRITE_GOAL);
    else
        s_add_against(phase, figure, s_is_read(op) ? AGAINST_ECHO : AGAINST_FULL, "", 0);
}

/* How long each baseline slice taken next to a phase runs. */
static double s_slice_seconds(const bench_options_t *options)
{
    double seconds = options->seconds / 5;
    return seconds < 0.5 ? 0.5 : seconds > 2 ? 2 : seconds;
}

static bool s_measure_ops(const bench_options_t *options, const char *directory, pooled_t *echo,
                          pooled_t *full, raw_txn_t *raw_full)
{
    daemon_t daemon = {0};
    int64_t concert_id, first_show;
    if (!s_start_hall(&daemon, options, directory, "ops", s_hall_args, &concert_id, &first_show))
        return false;
    load_t *load = load_new(daemon.endpoint, options->clients, concert_id, HALL_CONCERTS,
                            first_show, HALL_SHOWS);
    samples_t samples[LOAD_OP_COUNT] = {{0}};
    long rss_before = daemon_rss_kib(&daemon);
    for (size_t i = 0; i < sizeof s_plan / sizeof s_plan[0]; i++) {
        const phase_plan_t *plan = &s_plan[i];
        /* Each op measured alone is judged against a baseline slice taken
           just before it (and pooled with the others). */
        if (plan->op != LOAD_OP_COUNT && s_is_read(plan->op))
            s_echo_slice(echo, directory, options->clients, s_slice_seconds(options));
        else if (plan->op != LOAD_OP_COUNT && s_is_write(plan->op))
            s_full_slice(full, raw_full, s_slice_seconds(options));
        double cpu_before = daemon_cpu_ms(&daemon);
        double seconds = load_run(load, plan->phase, plan->name,
                                  plan->phase == PHASE_ADMIT ? 30 : options->seconds, samples);
        double cpu_after = daemon_cpu_ms(&daemon);
        if (plan->phase == PHASE_ADMIT)
            continue;
        uint64_t done = 0; /* load_run counts each phase afresh */
        for (int op = 0; op < LOAD_OP_COUNT; op++)
            done += samples[op].count;
        double cpu_us = done > 0 && cpu_before >= 0 && cpu_after >= cpu_before
                            ? (cpu_after - cpu_before) * 1000.0 / (double)done
                            : 0;
        int first_row = s_row_count;
        for (int op = 0; op < LOAD_OP_COUNT; op++) {
            if (samples[op].count == 0 || (plan->op != LOAD_OP_COUNT && (int)plan->op != op))
                continue;
            figure_t figure = figure_of(load_op_name((load_op_t)op), &samples[op], seconds);
            s_judge(plan->name, (load_op_t)op, figure);
        }
        for (int row = first_row; row < s_row_count; row++)
            s_rows[row].cpu_us = cpu_us;
    }
    fprintf(stderr, "  daemon memory: %ld KiB at start, %ld KiB after the phases\n", rss_before,
            daemon_rss_kib(&daemon));
    for (int op = 0; op < LOAD_OP_COUNT; op++)
        samples_free(&samples[op]);
    load_destroy(&load);
    daemon_stop(&daemon);
    return true;
}

/* A daemon with `waiting` people in line, nobody admitted, and clients
   asking queue.status of random people in it. */
typedef struct {
    daemon_t daemon;
    load_t *load;
    int64_t waiting;
    samples_t pooled; /* queue.status latencies over every slice */
    double seconds;
} line_side_t;

/* Starts `side`, zeroed but for its `waiting`. */
static bool s_line_start(const bench_options_t *options, const char *directory, line_side_t *side)
{
    int64_t waiting = side->waiting;
    char name[32];
    snprintf(name, sizeof name, "line-%lld", (long long)waiting);
    if (!daemon_start(&side->daemon, options->daemon, directory, name, NULL))
        return false;
    daemon_stop(&side->daemon);
    fprintf(stderr, "  putting %lld people in line…\n", (long long)waiting);
    if (!fixture_fill_line(side->daemon.database, waiting))
        return false;
    const char *args[] = {"--admit-batch",
                          "1",
                          "--admit-interval-ms",
                          "3600000",
                          "--max-active",
                          "1",
                          "--abandon-after",
                          "86400",
                          "--token-ttl",
                          "86400",
                          NULL};
    if (!daemon_start(&side->daemon, options->daemon, directory, name, args))
        return false;
    side->load = load_new(side->daemon.endpoint, options->clients, 0, 1, 0, 1);
    if (!side->load)
        return false;
    load_set_line(side->load, waiting);
    /* The same questions first, unmeasured: the daemon has just started on a
       file it never read, and the first touch of each page of its mapping
       is a fault; the goal is about a line in service, not a cold start. */
    samples_t samples[LOAD_OP_COUNT] = {{0}};
    load_run(side->load, PHASE_LINE, "warm-up", options->seconds / 2 > 1 ? options->seconds / 2 : 1,
             samples);
    for (int op = 0; op < LOAD_OP_COUNT; op++)
        samples_free(&samples[op]);
    return true;
}

static void s_line_slice(line_side_t *side, int round, int rounds, double seconds)
{
    char label[64];
    snprintf(label, sizeof label, "status, %lld waiting %d/%d", (long long)side->waiting, round,
             rounds);
    samples_t samples[LOAD_OP_COUNT] = {{0}};
    side->seconds += load_run(side->load, PHASE_LINE, label, seconds, samples);
    samples_merge(&side->pooled, &samples[LOAD_STATUS]);
    for (int op = 0; op < LOAD_OP_COUNT; op++)
        samples_free(&samples[op]);
}

static figure_t s_line_stop(line_side_t *side)
{
    char label[64];
    snprintf(label, sizeof label, "queue.status, %lld waiting", (long long)side->waiting);
    figure_t figure = figure_of(label, &side->pooled, side->seconds);
    samples_free(&side->pooled);
    load_destroy(&side->load);
    daemon_stop(&side->daemon);
    return figure;
}

/* queue.status with 10 waiting against `line` waiting. Both daemons run
   side by side and are measured in turns (one second each by default,
   the order swapped every round), so a slow stretch of the machine falls
   on both alike rather than on whichever ran then. */
static bool s_measure_line(const bench_options_t *options, const char *directory, figure_t *few,
                           figure_t *many)
{
    line_side_t sides[2] = {{.waiting = 10}, {.waiting = options->line}};
    bool started =
        s_line_start(options, directory, &sides[0]) && s_line_start(options, directory, &sides[1]);
    int rounds = options->seconds >= 2 ? (int)options->seconds : 2;
    for (int round = 0; started && round < rounds; round++)
        for (int turn = 0; turn < 2; turn++)
            s_line_slice(&sides[(round + turn) % 2], round + 1, rounds, options->seconds / rounds);
    /* A side that never started is all zeros, which s_line_stop takes. */
    *few = s_line_stop(&sides[0]);
    *many = s_line_stop(&sides[1]);
    return started;
}

static int s_bench(const bench_options_t *options, const char *directory)
{
    fprintf(stderr, "boxoffice bench: %d clients, %.0f s a phase\nbaselines\n", options->clients,
            options->seconds);
    pooled_t echo = {.name = "echo"}, full = {.name = "raw FULL"};
    raw_txn_t *raw_full = raw_txn_new(directory, true), *raw_normal = raw_txn_new(directory, false);
    if (!raw_full || !raw_normal) {
        raw_txn_destroy(&raw_full);
        raw_txn_destroy(&raw_normal);
        return 1;
    }
    double first_slice = options->seconds < 3 ? options->seconds : 3;
    s_echo_slice(&echo, directory, options->clients, options->seconds / 2);
    s_full_slice(&full, raw_full, first_slice / 2);
    samples_t normal_samples = {0};
    double normal_seconds = raw_txn_run(raw_normal, first_slice, &normal_samples);
    raw_txn_destroy(&raw_normal);
    figure_t normal = figure_of("reserve txn, raw SQLite NORMAL", &normal_samples, normal_seconds);
    samples_free(&normal_samples);
    fprintf(stderr, "  raw reserve, NORMAL: %.0f/s\n", normal.rps);
    bool measured = echo.samples.count > 0 && full.samples.count > 0;
    if (measured) {
        fprintf(stderr, "boxofficed, op by op\n");
        measured = s_measure_ops(options, directory, &echo, &full, raw_full);
    }
    raw_txn_destroy(&raw_full);
    figure_t echo_figure = figure_of("echo (bare ZeroMQ)", &echo.samples, echo.seconds);
    figure_t full_figure = figure_of("reserve txn, raw SQLite FULL", &full.samples, full.seconds);
    samples_free(&echo.samples);
    samples_free(&full.samples);
    figure_t few, many;
    if (measured) {
        fprintf(stderr, "the cost of a place in line\n");
        measured = s_measure_line(options, directory, &few, &many);
    }
    if (!measured)
        return 1;
    s_add("line", few, NULL, 0, 0, "", true);
    char goal[64];
    snprintf(goal, sizeof goal, "p99 ≤ 1.5× p99 at 10");
    s_add("line", many, "p99 at 10", few.p99_ms, many.p99_ms / few.p99_ms, goal,
          many.p99_ms <= 1.5 * few.p99_ms && s_no_errors(&few));
    s_insert(0, "baseline", echo_figure);
    s_insert(1, "baseline", full_figure);
    s_insert(2, "baseline", normal);
    s_judge_rows(echo_figure.rps, full_figure.rps);
    s_print_rows(stdout);
    printf("\nbaselines pooled from slices taken before the phases they judge:\n");
    const pooled_t *pools[] = {&echo, &full};
    const figure_t *figures[] = {&echo_figure, &full_figure};
    for (int i = 0; i < 2; i++)
        printf("  %-9s %d slices, %.1f s in all: %.0f/s (slices %.0f–%.0f/s)\n", pools[i]->name,
               pools[i]->slices, pools[i]->seconds, figures[i]->rps, pools[i]->slowest,
               pools[i]->fastest);
    s_print_balance(echo_figure.rps, full_figure.rps);
    s_write_csv(options->csv_file, options->csv);
    return 0;
}

/* Full load for a long time, sampling the daemon's resident memory. The
   first tenth is warm-up (caches filling); after it, every sample of its
   private memory must stay within 10% of their mean. The mapped database
   file is shown beside it but not judged: it grows with the data. */
static int s_soak(const bench_options_t *options, const char *directory)
{
    static const char *const soak_args[] = {"--admit-batch",
                                            "100000",
                                            "--admit-interval-ms",
                                            "100",
                                            "--max-active",
                                            "10000000",
                                            "--token-ttl",
                                            "86400",
                                            "--hold-ttl",
                                            "2",
                                            "--abandon-after",
                                            "86400",
                                            NULL};
    daemon_t daemon = {0};
    int64_t concert_id, first_show;
    if (!s_start_hall(&daemon, options, directory, "soak", soak_args, &concert_id, &first_show))
        return 1;
    load_t *load = load_new(daemon.endpoint, options->clients, concert_id, HALL_CONCERTS,
                            first_show, HALL_SHOWS);
    samples_t samples[LOAD_OP_COUNT] = {{0}};
    load_run(load, PHASE_CREATE, "users", 2, samples);
    load_run(load, PHASE_ENTER, "into line", 10, samples);
    load_run(load, PHASE_ADMIT, "admitted", 30, samples);
    int slices = (int)(options->soak_seconds / 10) > 1 ? (int)(options->soak_seconds / 10) : 1;
    long *rss = calloc((size_t)slices, sizeof *rss);
    long *mapped = calloc((size_t)slices, sizeof *mapped);
    uint64_t requests = 0, errors = 0;
    for (int slice = 0; slice < slices; slice++) {
        char label[64];
        snprintf(label, sizeof label, "soak %d/%d", slice + 1, slices);
        double seconds = load_run(load, PHASE_SOAK, label, 10, samples);
        rss[slice] = daemon_private_kib(&daemon);
        mapped[slice] = daemon_rss_kib(&daemon) - rss[slice];
        uint64_t done = 0;
        for (int op = 0; op < LOAD_OP_COUNT; op++) {
            done += samples[op].count;
            errors += samples[op].errors;
        }
        requests += done;
        fprintf(stderr, "    private %ld KiB, database mapped %ld KiB, %.0f requests/s\n",
                rss[slice], mapped[slice], done / seconds);
    }
    int warm = slices / 10;
    double mean = 0;
    long low = rss[warm], high = rss[warm];
    for (int i = warm; i < slices; i++) {
        mean += rss[i];
        low = rss[i] < low ? rss[i] : low;
        high = rss[i] > high ? rss[i] : high;
    }
    mean /= slices - warm;
    bool flat = low >= 0.9 * mean && high <= 1.1 * mean;
    printf("soak: %d clients for %.0f s, %llu requests (%llu not ok: taken seats and the like)\n",
           options->clients, slices * 10.0, (unsigned long long)requests,
           (unsigned long long)errors);
    printf("daemon private memory (RssAnon) after warm-up: mean %.0f KiB, low %ld, high %ld "
           "(%+.1f%% / %+.1f%%): %s\n",
           mean, low, high, 100.0 * (low - mean) / mean, 100.0 * (high - mean) / mean,
           flat ? "flat within ±10%" : "NOT flat");
    printf("database file mapped for reading: %ld KiB after warm-up, %ld KiB at the end\n",
           mapped[warm], mapped[slices - 1]);
    FILE *csv = options->csv_file;
    fprintf(csv, "slice,seconds,private_kib,mapped_kib\n");
    for (int i = 0; i < slices; i++)
        fprintf(csv, "%d,%d,%ld,%ld\n", i + 1, (i + 1) * 10, rss[i], mapped[i]);
    fclose(csv);
    for (int op = 0; op < LOAD_OP_COUNT; op++)
        samples_free(&samples[op]);
    free(rss);
    free(mapped);
    load_destroy(&load);
    daemon_stop(&daemon);
    return flat ? 0 : 1;
}

static int s_parse(int argc, char **argv, bench_options_t *options)
{
    static const struct option longs[] = {
        {"clients", required_argument, NULL, 'c'}, {"seconds", required_argument, NULL, 's'},
        {"daemon", required_argument, NULL, 'd'},  {"csv", required_argument, NULL, 'o'},
        {"soak", required_argument, NULL, 'S'},    {"line", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *clients = getenv("BENCH_CLIENTS"), *seconds = getenv("BENCH_SECONDS");
    *options = (bench_options_t){
        .clients = clients ? atoi(clients) : 64,
        .seconds = seconds ? atof(seconds) : 5,
        .daemon = "build/release/boxofficed",
        .csv = "build/bench/results.csv",
        .line = 1000000,
    };
    int code;
    while ((code = getopt_long(argc, argv, "c:s:d:o:h", longs, NULL)) != -1) {
        switch (code) {
        case 'c':
            options->clients = atoi(optarg);
            break;
        case 's':
            options->seconds = atof(optarg);
            break;
        case 'd':
            options->daemon = optarg;
            break;
        case 'o':
            options->csv = optarg;
            break;
        case 'S':
            options->soak_seconds = atof(optarg);
            break;
        case 'L':
            options->line = atoll(optarg);
            break;
        case 'h':
            s_usage(stdout, argv[0]);
            return 0;
        default:
            s_usage(stderr, argv[0]);
            return 64;
        }
    }
    if (options->clients < 1 || options->clients > 10000 || options->seconds <= 0 ||
        options->line < 10) {
        fprintf(stderr, "%s: clients 1..10000, seconds > 0, line >= 10\n", argv[0]);
        return 64;
    }
    return -1;
}

/* Opens `path` for writing, making the directories it names if missing. */
static FILE *s_open_output(const char *path)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    for (char *slash = strchr(parent + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(parent, 0755) != 0 && errno != EEXIST)
            break;
        *slash = '/';
    }
    return fopen(path, "w");
}

/* The run's databases, sockets and logs go in a directory of their own
   under $TMPDIR (or /tmp). A socket's path must fit in 108 bytes, so a
   longer $TMPDIR is passed over for /tmp. */
static bool s_make_work_directory(char *directory, size_t size)
{
    const char *parent = getenv("TMPDIR");
    if (!parent || !parent[0] || strlen(parent) > 48)
        parent = "/tmp";
    snprintf(directory, size, "%s/boxoffice-bench-XXXXXX", parent);
    return mkdtemp(directory) != NULL;
}

/* Has the directory removed once this process and every child it started
   are gone, however the bench ends: at its return, at Ctrl-C, or at
   kill -9, which no handler of its own would see. A child waits on a pipe
   whose write end the bench and all its children hold, the daemons
   included (they inherit it through exec and never touch it), so its end
   means the last of them has exited. Were the daemons left out, the
   removal would race with daemons still writing their last files after a
   kill, and lose now and then. False if that child cannot be started. */
static bool s_remove_when_gone(const char *directory)
{
    int ends[2];
    if (pipe(ends) != 0)
        return false;
    pid_t janitor = fork();
    if (janitor == 0) {
        close(ends[1]);
        /* Ctrl-C reaches the whole process group: outlive it. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        char byte;
        ssize_t got;
        do
            got = read(ends[0], &byte, 1);
        while (got > 0 || (got < 0 && errno == EINTR));
        if (got == 0)
            execlp("rm", "rm", "-rf", directory, (char *)NULL);
        _exit(1);
    }
    close(ends[0]);
    if (janitor < 0) {
        close(ends[1]);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    bench_options_t options;
    int status = s_parse(argc, argv, &options);
    if (status >= 0)
        return status;
    options.csv_file = s_open_output(options.csv);
    if (!options.csv_file) {
        fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], options.csv, strerror(errno));
        return 73;
    }
    char directory[128];
    if (!s_make_work_directory(directory, sizeof directory)) {
        fprintf(stderr, "%s: cannot make a directory in %s: %s\n", argv[0], directory,
                strerror(errno));
        return 73;
    }
    if (!s_remove_when_gone(directory)) {
        fprintf(stderr, "%s: cannot start the process that cleans up %s: %s\n", argv[0], directory,
                strerror(errno));
        rmdir(directory);
        return 71;
    }
    /* The echo server is forked before this process has a ZeroMQ context;
       czmq's own signal handling would make Ctrl-C wait for the phase. */
    zsys_handler_set(NULL);
    /* czmq sets itself up on the first socket, which is not safe when 64
       client threads make their first sockets at once: do it here. */
    zsys_init();
    status = options.soak_seconds > 0 ? s_soak(&options, directory) : s_bench(&options, directory);
    zsys_shutdown();
    return status;
}
