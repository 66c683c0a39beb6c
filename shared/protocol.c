/*  protocol: the op table and the status table. */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

#include "bo_time.h"

static const struct {
    const char *code;
    const char *message;
} s_statuses[BO_STATUS_COUNT] = {
    [BO_OK] = {"OK", "ok"},
    [BO_BAD_REQUEST] = {"BAD_REQUEST", "the request is malformed"},
    [BO_UNKNOWN_OP] = {"UNKNOWN_OP", "no such op"},
    [BO_TOO_LARGE] = {"TOO_LARGE", "the request is larger than 65536 bytes"},
    [BO_NOT_FOUND] = {"NOT_FOUND", "no such item"},
    [BO_TOKEN_INVALID] = {"TOKEN_INVALID", "the token is unknown or belongs to another user"},
    [BO_TOKEN_WAITING] = {"TOKEN_WAITING", "still waiting in line"},
    [BO_TOKEN_EXPIRED] = {"TOKEN_EXPIRED", "the token has expired; enter the queue again"},
    [BO_NOT_RESERVABLE] = {"NOT_RESERVABLE", "the show is not open for reservation"},
    [BO_SEAT_TAKEN] = {"SEAT_TAKEN", "the seat is already taken"},
    [BO_HOLD_LIMIT] = {"HOLD_LIMIT", "too many open holds"},
    [BO_HOLD_EXPIRED] = {"HOLD_EXPIRED", "the hold has expired and the seat was released"},
    [BO_INSUFFICIENT_POINTS] = {"INSUFFICIENT_POINTS", "not enough points"},
    [BO_FORBIDDEN] = {"FORBIDDEN", "the reservation belongs to another user"},
    [BO_CONFLICT] = {"CONFLICT", "too many concurrent updates; retry"},
    [BO_INTERNAL] = {"INTERNAL", "internal error"},
};

const char *bo_status_code(bo_status_t status)
{
    return (unsigned)status < BO_STATUS_COUNT ? s_statuses[status].code : "INTERNAL";
}

const char *bo_status_message(bo_status_t status)
{
    return (unsigned)status < BO_STATUS_COUNT ? s_statuses[status].message : "internal error";
}

bo_status_t bo_status_from_code(const char *code)
{
    for (int status = 0; status < BO_STATUS_COUNT; status++)
        if (strcmp(s_statuses[status].code, code) == 0)
            return (bo_status_t)status;
    return BO_STATUS_COUNT;
}

#define FIELD(field_name, field_type, is_required, low, high, member)                              \
    {                                                                                              \
        .name = field_name, .type = field_type, .required = is_required, .min = low, .max = high,  \
        .offset = offsetof(bo_request_t, member)                                                   \
    }
#define ID_FIELD(member)    FIELD(#member, BO_FIELD_ID, true, 1, BO_MAX_ID, member)
#define OPTIONAL_ID(member) FIELD(#member, BO_FIELD_ID, false, 1, BO_MAX_ID, member)
#define TOKEN_FIELD         FIELD("token", BO_FIELD_STRING, true, 1, BO_TOKEN_MAX, token)
#define FIELDS(array)       array, sizeof(array) / sizeof(array[0])

static const bo_field_spec_t s_user_create[] = {
    FIELD("name", BO_FIELD_STRING, true, 1, BO_NAME_MAX, name),
};
static const bo_field_spec_t s_user_only[] = {ID_FIELD(user_id)};
static const bo_field_spec_t s_user_token[] = {ID_FIELD(user_id), TOKEN_FIELD};
static const bo_field_spec_t s_concert_dates[] = {ID_FIELD(user_id), TOKEN_FIELD,
                                                  ID_FIELD(concert_id)};
static const bo_field_spec_t s_concert_seats[] = {ID_FIELD(user_id), TOKEN_FIELD,
                                                  ID_FIELD(schedule_id)};
static const bo_field_spec_t s_seat_reserve[] = {
    ID_FIELD(user_id),
    TOKEN_FIELD,
    FIELD("seat_number", BO_FIELD_INT, true, BO_SEAT_MIN, BO_SEAT_MAX, seat_number),
    OPTIONAL_ID(schedule_id),
    OPTIONAL_ID(concert_id),
    FIELD("concert_date", BO_FIELD_STRING, false, 1, 64, concert_date),
};
static const bo_field_spec_t s_point_charge[] = {
    ID_FIELD(user_id),
    FIELD("amount", BO_FIELD_INT, true, BO_CHARGE_MIN, BO_CHARGE_MAX, amount),
};
static const bo_field_spec_t s_point_history[] = {
    ID_FIELD(user_id),
    FIELD("limit", BO_FIELD_INT, false, 1, 1000, limit),
};
static const bo_field_spec_t s_payment_pay[] = {ID_FIELD(user_id), TOKEN_FIELD,
                                                ID_FIELD(reservation_id)};

/* seat.reserve names its show by schedule_id, or by concert_id with a
   date (YYYY-MM-DD) or an RFC 3339 show time: exactly one of the two. */
static bool s_check_seat_reserve(const bo_request_t *request, char *message, size_t message_size)
{
    bool by_id = request->schedule_id != 0;
    bool by_date = request->concert_id != 0 || request->concert_date != NULL;
    int64_t ignored;
    if (by_id && by_date)
        snprintf(message, message_size,
                 "give either schedule_id or concert_id with concert_date, not both");
    else if (!by_id && !(request->concert_id && request->concert_date))
        snprintf(message, message_size,
                 "give schedule_id, or concert_id with concert_date (YYYY-MM-DD)");
    else if (by_date && !bo_date_parse(request->concert_date, &ignored) &&
             !bo_time_parse(request->concert_date, &ignored))
        snprintf(message, message_size,
                 "field 'concert_date' must be YYYY-MM-DD or an RFC 3339 show time");
    else
        return true;
    return false;
}

#define USER       BO_OP_NEEDS_USER
#define GATED      (BO_OP_NEEDS_USER | BO_OP_NEEDS_TOKEN)
#define IDEMPOTENT (BO_OP_IDEMPOTENT | BO_OP_WRITES)

#define OP(id, op_name, op_flags, field_specs, cross_check, text)                                  \
    [id] = {.op = id,                                                                              \
            .name = op_name,                                                                       \
            .flags = op_flags,                                                                     \
            .fields = field_specs,                                                                 \
            .field_count = sizeof(field_specs) / sizeof(bo_field_spec_t),                          \
            .check = cross_check,                                                                  \
            .summary = text}

static const bo_op_entry_t s_ops[BO_OP_COUNT] = {
    OP(BO_OP_USER_CREATE, "user.create", IDEMPOTENT, s_user_create, NULL,
       "create a user and return its id"),
    OP(BO_OP_QUEUE_ENTER, "queue.enter", USER | IDEMPOTENT, s_user_only, NULL,
       "take a place in line (or get the one you have)"),
    /* Not gated: a waiting or expired token is an answer here, not an error.
       A read: the "still here" mark it leaves is written by the expire job. */
    OP(BO_OP_QUEUE_STATUS, "queue.status", USER, s_user_token, NULL,
       "where a token stands in line"),
    OP(BO_OP_CONCERT_LIST, "concert.list", GATED, s_user_token, NULL, "list the concerts"),
    OP(BO_OP_CONCERT_DATES, "concert.dates", GATED, s_concert_dates, NULL,
       "list a concert's shows open for reservation now"),
    OP(BO_OP_CONCERT_SEATS, "concert.seats", GATED, s_concert_seats, NULL,
       "list a show's seats and which are free"),
    OP(BO_OP_SEAT_RESERVE, "seat.reserve", GATED | IDEMPOTENT, s_seat_reserve, s_check_seat_reserve,
       "hold a seat until the hold expires"),
    OP(BO_OP_POINT_CHARGE, "point.charge", USER | IDEMPOTENT, s_point_charge, NULL,
       "add points to a balance"),
    OP(BO_OP_POINT_BALANCE, "point.balance", USER, s_user_only, NULL, "read a balance"),
    OP(BO_OP_POINT_HISTORY, "point.history", USER, s_point_history, NULL,
       "read the point ledger, newest first"),
    OP(BO_OP_PAYMENT_PAY, "payment.pay", GATED | IDEMPOTENT, s_payment_pay, NULL,
       "pay for a held seat with points"),
    OP(BO_OP_RESERVATION_LIST, "reservation.list", USER, s_user_only, NULL,
       "list a user's reservations, newest first"),
    [BO_OP_SERVER_PING] = {.op = BO_OP_SERVER_PING,
                           .name = "server.ping",
                           .summary = "server version, uptime and queue size"},
};

const bo_op_entry_t *bo_op_entry(bo_op_t op)
{
    return (unsigned)op < BO_OP_COUNT ? &s_ops[op] : NULL;
}

const bo_op_entry_t *bo_op_find(const char *name)
{
    for (int op = 0; op < BO_OP_COUNT; op++)
        if (strcmp(s_ops[op].name, name) == 0)
            return &s_ops[op];
    return NULL;
}

/* The names of enum values as they travel on the wire. */
static const char *const s_token_statuses[] = {"wait", "active", "expired"};
static const char *const s_seat_statuses[] = {"free", "held", "sold"};
static const char *const s_reservation_statuses[] = {"reserved", "paid", "cancelled"};
static const char *const s_ledger_kinds[] = {"charge", "use", "refund"};

#define COUNT(array) (int)(sizeof(array) / sizeof(array[0]))

static const char *s_name(const char *const *names, int count, int value)
{
    return value >= 0 && value < count ? names[value] : "unknown";
}

static bool s_parse(const char *const *names, int count, const char *name, int *value)
{
    for (int i = 0; name && i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            *value = i;
            return true;
        }
    }
    return false;
}

const char *bo_token_status_name(bo_token_status_t status)
{
    return s_name(s_token_statuses, COUNT(s_token_statuses), (int)status);
}

const char *bo_seat_status_name(bo_seat_status_t status)
{
    return s_name(s_seat_statuses, COUNT(s_seat_statuses), (int)status);
}

const char *bo_reservation_status_name(bo_reservation_status_t status)
{
    return s_name(s_reservation_statuses, COUNT(s_reservation_statuses), (int)status);
}

const char *bo_ledger_kind_name(bo_ledger_kind_t kind)
{
    return s_name(s_ledger_kinds, COUNT(s_ledger_kinds), (int)kind);
}

bool bo_token_status_parse(const char *name, bo_token_status_t *status)
{
    int value;
    if (!s_parse(s_token_statuses, COUNT(s_token_statuses), name, &value))
        return false;
    *status = (bo_token_status_t)value;
    return true;
}

bool bo_seat_status_parse(const char *name, bo_seat_status_t *status)
{
    int value;
    if (!s_parse(s_seat_statuses, COUNT(s_seat_statuses), name, &value))
        return false;
    *status = (bo_seat_status_t)value;
    return true;
}

bool bo_reservation_status_parse(const char *name, bo_reservation_status_t *status)
{
    int value;
    if (!s_parse(s_reservation_statuses, COUNT(s_reservation_statuses), name, &value))
        return false;
    *status = (bo_reservation_status_t)value;
    return true;
}

bool bo_ledger_kind_parse(const char *name, bo_ledger_kind_t *kind)
{
    int value;
    if (!s_parse(s_ledger_kinds, COUNT(s_ledger_kinds), name, &value))
        return false;
    *kind = (bo_ledger_kind_t)value;
    return true;
}
