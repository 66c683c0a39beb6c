/*  loop_stats: where the request loop's time goes, logged now and then.

    With --stats-interval, the server times the parts of each batch
    (receiving the requests and sending the replies on the socket's thread;
    running them and the commit that makes them durable on the runner's),
    counts what the commits wrote to the write-ahead log, and every interval
    logs one line of totals, then starts over. It tells an operator how
    full batches are and whether the disk (the commit), the work (running)
    or the socket bounds the rate, without a profiler. Timing costs a few
    clock reads a batch.
*/
#ifndef BO_LOOP_STATS_H
#define BO_LOOP_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t requests, batches; /* batches: transactions */
    /* Microseconds in each part, summed over the batches. run_us includes
       commit_us (the commit ends the running of a batch); the line shows
       them apart. */
    int64_t receive_us, run_us, commit_us, send_us;
    /* Bytes the commits wrote to the store's write-ahead log. */
    int64_t log_bytes;
    /* The admit and expire jobs, which hold the loop too. */
    int64_t jobs_us;
} loop_stats_t;

/* Adds one batch of `requests`. */
void loop_stats_add(loop_stats_t *self, size_t requests, int64_t receive_us, int64_t run_us,
                    int64_t commit_us, int64_t send_us, int64_t log_bytes);

/* Adds time the request loop spent receiving and sending, with no batch:
   it does so while the runner runs the batches (runner.h). */
void loop_stats_add_io(loop_stats_t *self, int64_t receive_us, int64_t send_us);

/* Adds `other`'s totals to this one's. */
void loop_stats_merge(loop_stats_t *self, const loop_stats_t *other);

/* Adds one run of a scheduler job. */
void loop_stats_add_job(loop_stats_t *self, int64_t us);

/* Writes the line for `elapsed_us` of wall time into `text` and starts
   the totals over. A quiet interval says so. */
void loop_stats_format(loop_stats_t *self, int64_t elapsed_us, char *text, size_t size);

#endif
