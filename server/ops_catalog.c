/*  ops_catalog: concert.list, concert.dates and concert.seats. */
#include "ops.h"

#include <stdbool.h>
#include <stdlib.h>

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

/* True when the cache holds the answer for (op, id) under the store's
   current catalog version: ctx->members then is the reply's rest.
   *version is that version, for keeping a fresh answer under it. */
static bool s_kept(op_context_t *ctx, bo_op_t op, int64_t id, uint64_t *version)
{
    *version = store_catalog_version(ctx->store);
    ctx->members = reply_cache_get(ctx->cache, op, id, *version, ctx->now);
    return ctx->members != NULL;
}

/* Keeps the answer's members in the cache and has the reply use them;
   without memory for that, they go into the reply itself. */
static void s_answer(op_context_t *ctx, bo_op_t op, int64_t id, uint64_t version,
                     int64_t changes_at, json_t *members, json_t *reply)
{
    char *text = codec_members(members);
    if (text)
        ctx->members = reply_cache_put(ctx->cache, op, id, version, changes_at, text);
    free(text);
    if (!ctx->members)
        json_object_update(reply, members);
}

bo_status_t op_concert_dates(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    uint64_t version;
    if (s_kept(ctx, BO_OP_CONCERT_DATES, request->concert_id, &version))
        return BO_OK;
    json_t *dates = json_array();
    int64_t changes_at;
    bo_status_t status = store_concert_dates(ctx->store, request->concert_id, ctx->now,
                                             s_add_schedule, dates, &changes_at);
    json_t *members = json_pack("{s:o}", "dates", dates);
    if (status == BO_OK)
        s_answer(ctx, BO_OP_CONCERT_DATES, request->concert_id, version, changes_at, members,
                 reply);
    json_decref(members);
    if (status == BO_NOT_FOUND)
        return op_fail(ctx, status, "no concert %lld", (long long)request->concert_id);
    return status;
}

bo_status_t op_concert_seats(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    uint64_t version;
    if (s_kept(ctx, BO_OP_CONCERT_SEATS, request->schedule_id, &version))
        return BO_OK;
    seat_lists_t lists = {json_array(), json_array()};
    int64_t changes_at;
    bo_status_t status = store_concert_seats(ctx->store, request->schedule_id, ctx->now, s_add_seat,
                                             &lists, &changes_at);
    json_t *members = json_pack("{s:o, s:o}", "free", lists.free_numbers, "seats", lists.seats);
    if (status == BO_OK)
        s_answer(ctx, BO_OP_CONCERT_SEATS, request->schedule_id, version, changes_at, members,
                 reply);
    json_decref(members);
    if (status == BO_NOT_FOUND)
        return op_fail(ctx, status, "no show %lld", (long long)request->schedule_id);
    return status;
}
