/*  reply_cache: the encoded answers of catalog reads, kept while they hold.

    concert.seats and concert.dates are what a crowd asks most, and their
    answers change only when the catalog does (store_catalog_version) or at
    a time the store names (a hold lapses, a booking window opens). An
    answer is kept as the JSON text of its reply members, keyed by op and
    id, with the version it was read under and the time it stops holding;
    a request that finds it skips the store and the encoding.

    The cache is direct-mapped: each (op, id) has one slot, and a new
    answer replaces whatever the slot held, so its size never grows past
    `slots` answers. The cache owns its texts; a text it hands out is
    borrowed until the next reply_cache_put.
*/
#ifndef BO_REPLY_CACHE_H
#define BO_REPLY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

typedef struct reply_cache_t reply_cache_t;

/* A cache of `slots` answers (rounded up to a power of two). */
reply_cache_t *reply_cache_new(size_t slots);
void reply_cache_destroy(reply_cache_t **self_p);

/* The members kept for (op, id) if they were read under `version` and
   `now` is before the time they stop holding; NULL otherwise. */
const char *reply_cache_get(reply_cache_t *self, bo_op_t op, int64_t id, uint64_t version,
                            int64_t now);

/* Keeps a copy of `members` for (op, id), read under `version` and
   holding until `changes_at`. Returns the kept copy, or NULL if there was
   no memory for it (nothing is kept then). */
const char *reply_cache_put(reply_cache_t *self, bo_op_t op, int64_t id, uint64_t version,
                            int64_t changes_at, const char *members);

#endif
