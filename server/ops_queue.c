/*  ops_queue: queue.enter, queue.status and server.ping. */
#include "ops.h"

#include <czmq.h>
#include <sys/random.h>

#include "bo_time.h"
#include "log.h"

/* A token is 192 bits from the kernel's CSPRNG in unpadded base64url: far
   past guessing, and safe in URLs, file names and shell words. */
static bo_status_t s_new_token(char token[BO_TOKEN_TEXT_LEN + 1])
{
    unsigned char random_bytes[BO_TOKEN_RANDOM_BYTES];
    if (getrandom(random_bytes, sizeof random_bytes, 0) != (ssize_t)sizeof random_bytes) {
        log_error("getrandom failed");
        return BO_INTERNAL;
    }
    zarmour_t *armour = zarmour_new();
    if (!armour)
        return BO_INTERNAL;
    zarmour_set_mode(armour, ZARMOUR_MODE_BASE64_URL);
    zarmour_set_pad(armour, false);
    char *text = zarmour_encode(armour, random_bytes, sizeof random_bytes);
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
    bo_status_t status = s_new_token(token);
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
