/*  ops_catalog: concert.list, concert.dates and concert.seats. */
#include "ops.h"

static void s_add_concert(void *concerts, const bo_concert_t *concert)
{
    json_array_append_new(concerts, codec_concert(concert));
}

static void s_add_schedule(void *dates, const bo_schedule_t *schedule)
{
    json_array_append_new(dates, codec_schedule(schedule));
}

typedef struct {
    json_t *free_numbers;
    json_t *seats;
} seat_lists_t;

static void s_add_seat(void *arg, const bo_seat_t *seat)
{
    seat_lists_t *lists = arg;
    if (seat->status == BO_SEAT_FREE)
        json_array_append_new(lists->free_numbers, json_integer(seat->number));
    json_array_append_new(lists->seats, codec_seat(seat));
}

bo_status_t op_concert_list(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    (void)request;
    json_t *concerts = json_array();
    bo_status_t status = store_concert_list(ctx->store, s_add_concert, concerts);
    json_object_set_new(reply, "concerts", concerts);
    return status;
}

bo_status_t op_concert_dates(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    json_t *dates = json_array();
    bo_status_t status =
        store_concert_dates(ctx->store, request->concert_id, ctx->now, s_add_schedule, dates);
    json_object_set_new(reply, "dates", dates);
    if (status == BO_NOT_FOUND)
        return op_fail(ctx, status, "no concert %lld", (long long)request->concert_id);
    return status;
}

bo_status_t op_concert_seats(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    seat_lists_t lists = {json_array(), json_array()};
    bo_status_t status =
        store_concert_seats(ctx->store, request->schedule_id, ctx->now, s_add_seat, &lists);
    json_object_set_new(reply, "free", lists.free_numbers);
    json_object_set_new(reply, "seats", lists.seats);
    if (status == BO_NOT_FOUND)
        return op_fail(ctx, status, "no show %lld", (long long)request->schedule_id);
    return status;
}
