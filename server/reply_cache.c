/*  reply_cache: the encoded answers of catalog reads, kept while they hold. */
#include "reply_cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    bo_op_t op;
    int64_t id;
    uint64_t version;
    int64_t changes_at;
    char *members; /* NULL: the slot is empty */
    size_t capacity;
} slot_t;

struct reply_cache_t {
    slot_t *slots;
    size_t mask;
};

reply_cache_t *reply_cache_new(size_t slots)
{
    size_t count = 1;
    while (count < slots)
        count <<= 1;
    reply_cache_t *self = calloc(1, sizeof *self);
    if (self)
        self->slots = calloc(count, sizeof *self->slots);
    if (!self || !self->slots) {
        free(self);
        return NULL;
    }
    self->mask = count - 1;
    return self;
}

void reply_cache_destroy(reply_cache_t **self_p)
{
    reply_cache_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i <= self->mask; i++)
        free(self->slots[i].members);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

/* Ids are small consecutive integers: interleaving the ops keeps a show
   and a concert of the same number out of each other's slot. */
static slot_t *s_slot(reply_cache_t *self, bo_op_t op, int64_t id)
{
    uint64_t key = (uint64_t)id * BO_OP_COUNT + (uint64_t)op;
    return &self->slots[key & self->mask];
}

const char *reply_cache_get(reply_cache_t *self, bo_op_t op, int64_t id, uint64_t version,
                            int64_t now)
{
    const slot_t *slot = s_slot(self, op, id);
    if (slot->members && slot->op == op && slot->id == id && slot->version == version &&
        now < slot->changes_at)
        return slot->members;
    return NULL;
}

const char *reply_cache_put(reply_cache_t *self, bo_op_t op, int64_t id, uint64_t version,
                            int64_t changes_at, const char *members)
{
    slot_t *slot = s_slot(self, op, id);
    size_t size = strlen(members) + 1;
    if (size > slot->capacity) {
        /* The old text is no longer wanted whatever happens. */
        free(slot->members);
        slot->members = malloc(size);
        slot->capacity = slot->members ? size : 0;
        if (!slot->members)
            return NULL;
    }
    memcpy(slot->members, members, size);
    slot->op = op;
    slot->id = id;
    slot->version = version;
    slot->changes_at = changes_at;
    return slot->members;
}
