/*  ops_queue: queue.enter, queue.status and server.ping. */
#include "ops.h"

#include <czmq.h>
#include <sys/random.h>

#include "bo_time.h"
#include "log.h"

/* A token is 192 bits from the kernel's CSPRNG, far past guessing, after
   the millisecond it was issued, in unpadded base64url (safe in URLs, file
   names and shell words). The time in front is no secret; it makes tokens
   issued together sort together, so the store's index of tokens takes a
   crowd's new tokens on a page or two rather than a page each. */
static bo_status_t s_new_token(int64_t now, char token[BO_TOKEN_TEXT_LEN + 1])
{
    unsigned char bytes[BO_TOKEN_TIME_BYTES + BO_TOKEN_RANDOM_BYTES];
    for (int i = 0; i < BO_TOKEN_TIME_BYTES; i++)
        bytes[i] = (unsigned char)((uint64_t)now >> (8 * (BO_TOKEN_TIME_BYTES - 1 - i)));
    unsigned char *random_bytes = bytes + BO_TOKEN_TIME_BYTES;
    if (getrandom(random_bytes, BO_TOKEN_RANDOM_BYTES, 0) != BO_TOKEN_RANDOM_BYTES) {
        log_error("getrandom failed");
        return BO_INTERNAL;
    }
    zarmour_t *armour = zarmour_new();
    if (!armour)
        return BO_INTERNAL;
    zarmour_set_mode(armour, ZARMOUR_MODE_BASE64_URL);
    zarmour_set_pad(armour, false);
    char *text = zarmour_encode(armour, bytes, sizeof bytes);
    zarmour_destroy(&armour);
    if (!text || strlen(text) != BO_TOKEN_TEXT_LEN) {
        freen(text);
        return BO_INTERNAL;
    }
    memcpy(token, text, BO_TOKEN_TEXT_LEN + 1);
    freen(text);
    return BO_OK;
}

bo_status_t op_queue_enter(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    char token[BO_TOKEN_TEXT_LEN + 1];
    bo_queue_state_t state;
    bo_status_t status = s_new_token(ctx->now, token);
    if (status == BO_OK)
        status =
            store_queue_enter(ctx->store, request->user_id, token, ctx->now, ctx->policy, &state);
    if (status == BO_OK)
        codec_put_queue_state(reply, &state);
    return status;
}

bo_status_t op_queue_status(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    bo_queue_state_t state;
    bo_status_t status = store_queue_status(ctx->store, request->user_id, request->token, ctx->now,
                                            ctx->policy, &state);
    if (status == BO_OK)
        codec_put_queue_state(reply, &state);
    return status;
}

bo_status_t op_server_ping(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    (void)request;
    int64_t waiting, active;
    bo_status_t status = store_queue_counts(ctx->store, &waiting, &active);
    if (status != BO_OK)
        return status;
    json_object_set_new(reply, "version", json_string(BO_VERSION));
    json_object_set_new(reply, "uptime_s",
                        json_integer((bo_monotonic_ms() - ctx->started_ms) / 1000));
    json_object_set_new(reply, "waiting", json_integer(waiting));
    json_object_set_new(reply, "active", json_integer(active));
    return BO_OK;
}
