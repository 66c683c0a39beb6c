/*  server: the ZeroMQ side of the daemon and its event loop.

    One ROUTER socket and one zloop: a reader that drains every request
    waiting on the socket into a batch for the dispatcher, and timers for
    the admit and expire jobs. Replies go out only after the batch commits.
    The loop ends on SIGINT/SIGTERM (czmq's zsys_interrupted) after the
    batch in hand has been answered.
*/
#ifndef BO_SERVER_H
#define BO_SERVER_H

#include <stddef.h>

#include "store.h"

typedef struct server_t server_t;

/* Binds `endpoint` and prepares the loop. Borrows the store and policy.
   Returns NULL with the reason in `error` if the endpoint cannot be bound. */
server_t *server_new(const char *endpoint, store_t *store, const store_policy_t *policy,
                     char *error, size_t error_size);
void server_destroy(server_t **self_p);

/* Times the parts of every batch and logs their totals every
   `interval_ms` (see loop_stats.h). */
void server_log_stats(server_t *self, int64_t interval_ms);

/* Serves until interrupted. Returns 0, or -1 if the loop itself failed. */
int server_run(server_t *self);

#endif
