/*  ops: which handler serves which op. */
#include "ops.h"

#include <stdarg.h>
#include <stdio.h>

static const op_handler_t s_handlers[BO_OP_COUNT] = {
    [BO_OP_USER_CREATE] = op_user_create,     [BO_OP_QUEUE_ENTER] = op_queue_enter,
    [BO_OP_QUEUE_STATUS] = op_queue_status,   [BO_OP_CONCERT_LIST] = op_concert_list,
    [BO_OP_CONCERT_DATES] = op_concert_dates, [BO_OP_CONCERT_SEATS] = op_concert_seats,
    [BO_OP_SEAT_RESERVE] = op_seat_reserve,   [BO_OP_POINT_CHARGE] = op_point_charge,
    [BO_OP_POINT_BALANCE] = op_point_balance, [BO_OP_POINT_HISTORY] = op_point_history,
    [BO_OP_PAYMENT_PAY] = op_payment_pay,     [BO_OP_RESERVATION_LIST] = op_reservation_list,
    [BO_OP_SERVER_PING] = op_server_ping,
};

op_handler_t op_handler(bo_op_t op)
{
    return (unsigned)op < BO_OP_COUNT ? s_handlers[op] : NULL;
}

bo_status_t op_fail(op_context_t *ctx, bo_status_t status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(ctx->message, sizeof ctx->message, format, args);
    va_end(args);
    return status;
}
