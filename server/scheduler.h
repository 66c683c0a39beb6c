/*  scheduler: the daemon's two background jobs.

    The admit job moves the oldest waiters to active within the admission
    budget; the expire job ends tokens past their time, drops waiters who
    stopped asking, releases lapsed seat holds and purges old rows. Each run
    is one short store transaction. The server calls them from its timers;
    tests call them directly with any `now`.
*/
#ifndef BO_SCHEDULER_H
#define BO_SCHEDULER_H

#include "store.h"

/* How often the expire job runs: often enough that a released seat shows
   up within a second, cheap because every step reads an index range. */
#define SCHEDULER_EXPIRE_INTERVAL_MS 500
/* How long a job waits for another process's write lock before it skips
   its turn: the requests queued behind it on the one thread wait as long.
   Skipping is safe, since holds and tokens end by the clock whether or
   not the job has run (see store.h). */
#define SCHEDULER_LOCK_WAIT_MS 100

bo_status_t scheduler_admit(store_t *store, const store_policy_t *policy, int64_t now);
bo_status_t scheduler_expire(store_t *store, const store_policy_t *policy, int64_t now);

#endif
