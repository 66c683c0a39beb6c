/*  ops_account: user.create and the point ops. */
#include "ops.h"

#include <stdbool.h>

/* A name is shown on other people's terminals: it must have something to
   show and no control characters that could redraw their screen. */
static bool s_printable_name(const char *name)
{
    bool visible = false;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return false;
        if (*c != ' ')
            visible = true;
    }
    return visible;
}

bo_status_t op_user_create(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    if (!s_printable_name(request->name))
        return op_fail(ctx, BO_BAD_REQUEST,
                       "field 'name' must have visible characters and no control characters");
    int64_t user_id;
    bo_status_t status = store_user_create(ctx->store, request->name, ctx->now, &user_id);
    if (status == BO_OK)
        json_object_set_new(reply, "user_id", json_integer(user_id));
    return status;
}

bo_status_t op_point_charge(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    int64_t balance;
    bo_status_t status =
        store_point_charge(ctx->store, request->user_id, request->amount, ctx->now, &balance);
    if (status == BO_BAD_REQUEST)
        return op_fail(ctx, status, "the balance would pass the maximum of %lld points",
                       (long long)BO_MAX_BALANCE);
    if (status == BO_OK)
        json_object_set_new(reply, "point", json_integer(balance));
    return status;
}

bo_status_t op_point_balance(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    int64_t balance;
    bo_status_t status = store_point_balance(ctx->store, request->user_id, &balance);
    if (status == BO_OK)
        json_object_set_new(reply, "point", json_integer(balance));
    return status;
}

static void s_add_entry(void *entries, const bo_ledger_entry_t *entry)
{
    json_array_append_new(entries, codec_ledger_entry(entry));
}

/* Without a limit the newest 50 entries: enough for a screen, small enough
   for a frame. */
#define HISTORY_DEFAULT_LIMIT 50

bo_status_t op_point_history(op_context_t *ctx, const bo_request_t *request, json_t *reply)
{
    json_t *entries = json_array();
    int64_t limit = request->limit ? request->limit : HISTORY_DEFAULT_LIMIT;
    bo_status_t status =
        store_point_history(ctx->store, request->user_id, limit, s_add_entry, entries);
    json_object_set_new(reply, "entries", entries);
    return status;
}
