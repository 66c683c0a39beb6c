/*  ops_booking: seat.reserve, payment.pay and reservation.list. */
#include "ops.h"

/* A person's own list stays one screen-sized frame. */
#define RESERVATION_LIST_LIMIT 100

/* The codec has already checked that exactly one form is given. */
static bo_status_t s_resolve_show(op_context_t *ctx, const bo_request_t *request,
                                  int64_t *schedule_id)
{
    if (request->schedule_id) {
        *schedule_id = request->schedule_id;
        return BO_OK;
    }
    return store_find_schedule(ctx->store, request->concert_id, request->concert_date, schedule_id,
                               ctx->message, sizeof ctx->message);
}

static void s_put_hold(void *reply, const bo_reservation_t *hold)
{
    codec_put_hold(reply, hold);
}

bo_status_t op_seat_reserve(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    int64_t schedule_id = 0, seat = request->seat_number;
    bo_status_t status = s_resolve_show(ctx, request, &schedule_id);
    if (status != BO_OK)
        return status;
    status = store_hold_seat(ctx->store, request->user_id, schedule_id, seat, ctx->now, ctx->policy,
                             s_put_hold, reply);
    switch (status) {
    case BO_NOT_FOUND:
        return op_fail(ctx, status, "show %lld has no seat %lld, or does not exist",
                       (long long)schedule_id, (long long)seat);
    case BO_NOT_RESERVABLE:
        return op_fail(ctx, status, "show %lld is sold out or not open for reservation now",
                       (long long)schedule_id);
    case BO_SEAT_TAKEN:
        return op_fail(ctx, status, "seat %lld of show %lld is taken", (long long)seat,
                       (long long)schedule_id);
    case BO_HOLD_LIMIT:
        return op_fail(ctx, status, "you already hold %d seats; pay for one or let a hold lapse",
                       BO_MAX_HOLDS);
    default:
        return status;
    }
}

bo_status_t op_payment_pay(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    bo_reservation_status_t reservation_status = BO_RESERVATION_RESERVED;
    int64_t balance = 0;
    bo_status_t status =
        store_pay(ctx->store, request->user_id, ctx->token_id, request->reservation_id, ctx->now,
                  &reservation_status, &balance);
    switch (status) {
    case BO_OK:
        json_object_set_new(reply, "reservation_status",
                            json_string(bo_reservation_status_name(reservation_status)));
        json_object_set_new(reply, "point", json_integer(balance));
        return BO_OK;
    case BO_NOT_FOUND:
        return op_fail(ctx, status, "no reservation %lld", (long long)request->reservation_id);
    case BO_INSUFFICIENT_POINTS:
        return op_fail(ctx, status, "not enough points: the balance is %lld", (long long)balance);
    default:
        return status;
    }
}

static void s_add_reservation(void *reservations, const bo_reservation_t *reservation)
{
    json_array_append_new(reservations, codec_reservation(reservation));
}

bo_status_t op_reservation_list(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    json_t *reservations = json_array();
    bo_status_t status =
        store_reservation_list(ctx->store, request->user_id, ctx->now, RESERVATION_LIST_LIMIT,
                               s_add_reservation, reservations);
    json_object_set_new(reply, "reservations", reservations);
    return status;
}
