/*  runner: the thread that owns the store.

    The request loop (server.c) receives and decodes requests and sends
    replies; the runner runs them against the store, and runs the
    schedulers' jobs. Under load the two overlap: while the runner runs one
    transaction, the loop sends the last one's replies and receives and
    decodes the next requests, which on a two-processor machine takes a
    fifth of a payment's time off the thread that bounds the rate.

    Work is handed over in order and comes back in the same order. All the
    work queued when the runner looks is run as one transaction (group
    commit across batches). When the runner is idle, the loop may run a
    batch itself (runner_run_here), which saves the hand-over for reads.
*/
#ifndef BO_RUNNER_H
#define BO_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "loop_stats.h"
#include "store.h"

typedef struct runner_t runner_t;

/* One batch handed to the runner: the caller owns it and everything in
   it; the runner fills group.replies and links it through `next` while it
   holds it. */
typedef struct runner_work_t {
    dispatch_group_t group;
    struct runner_work_t *next;
} runner_work_t;

typedef enum { RUNNER_ADMIT = 1, RUNNER_EXPIRE = 2 } runner_job_t;

/* Starts the thread. Borrows the dispatcher, the store and the policy,
   which must outlive the runner; from now on only the runner (or the
   holder of runner_claim) touches them. `timing` keeps stats. */
runner_t *runner_new(dispatch_t *dispatch, store_t *store, const store_policy_t *policy,
                     bool timing);
/* Runs what is still queued, stops the thread and frees the runner; work
   it finished and nobody took is lost to the caller, so take it first
   (runner_stop, then runner_take_done). */
void runner_destroy(runner_t **self_p);
/* Runs what is queued, then stops the thread; the finished work stays for
   runner_take_done. */
void runner_stop(runner_t *self);

/* Queues a batch; the runner wakes. */
void runner_submit(runner_t *self, runner_work_t *work);
/* Asks for a job at the runner's next pass (twice before it runs is once). */
void runner_want_job(runner_t *self, runner_job_t job);

/* Readable (poll) when finished work is waiting. */
int runner_fd(const runner_t *self);
/* The finished work, oldest first, or NULL; the caller owns it again. */
runner_work_t *runner_take_done(runner_t *self);
/* Waits until some work is finished (for a caller out of batch buffers). */
void runner_wait_done(runner_t *self);

/* If the runner is idle with nothing queued or finished, lends the store
   to the caller until runner_release and returns true. */
bool runner_claim(runner_t *self);
void runner_release(runner_t *self);

/* Runs one batch on the caller's thread if the store can be claimed (as
   runner_claim), counted in the runner's stats; false, with nothing run,
   if not. */
bool runner_run_here(runner_t *self, runner_work_t *work);

/* Adds the runner's figures since the last call to `into` (the run,
   commit, log and jobs parts; transactions count as batches). */
void runner_take_stats(runner_t *self, loop_stats_t *into);

#endif
