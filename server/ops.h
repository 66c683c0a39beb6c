/*  ops: the handlers behind the protocol's ops, one group per file.

    A handler runs after the dispatcher has decoded and checked the request
    (fields, user, token gate), inside that request's savepoint. It speaks
    to the store in domain terms and fills `reply` (an {"ok": true} object it
    does not own) on success. On failure it returns the status and may put a
    more specific human message in ctx->message. A read whose answer is kept
    in the reply cache may instead point ctx->members at the kept text of
    its members, which the dispatcher adds to `reply` as it encodes it.
*/
#ifndef BO_OPS_H
#define BO_OPS_H

#include <jansson.h>

#include "codec.h"
#include "reply_cache.h"
#include "store.h"

typedef struct {
    store_t *store;
    const store_policy_t *policy;
    int64_t now;        /* wall clock of the batch, ms */
    int64_t started_ms; /* monotonic time the server started */
    reply_cache_t *cache;
    const char *members; /* borrowed from cache: the rest of an ok reply */
    int64_t token_id;    /* the token the gate let through (0 if ungated) */
    char message[BO_MESSAGE_MAX];
} op_context_t;

typedef bo_status_t (*op_handler_t)(op_context_t *ctx, const bo_request_t *request, json_t *reply);

/* The handler of an op; every op in the protocol table has one. */
op_handler_t op_handler(bo_op_t op);

/* Writes a specific message for the reply and returns `status`. */
bo_status_t op_fail(op_context_t *ctx, bo_status_t status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* ops_account.c */
bo_status_t op_user_create(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_point_charge(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_point_balance(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_point_history(op_context_t *ctx, const bo_request_t *request, json_t *reply);
/* ops_queue.c */
bo_status_t op_queue_enter(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_queue_status(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_server_ping(op_context_t *ctx, const bo_request_t *request, json_t *reply);
/* ops_catalog.c */
bo_status_t op_concert_list(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_concert_dates(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_concert_seats(op_context_t *ctx, const bo_request_t *request, json_t *reply);
/* ops_booking.c */
bo_status_t op_seat_reserve(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_payment_pay(op_context_t *ctx, const bo_request_t *request, json_t *reply);
bo_status_t op_reservation_list(op_context_t *ctx, const bo_request_t *request, json_t *reply);

#endif
