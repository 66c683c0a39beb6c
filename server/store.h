/*  store: boxoffice's durable state, in domain terms.

    Everything the daemon remembers goes through this interface: users and
    their points, the waiting line, concerts, seats, holds and payments, and
    the replies kept for idempotent retries. SQLite (store_sqlite*.c) is the
    embedded implementation; nothing outside the store includes sqlite3.h or
    writes SQL, so another backend can sit behind the same functions.

    Transactions. Callers group work: store_begin() opens a write transaction,
    store_savepoint()/store_release()/store_rollback_to() fence one request
    inside it, store_commit() makes the whole group durable at once. Every
    other function must run inside a transaction and keeps the invariants on
    its own: a seat is held or sold by at most one reservation, left_tickets
    equals the free seats, a balance equals the sum of its ledger.

    Time. Every function that depends on the clock takes `now` (milliseconds
    since the epoch) from the caller. A hold or token whose expiry has passed
    is over at that instant, whether or not store_expire() has cleaned it up.

    Errors. Functions return BO_OK, a domain status (NOT_FOUND, SEAT_TAKEN...)
    that leaves nothing half-done, or BO_INTERNAL after logging the cause.
    Strings handed to visitors are borrowed for the duration of the call.
*/
#ifndef BO_STORE_H
#define BO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

typedef struct store_t store_t;

typedef struct {
    /* PRAGMA synchronous: true = FULL (an acknowledged commit survives power
       loss), false = NORMAL (survives a crash of the process only). */
    bool durable;
    int busy_timeout_ms;
} store_options_t;

/* The rules of the waiting line and of holds, from the daemon's options. */
typedef struct {
    int64_t admit_batch;       /* at most this many admitted per interval */
    int64_t admit_interval_ms; /* length of an admission interval */
    int64_t max_active;        /* never more active tokens than this */
    int64_t token_ttl_ms;      /* an admitted token lives this long */
    int64_t abandon_after_ms;  /* a waiter silent this long leaves the line */
    int64_t hold_ttl_ms;       /* a seat hold lasts this long */
} store_policy_t;

/* What one store_expire() pass did. */
typedef struct {
    int64_t tokens_expired; /* their time ran out */
    int64_t tokens_paid;    /* ended by payments since the last pass */
    int64_t waiters_dropped;
    int64_t holds_released;
    int64_t rows_purged;
} store_expire_report_t;

/* Opens (creating if missing) the database at `path` (":memory:" for tests)
   and brings its schema up to date. Returns NULL and writes the reason to
   `error` on failure. */
store_t *store_new(const char *path, const store_options_t *options, char *error,
                   size_t error_size);
void store_destroy(store_t **self_p);

/* Transactions (see above). store_begin waits up to busy_timeout_ms for
   another process's write to finish. */
bo_status_t store_begin(store_t *self);
/* store_begin waiting at most `wait_ms` (not busy_timeout_ms): BO_CONFLICT
   if another process still holds the write lock then. For background jobs,
   which can come back later rather than stall the requests behind them. */
bo_status_t store_try_begin(store_t *self, int wait_ms);
/* A transaction that only reads: it takes no write lock, so readers in
   other processes are never kept waiting. */
bo_status_t store_begin_read(store_t *self);
bo_status_t store_commit(store_t *self);
void store_rollback(store_t *self);
/* The bytes this store's commits have written to its write-ahead log since
   it was opened: what they cost the disk, for the loop's statistics. 0
   when the store keeps no such count (a database in memory, or one opened
   without durable commits). */
int64_t store_log_bytes(store_t *self);
/* False once an error has rolled the open transaction back. */
bool store_in_transaction(store_t *self);
bo_status_t store_savepoint(store_t *self);
bo_status_t store_release(store_t *self);
void store_rollback_to(store_t *self);

/* Loads the demo concerts, shows, seats and users unless the database
   already holds concerts. *loaded says which happened. */
bo_status_t store_seed_demo(store_t *self, int64_t now, bool *loaded);

/* Users and points. */
bo_status_t store_user_create(store_t *self, const char *name, int64_t now, int64_t *user_id);
bo_status_t store_user_exists(store_t *self, int64_t user_id);
bo_status_t store_point_balance(store_t *self, int64_t user_id, int64_t *balance);
/* Adds `amount` with an optimistic version check, retried a bounded number
   of times (CONFLICT when exhausted). BAD_REQUEST if the balance would pass
   BO_MAX_BALANCE. */
bo_status_t store_point_charge(store_t *self, int64_t user_id, int64_t amount, int64_t now,
                               int64_t *balance);
typedef void (*store_ledger_visitor_t)(void *arg, const bo_ledger_entry_t *entry);
bo_status_t store_point_history(store_t *self, int64_t user_id, int64_t limit,
                                store_ledger_visitor_t visit, void *arg);

/* Idempotency records. store_reply_find returns BO_NOT_FOUND when there is
   no live record; otherwise *fingerprint and *reply are malloc'd for the
   caller to free(). user_id 0 keys requests made before a user exists. */
bo_status_t store_reply_find(store_t *self, int64_t user_id, const char *request_id, int64_t now,
                             char **fingerprint, char **reply);
bo_status_t store_reply_save(store_t *self, int64_t user_id, const char *request_id,
                             const char *fingerprint, const char *reply, int64_t now);

/* The waiting line. store_queue_enter returns the user's live token, or
   issues `new_token` in a new place at the back and admits at once if this
   interval's admission budget allows. */
bo_status_t store_queue_enter(store_t *self, int64_t user_id, const char *new_token, int64_t now,
                              const store_policy_t *policy, bo_queue_state_t *state);
/* Where a token stands: TOKEN_INVALID if it is not this user's. Marks a
   waiter as still present, in memory until the next store_expire writes
   the marks, so this is a read. */
bo_status_t store_queue_status(store_t *self, int64_t user_id, const char *token, int64_t now,
                               const store_policy_t *policy, bo_queue_state_t *state);
/* The gate: BO_OK only for this user's active, unexpired token, whose id
   it then sets in *token_id (for store_pay, which ends it). */
bo_status_t store_token_gate(store_t *self, int64_t user_id, const char *token, int64_t now,
                             int64_t *token_id);
/* People waiting and tokens active, from counters (no scan). */
bo_status_t store_queue_counts(store_t *self, int64_t *waiting, int64_t *active);

/* Schedulers' work. Both first end the tokens that payments ended since
   the last pass and those past expiry, returning their slots. store_admit
   then activates the oldest waiters within this interval's budget and
   max_active. store_expire also writes the "still here" marks, drops silent waiters,
   releases lapsed holds and purges old rows; each step is bounded so one
   pass never stalls the server. */
bo_status_t store_admit(store_t *self, int64_t now, const store_policy_t *policy,
                        int64_t *admitted);
bo_status_t store_expire(store_t *self, int64_t now, const store_policy_t *policy,
                         store_expire_report_t *report);

/* Concerts, shows and seats. */
typedef void (*store_concert_visitor_t)(void *arg, const bo_concert_t *concert);
typedef void (*store_schedule_visitor_t)(void *arg, const bo_schedule_t *schedule);
typedef void (*store_seat_visitor_t)(void *arg, const bo_seat_t *seat);
bo_status_t store_concert_list(store_t *self, store_concert_visitor_t visit, void *arg);
/* Shows of a concert with tickets left whose reservation window holds now.
   NOT_FOUND if the concert does not exist. */
bo_status_t store_concert_dates(store_t *self, int64_t concert_id, int64_t now,
                                store_schedule_visitor_t visit, void *arg, int64_t *changes_at);
/* Every seat of a show, a lapsed hold counting as free. NOT_FOUND if the
   show does not exist. */
bo_status_t store_concert_seats(store_t *self, int64_t schedule_id, int64_t now,
                                store_seat_visitor_t visit, void *arg, int64_t *changes_at);
/* Reading answers again. The two calls above also say, in *changes_at,
   when their answer would next change with no write at all (a window
   opens, a hold lapses; INT64_MAX for never). Otherwise an answer changes
   only with the catalog version: it moves with every change to a concert,
   show or seat made through this store, with every rollback, and at the
   first transaction after another process wrote to the database. An answer
   read under one version, before its changes_at, is still the answer. */
uint64_t store_catalog_version(store_t *self);
/* The show of `concert_id` on a date ("YYYY-MM-DD", UTC) or at an exact
   RFC 3339 show time. NOT_FOUND if none; BAD_REQUEST if a date matches more
   than one show or the text is neither form. */
bo_status_t store_find_schedule(store_t *self, int64_t concert_id, const char *date_or_time,
                                int64_t *schedule_id, char *message, size_t message_size);

/* Holds and payment. store_hold_seat takes the seat with a conditional
   update, so of two callers racing for one seat exactly one wins, and shows
   the new hold to `visit`. */
typedef void (*store_reservation_visitor_t)(void *arg, const bo_reservation_t *reservation);
bo_status_t store_hold_seat(store_t *self, int64_t user_id, int64_t schedule_id,
                            int64_t seat_number, int64_t now, const store_policy_t *policy,
                            store_reservation_visitor_t visit, void *arg);
/* Pays a hold in full or changes nothing, except that a lapsed hold is
   cancelled (and HOLD_EXPIRED returned). On success the token `token_id`
   (as store_token_gate found it; 0 for none) ends at once, and its slot
   goes to the next person in line at the next admit or expire pass. */
bo_status_t store_pay(store_t *self, int64_t user_id, int64_t token_id, int64_t reservation_id,
                      int64_t now, bo_reservation_status_t *status, int64_t *balance);
/* A user's reservations, newest first, at most `limit`; a lapsed hold shows
   as cancelled. */
bo_status_t store_reservation_list(store_t *self, int64_t user_id, int64_t now, int64_t limit,
                                   store_reservation_visitor_t visit, void *arg);

/* Checks every invariant over the whole database. Returns BO_OK, or
   BO_INTERNAL with the first violation described in `report`. */
bo_status_t store_check_invariants(store_t *self, char *report, size_t report_size);

#endif
