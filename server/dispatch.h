/*  dispatch: turns request frames into reply frames, a batch at a time.

    The request path, top to bottom: decode the frame against the op table,
    replay a stored reply for a retried write, check the user and the token
    gate, run the op's handler, encode the reply. A batch runs as one store
    transaction with one savepoint per request (group commit): a failing
    request is undone alone, and one commit makes the whole batch durable
    before any of its replies leaves. Nothing here knows about sockets.
*/
#ifndef BO_DISPATCH_H
#define BO_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct dispatch_t dispatch_t;

typedef struct {
    const void *data;
    size_t size;
} dispatch_frame_t;

/* Borrows the store and the policy, which must outlive the dispatcher. */
dispatch_t *dispatch_new(store_t *store, const store_policy_t *policy);
void dispatch_destroy(dispatch_t **self_p);

/* Runs `count` requests at time `now` and sets replies[i] to a malloc'd
   reply text for each (the caller frees them). Every request gets a reply:
   if the batch cannot be committed, each reply says INTERNAL and nothing
   was applied. Returns BO_OK if the batch committed. */
bo_status_t dispatch_batch(dispatch_t *self, const dispatch_frame_t *requests, size_t count,
                           int64_t now, char **replies);

/* Microseconds spent committing batches since dispatch_new (the sync
   that makes them durable included), for the loop's statistics. */
int64_t dispatch_commit_us(const dispatch_t *self);

/* The reply to a frame that cannot be a request at all (empty, or split
   over several frames); malloc'd. */
char *dispatch_reject(const char *message);

#endif
