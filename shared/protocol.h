/*  protocol: the boxoffice wire protocol, described once.

    The op table lists every request the daemon understands: its name, the
    fields it takes with their types and ranges, and what the dispatcher must
    do before the op's own logic runs (find the user, check the token, replay
    a stored reply). The server, the terminal client, the tests and the man
    page check all read this one table, so they cannot disagree.

    The status table lists every error code a reply can carry, with the
    message used when nothing more specific is known. Codes are stable: they
    are part of the contract with scripted clients.
*/
#ifndef BO_PROTOCOL_H
#define BO_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BO_VERSION "0.1.0"

/* Frames larger than this are answered TOO_LARGE and never parsed. */
#define BO_MAX_REQUEST_BYTES (64 * 1024)
/* Ids travel as JSON numbers; keeping them below 2^53 lets JavaScript clients
   read them exactly. Balances share the bound for the same reason. */
#define BO_MAX_ID      9007199254740991LL
#define BO_MAX_BALANCE 9007199254740991LL
#define BO_SEAT_MIN    1
#define BO_SEAT_MAX    50
#define BO_CHARGE_MIN  1
#define BO_CHARGE_MAX  10000000
#define BO_MAX_HOLDS   4
/* A user-chosen request_id, a token and a name are all bounded strings. */
#define BO_REQUEST_ID_MAX 128
#define BO_TOKEN_MAX      128
#define BO_NAME_MAX       200
/* Tokens this server issues: the time of issue (6 bytes) and 24 random
   bytes, in unpadded base64url. */
#define BO_TOKEN_TIME_BYTES   6
#define BO_TOKEN_RANDOM_BYTES 24
#define BO_TOKEN_TEXT_LEN     40
/* How long a stored reply answers a retried request. */
#define BO_IDEMPOTENCY_TTL_MS (10 * 60 * 1000)

typedef enum {
    BO_OK = 0,
    BO_BAD_REQUEST,
    BO_UNKNOWN_OP,
    BO_TOO_LARGE,
    BO_NOT_FOUND,
    BO_TOKEN_INVALID,
    BO_TOKEN_WAITING,
    BO_TOKEN_EXPIRED,
    BO_NOT_RESERVABLE,
    BO_SEAT_TAKEN,
    BO_HOLD_LIMIT,
    BO_HOLD_EXPIRED,
    BO_INSUFFICIENT_POINTS,
    BO_FORBIDDEN,
    BO_CONFLICT,
    BO_INTERNAL,
    BO_STATUS_COUNT
} bo_status_t;

/* "SEAT_TAKEN" for BO_SEAT_TAKEN; "OK" for BO_OK. Never NULL. */
const char *bo_status_code(bo_status_t status);
/* The default human message for a status. Never NULL. */
const char *bo_status_message(bo_status_t status);
/* The status named by a code string, or BO_STATUS_COUNT if none is. */
bo_status_t bo_status_from_code(const char *code);

typedef enum {
    BO_OP_USER_CREATE,
    BO_OP_QUEUE_ENTER,
    BO_OP_QUEUE_STATUS,
    BO_OP_CONCERT_LIST,
    BO_OP_CONCERT_DATES,
    BO_OP_CONCERT_SEATS,
    BO_OP_SEAT_RESERVE,
    BO_OP_POINT_CHARGE,
    BO_OP_POINT_BALANCE,
    BO_OP_POINT_HISTORY,
    BO_OP_PAYMENT_PAY,
    BO_OP_RESERVATION_LIST,
    BO_OP_SERVER_PING,
    BO_OP_COUNT
} bo_op_t;

typedef enum {
    BO_FIELD_ID,     /* integer 1 .. BO_MAX_ID */
    BO_FIELD_INT,    /* integer min .. max */
    BO_FIELD_STRING, /* UTF-8 string of min .. max bytes */
} bo_field_type_t;

typedef struct {
    const char *name;
    bo_field_type_t type;
    bool required;
    int64_t min, max;
    size_t offset; /* where the decoded value lives in bo_request_t */
} bo_field_spec_t;

/* What the dispatcher does for an op before its handler runs. */
enum {
    BO_OP_NEEDS_USER = 1 << 0,  /* user_id must name an existing user */
    BO_OP_NEEDS_TOKEN = 1 << 1, /* token must be this user's, active, unexpired */
    BO_OP_IDEMPOTENT = 1 << 2,  /* a write: request_id replays the stored reply */
    BO_OP_WRITES = 1 << 3,      /* changes state (for logging and batching) */
};

struct bo_request;

typedef struct {
    bo_op_t op;
    const char *name; /* "seat.reserve" */
    unsigned flags;
    const bo_field_spec_t *fields;
    size_t field_count;
    /* Checks that span fields (which combinations are allowed), run after
       each field passed its own check; NULL when there are none. Returns
       false with a message on a malformed combination. */
    bool (*check)(const struct bo_request *request, char *message, size_t message_size);
    const char *summary; /* one line, for help text and docs */
} bo_op_entry_t;

/* The entry for an op, or for an op name (NULL if unknown). */
const bo_op_entry_t *bo_op_entry(bo_op_t op);
const bo_op_entry_t *bo_op_find(const char *name);

/* A request whose fields have been checked against its op entry. Strings
   point into `json`, which the request owns; absent integers are 0 (every
   integer field has a minimum of at least 1) and absent strings are NULL. */
typedef struct bo_request {
    const bo_op_entry_t *entry;
    const char *request_id;
    int64_t user_id;
    int64_t concert_id;
    int64_t schedule_id;
    int64_t reservation_id;
    int64_t seat_number;
    int64_t amount;
    int64_t limit;
    const char *name;
    const char *token;
    const char *concert_date;
    void *json; /* json_t *, owned */
} bo_request_t;

/* The states a queue token moves through. */
typedef enum { BO_TOKEN_WAIT, BO_TOKEN_ACTIVE, BO_TOKEN_EXPIRED_STATE } bo_token_status_t;
const char *bo_token_status_name(bo_token_status_t status);

typedef enum { BO_SEAT_FREE, BO_SEAT_HELD, BO_SEAT_SOLD } bo_seat_status_t;
const char *bo_seat_status_name(bo_seat_status_t status);

typedef enum {
    BO_RESERVATION_RESERVED,
    BO_RESERVATION_PAID,
    BO_RESERVATION_CANCELLED
} bo_reservation_status_t;
const char *bo_reservation_status_name(bo_reservation_status_t status);

typedef enum { BO_LEDGER_CHARGE, BO_LEDGER_USE, BO_LEDGER_REFUND } bo_ledger_kind_t;
const char *bo_ledger_kind_name(bo_ledger_kind_t kind);

/* Each parses a name back into its enum; false if the name is unknown. */
bool bo_token_status_parse(const char *name, bo_token_status_t *status);
bool bo_seat_status_parse(const char *name, bo_seat_status_t *status);
bool bo_reservation_status_parse(const char *name, bo_reservation_status_t *status);
bool bo_ledger_kind_parse(const char *name, bo_ledger_kind_t *kind);

/* The domain objects replies carry. Times are milliseconds since the epoch,
   0 meaning "none" (null on the wire). Strings are borrowed: valid as long
   as whatever produced the struct (a store row, a parsed reply) is. */
typedef struct {
    char token[BO_TOKEN_MAX + 1];
    bo_token_status_t status;
    int64_t position; /* 1-based while waiting, 0 otherwise */
    int64_t waiting;  /* people in line */
    int64_t eta_s;    /* estimated seconds until admitted, 0 unless waiting */
    int64_t expires_at;
} bo_queue_state_t;

typedef struct {
    int64_t concert_id;
    const char *title;
    const char *performer;
} bo_concert_t;

typedef struct {
    int64_t schedule_id;
    int64_t concert_id;
    const char *title;
    const char *performer;
    int64_t price; /* lowest seat price */
    int64_t show_time;
    int64_t reservation_start;
    int64_t reservation_end;
    int64_t left_tickets;
} bo_schedule_t;

typedef struct {
    int64_t number;
    bo_seat_status_t status;
    int64_t price;
} bo_seat_t;

typedef struct {
    int64_t reservation_id;
    bo_reservation_status_t status;
    const char *title;
    int64_t show_time;
    int64_t seat_number;
    int64_t price;
    int64_t hold_expires_at; /* 0 once paid or cancelled */
} bo_reservation_t;

typedef struct {
    bo_ledger_kind_t kind;
    int64_t amount; /* signed: a use is negative, so the entries sum to the balance */
    int64_t balance_after;
    int64_t at;
} bo_ledger_entry_t;

#endif
