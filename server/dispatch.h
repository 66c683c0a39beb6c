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

#include <stdbool.h>
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

/* Request frames decoded, ready to run: decoding needs no store, so it
   can happen on another thread than the running. */
typedef struct dispatch_requests_t dispatch_requests_t;

/* Decodes `count` frames, which need not outlive the result (it keeps no
   pointer into them). NULL when out of memory. */
dispatch_requests_t *dispatch_decode(const dispatch_frame_t *frames, size_t count);
/* Whether any of them is a well-formed write (false for NULL). */
bool dispatch_requests_write(const dispatch_requests_t *self);
void dispatch_requests_destroy(dispatch_requests_t **self_p);

/* Decoded requests and where their replies go: replies[i] is set to a
   malloc'd text for each of the `count` requests (the caller frees them).
   A NULL `requests` (decoding ran out of memory) gets INTERNAL replies. */
typedef struct {
    dispatch_requests_t *requests;
    size_t count;
    char **replies;
} dispatch_group_t;

/* Runs groups of decoded requests, in order, as one transaction at time
   `now` (group commit across them all). Every request gets a reply: if
   the transaction cannot be committed, each says INTERNAL and nothing was
   applied. Returns BO_OK if it committed with every write let in. */
bo_status_t dispatch_run(dispatch_t *self, const dispatch_group_t *groups, size_t count,
                         int64_t now);

/* dispatch_decode, then dispatch_run of that one group: runs `count`
   requests at time `now` and sets replies[i] to a malloc'd reply text for
   each (the caller frees them). Returns BO_OK if the batch committed. */
bo_status_t dispatch_batch(dispatch_t *self, const dispatch_frame_t *requests, size_t count,
                           int64_t now, char **replies);

/* Microseconds spent committing batches since dispatch_new (the sync
   that makes them durable included), for the loop's statistics. */
int64_t dispatch_commit_us(const dispatch_t *self);

/* The reply to a frame that cannot be a request at all (empty, or split
   over several frames); malloc'd. */
char *dispatch_reject(const char *message);

#endif
