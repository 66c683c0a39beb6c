/*  dispatch: decode, replay, gate, handle, encode; a batch per transaction. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "bo_time.h"
#include "codec.h"
#include "log.h"
#include "ops.h"

/* Room for the seats of every show and the dates of every concert on sale
   at once, in a hall as big as the benchmark's (4,000 shows): about 2.5 KB
   each, kept only for what is asked. */
#define REPLY_CACHE_SLOTS 8192

struct dispatch_t {
    store_t *store;
    const store_policy_t *policy;
    int64_t started_ms;
    reply_cache_t *cache;
    int64_t commit_us; /* time in commits since dispatch_new */
};

int64_t dispatch_commit_us(const dispatch_t *self)
{
    return self->commit_us;
}

dispatch_t *dispatch_new(store_t *store, const store_policy_t *policy)
{
    dispatch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->policy = policy;
    self->started_ms = bo_monotonic_ms();
    self->cache = reply_cache_new(REPLY_CACHE_SLOTS);
    if (!self->cache)
        dispatch_destroy(&self);
    return self;
}

void dispatch_destroy(dispatch_t **self_p)
{
    dispatch_t *self = *self_p;
    if (!self)
        return;
    reply_cache_destroy(&self->cache);
    free(self);
    *self_p = NULL;
}

static char *s_error_text(bo_status_t status, const char *message, const char *request_id)
{
    json_t *reply = codec_reply_error(status, message, request_id);
    char *text = codec_dump(reply);
    json_decref(reply);
    return text;
}

char *dispatch_reject(const char *message)
{
    return s_error_text(BO_BAD_REQUEST, message, NULL);
}

/* Which outcomes a retry must see again: those of the op itself. A
   malformed request changed nothing and would be malformed again;
   INTERNAL and CONFLICT are transient, so a retry should really run; and
   the shared checks (unknown user, the token gate) may pass next time, as
   when a waiting token is admitted. */
static bool s_keeps_reply(bo_status_t status, bool handled)
{
    return handled && status != BO_BAD_REQUEST && status != BO_INTERNAL && status != BO_CONFLICT;
}

/* The checks every op shares, then its handler; *handled says whether the
   handler ran. */
static bo_status_t s_run(op_context_t *ctx, const bo_request_t *request, json_t *reply,
                         bool *handled)
{
    const bo_op_entry_t *entry = request->entry;
    /* A token that passes the gate is this user's, so the user exists: the
       user is looked up first only when the gate refuses, to answer
       NOT_FOUND before any refusal of the gate's. */
    bool gated = entry->flags & BO_OP_NEEDS_TOKEN;
    bo_status_t gate = BO_OK;
    if (gated)
        gate = store_token_gate(ctx->store, request->user_id, request->token, ctx->now,
                                &ctx->token_id);
    if (gate == BO_INTERNAL)
        return gate;
    if ((entry->flags & BO_OP_NEEDS_USER) && (!gated || gate != BO_OK)) {
        bo_status_t status = store_user_exists(ctx->store, request->user_id);
        if (status == BO_NOT_FOUND)
            return op_fail(ctx, status, "no user %lld", (long long)request->user_id);
        if (status != BO_OK)
            return status;
    }
    if (gate != BO_OK)
        return gate;
    *handled = true;
    return op_handler(entry->op)(ctx, request, reply);
}

/* Runs a decoded request in its own savepoint and returns the reply text.
   A retried write whose reply is stored gets that reply, byte for byte. */
static char *s_execute(dispatch_t *self, const bo_request_t *request, int64_t now,
                       bo_status_t *outcome)
{
    bool idempotent = (request->entry->flags & BO_OP_IDEMPOTENT) && request->request_id;
    char *fingerprint = NULL, *stored = NULL, *stored_fingerprint = NULL;
    if (idempotent) {
        fingerprint = codec_request_fingerprint(request);
        bo_status_t found = store_reply_find(self->store, request->user_id, request->request_id,
                                             now, &stored_fingerprint, &stored);
        if (!fingerprint || found == BO_INTERNAL) {
            *outcome = BO_INTERNAL;
            free(fingerprint);
            return s_error_text(BO_INTERNAL, NULL, request->request_id);
        }
        if (found == BO_OK) {
            bool same = strcmp(stored_fingerprint, fingerprint) == 0;
            free(fingerprint);
            free(stored_fingerprint);
            *outcome = same ? BO_OK : BO_BAD_REQUEST;
            if (same)
                return stored;
            free(stored);
            return s_error_text(BO_BAD_REQUEST,
                                "request_id reused for a different request; nothing was applied",
                                request->request_id);
        }
    }

    op_context_t ctx = {.store = self->store,
                        .policy = self->policy,
                        .now = now,
                        .started_ms = self->started_ms,
                        .cache = self->cache};
    json_t *reply = codec_reply_ok(request->request_id);
    bool handled = false;
    bo_status_t status = store_savepoint(self->store);
    if (status == BO_OK)
        status = s_run(&ctx, request, reply, &handled);
    char *text;
    if (status == BO_OK) {
        text = ctx.members ? codec_dump_with(reply, ctx.members) : codec_dump(reply);
    } else {
        text = s_error_text(status, ctx.message, request->request_id);
    }
    json_decref(reply);
    if (!text) {
        status = BO_INTERNAL;
    } else if (idempotent && s_keeps_reply(status, handled) &&
               store_reply_save(self->store, request->user_id, request->request_id, fingerprint,
                                text, now) != BO_OK) {
        status = BO_INTERNAL;
        free(text);
        text = NULL;
    }
    free(fingerprint);
    if (status != BO_INTERNAL && store_release(self->store) != BO_OK)
        status = BO_INTERNAL;
    if (status == BO_INTERNAL) {
        store_rollback_to(self->store);
        free(text);
        text = s_error_text(BO_INTERNAL, NULL, request->request_id);
    }
    *outcome = status;
    return text;
}

/* A request decoded ahead of the batch's transaction. */
typedef struct {
    bo_request_t request;
    bo_status_t status;
    char message[BO_MESSAGE_MAX];
} decoded_t;

struct dispatch_requests_t {
    size_t count;
    bool writes; /* some request is a well-formed write */
    decoded_t decoded[];
};

/* A well-formed request for an op that writes. */
static bool s_writes(const decoded_t *decoded)
{
    return decoded->status == BO_OK && (decoded->request.entry->flags & BO_OP_WRITES);
}

dispatch_requests_t *dispatch_decode(const dispatch_frame_t *frames, size_t count)
{
    dispatch_requests_t *self = calloc(1, sizeof *self + count * sizeof self->decoded[0]);
    if (!self)
        return NULL;
    self->count = count;
    for (size_t i = 0; i < count; i++) {
        decoded_t *decoded = &self->decoded[i];
        decoded->status = codec_decode_request(frames[i].data, frames[i].size, &decoded->request,
                                               decoded->message);
        self->writes = self->writes || s_writes(decoded);
    }
    return self;
}

bool dispatch_requests_write(const dispatch_requests_t *self)
{
    return self && self->writes;
}

void dispatch_requests_destroy(dispatch_requests_t **self_p)
{
    dispatch_requests_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        bo_request_clear(&self->decoded[i].request);
    free(self);
    *self_p = NULL;
}

static char *s_handle(dispatch_t *self, decoded_t *decoded, int64_t now)
{
    int64_t started = bo_monotonic_ms();
    bo_request_t *request = &decoded->request;
    bo_status_t status = decoded->status;
    char *text;
    if (status == BO_OK)
        text = s_execute(self, request, now, &status);
    else
        text = s_error_text(status, decoded->message, request->request_id);
    if (log_enabled(LOG_LEVEL_DEBUG))
        log_debug("%s user=%lld -> %s (%lld ms)",
                  request->entry ? request->entry->name : "(undecoded)",
                  (long long)request->user_id, bo_status_code(status),
                  (long long)(bo_monotonic_ms() - started));
    return text;
}

/* Every reply of the group says INTERNAL: nothing of it is durable. */
static void s_fail_group(const dispatch_group_t *group, const char *why)
{
    for (size_t i = 0; i < group->count; i++) {
        free(group->replies[i]);
        const dispatch_requests_t *requests = group->requests;
        group->replies[i] = s_error_text(BO_INTERNAL, why,
                                         requests ? requests->decoded[i].request.request_id : NULL);
    }
}

static void s_fail_all(const dispatch_group_t *groups, size_t count, const char *why)
{
    for (size_t g = 0; g < count; g++)
        s_fail_group(&groups[g], why);
}

/* One request of a transaction that may have been refused the write lock
   or rolled back by an earlier request's error. */
static char *s_handle_in(dispatch_t *self, decoded_t *decoded, int64_t now, bool writes_refused)
{
    /* Some SQLite errors (disk full, I/O) roll back the whole transaction;
       the requests after it must not run outside one. */
    if (writes_refused && s_writes(decoded))
        return s_error_text(BO_INTERNAL, "the database is busy; retry",
                            decoded->request.request_id);
    if (!store_in_transaction(self->store))
        return s_error_text(BO_INTERNAL, "the batch was rolled back; retry",
                            decoded->request.request_id);
    return s_handle(self, decoded, now);
}

bo_status_t dispatch_run(dispatch_t *self, const dispatch_group_t *groups, size_t count,
                         int64_t now)
{
    bool writes = false;
    for (size_t g = 0; g < count; g++) {
        memset(groups[g].replies, 0, groups[g].count * sizeof *groups[g].replies);
        writes = writes || dispatch_requests_write(groups[g].requests);
    }
    /* A batch of reads takes no write lock, so it never waits for another
       daemon's writes nor makes one wait. */
    bo_status_t status = writes ? store_begin(self->store) : store_begin_read(self->store);
    /* Another process kept the write lock past the busy timeout: the
       writes are refused, but the rest of the batch needs no write lock. */
    bool writes_refused = status != BO_OK && writes && store_begin_read(self->store) == BO_OK;
    if (status != BO_OK && !writes_refused) {
        s_fail_all(groups, count, "the database is busy; retry");
        return status;
    }
    for (size_t g = 0; g < count; g++) {
        dispatch_requests_t *requests = groups[g].requests;
        if (!requests) {
            s_fail_group(&groups[g], "out of memory; retry");
            continue;
        }
        for (size_t i = 0; i < groups[g].count; i++)
            groups[g].replies[i] = s_handle_in(self, &requests->decoded[i], now, writes_refused);
    }
    int64_t started = bo_monotonic_us();
    bo_status_t committed = store_commit(self->store);
    self->commit_us += bo_monotonic_us() - started;
    if (committed != BO_OK)
        s_fail_all(groups, count, "could not commit; nothing was applied");
    return writes_refused ? BO_INTERNAL : committed;
}

bo_status_t dispatch_batch(dispatch_t *self, const dispatch_frame_t *requests, size_t count,
                           int64_t now, char **replies)
{
    dispatch_group_t group = {
        .requests = dispatch_decode(requests, count), .count = count, .replies = replies};
    bool decoded = group.requests != NULL;
    bo_status_t status = dispatch_run(self, &group, 1, now);
    dispatch_requests_destroy(&group.requests);
    return decoded ? status : BO_INTERNAL;
}
