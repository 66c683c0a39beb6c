/*  store_booking: seat holds, payments and the release of lapsed holds.

    A seat moves free -> held -> sold, or held -> free when its hold lapses.
    Each move changes the seat, its reservation and the show's left_tickets
    together, so the counts always agree with the seats. */
#include "store_sqlite.h"

#include <stdlib.h>
#include <string.h>

#include "bo_time.h"
#include "log.h"

static const char SQL_SCHEDULE_FOR_HOLD[] =
    "SELECT cs.reservation_start, cs.reservation_end, cs.left_tickets, c.title, cs.show_time"
    " FROM concert_schedules cs JOIN concerts c ON c.id = cs.concert_id WHERE cs.id = ?1";
static const char SQL_OPEN_HOLDS[] =
    "SELECT COUNT(*) FROM reservations WHERE user_id = ?1 AND status = 'reserved'"
    " AND hold_expires_at > ?2";
static const char SQL_SEAT_FOR_HOLD[] =
    "SELECT id, status, hold_expires_at, reservation_id, price FROM seats"
    " WHERE schedule_id = ?1 AND number = ?2";
static const char SQL_RESERVATION_INSERT[] =
    "INSERT INTO reservations (user_id, schedule_id, seat_id, status, price, hold_expires_at,"
    " created_at, updated_at) VALUES (?1, ?2, ?3, 'reserved', ?4, ?5, ?6, ?6)";
/* The lock: only a free seat, or one whose hold has lapsed, can be taken. */
static const char SQL_SEAT_TAKE[] =
    "UPDATE seats SET status = 'held', reservation_id = ?2, hold_expires_at = ?3"
    " WHERE id = ?1 AND (status = 'free' OR (status = 'held' AND hold_expires_at <= ?4))";
static const char SQL_SCHEDULE_SEAT_TAKEN[] =
    "UPDATE concert_schedules SET left_tickets = left_tickets - 1 WHERE id = ?1";
static const char SQL_SCHEDULE_SEAT_FREED[] =
    "UPDATE concert_schedules SET left_tickets = left_tickets + 1 WHERE id = ?1";
static const char SQL_RESERVATION_CANCEL[] =
    "UPDATE reservations SET status = 'cancelled', hold_expires_at = NULL, updated_at = ?2"
    " WHERE id = ?1 AND status = 'reserved'";
static const char SQL_SEAT_FREE[] =
    "UPDATE seats SET status = 'free', reservation_id = NULL, hold_expires_at = NULL"
    " WHERE id = ?1 AND reservation_id = ?2 AND status = 'held'";
static const char SQL_RESERVATION_FOR_PAY[] =
    "SELECT user_id, status, price, hold_expires_at, seat_id, schedule_id FROM reservations"
    " WHERE id = ?1";
static const char SQL_RESERVATION_PAID[] =
    "UPDATE reservations SET status = 'paid', hold_expires_at = NULL, updated_at = ?2"
    " WHERE id = ?1 AND status = 'reserved'";
static const char SQL_SEAT_SOLD[] = "UPDATE seats SET status = 'sold', hold_expires_at = NULL"
                                    " WHERE id = ?1 AND reservation_id = ?2 AND status = 'held'";
static const char SQL_LAPSED_HOLDS_CANCEL[] =
    "UPDATE reservations SET status = 'cancelled', hold_expires_at = NULL, updated_at = ?1"
    " WHERE id IN (SELECT id FROM reservations WHERE status = 'reserved'"
    " AND hold_expires_at <= ?1 LIMIT ?2) RETURNING id, seat_id, schedule_id";
static const char SQL_RESERVATION_LIST[] =
    "SELECT r.id, CASE WHEN r.status = 'reserved' AND r.hold_expires_at <= ?2 THEN 'cancelled'"
    " ELSE r.status END, c.title, cs.show_time, s.number, r.price,"
    " CASE WHEN r.hold_expires_at > ?2 THEN r.hold_expires_at END"
    " FROM reservations r JOIN seats s ON s.id = r.seat_id"
    " JOIN concert_schedules cs ON cs.id = r.schedule_id JOIN concerts c ON c.id = cs.concert_id"
    " WHERE r.user_id = ?1 ORDER BY r.id DESC LIMIT ?3";

/* Runs a statement binding (a, b) to ?1, ?2 and returns how many rows it
   changed, or -1 on error. */
static int64_t s_change(store_t *self, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *stmt = store_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, b);
    if (store_run(self, stmt) != BO_OK)
        return -1;
    return store_changes(self);
}

/* Frees the seat of a reservation and gives the ticket back to its show.
   The reservation must already be cancelled (or about to be). */
static bo_status_t s_free_seat(store_t *self, int64_t seat_id, int64_t reservation_id,
                               int64_t schedule_id)
{
    int64_t freed = s_change(self, SQL_SEAT_FREE, seat_id, reservation_id);
    if (freed < 0)
        return BO_INTERNAL;
    if (freed == 1 && s_change(self, SQL_SCHEDULE_SEAT_FREED, schedule_id, 0) != 1)
        return BO_INTERNAL;
    return BO_OK;
}

static bo_status_t s_release(store_t *self, int64_t reservation_id, int64_t seat_id,
                             int64_t schedule_id, int64_t now)
{
    if (s_change(self, SQL_RESERVATION_CANCEL, reservation_id, now) < 0)
        return BO_INTERNAL;
    return s_free_seat(self, seat_id, reservation_id, schedule_id);
}

typedef struct {
    int64_t reservation_start, reservation_end, left_tickets, show_time;
    char *title; /* owned */
} hold_show_t;

typedef struct {
    int64_t id, hold_expires_at, reservation_id, price;
    bo_seat_status_t status;
} hold_seat_t;

static bo_status_t s_read_seat(store_t *self, int64_t schedule_id, int64_t seat_number,
                               hold_seat_t *seat)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_SEAT_FOR_HOLD);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, schedule_id);
    sqlite3_bind_int64(stmt, 2, seat_number);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return status;
    seat->id = sqlite3_column_int64(stmt, 0);
    bo_seat_status_parse(store_column_text(stmt, 1), &seat->status);
    seat->hold_expires_at = sqlite3_column_int64(stmt, 2);
    seat->reservation_id = sqlite3_column_int64(stmt, 3);
    seat->price = sqlite3_column_int64(stmt, 4);
    sqlite3_reset(stmt);
    return BO_OK;
}

static bo_status_t s_open_holds(store_t *self, int64_t user_id, int64_t now, int64_t *count)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_OPEN_HOLDS);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, now);
    if (store_row(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *count = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return BO_OK;
}

/* Takes the seat for a new reservation; the checks before this have read
   the seat as takeable, and the conditional update makes sure it still is. */
static bo_status_t s_take_seat(store_t *self, int64_t user_id, int64_t schedule_id,
                               const hold_seat_t *seat, int64_t hold_expires_at, int64_t now,
                               int64_t *reservation_id)
{
    bool lapsed = seat->status == BO_SEAT_HELD;
    if (lapsed && s_change(self, SQL_RESERVATION_CANCEL, seat->reservation_id, now) < 0)
        return BO_INTERNAL;
    sqlite3_stmt *stmt = store_stmt(self, SQL_RESERVATION_INSERT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, schedule_id);
    sqlite3_bind_int64(stmt, 3, seat->id);
    sqlite3_bind_int64(stmt, 4, seat->price);
    sqlite3_bind_int64(stmt, 5, hold_expires_at);
    sqlite3_bind_int64(stmt, 6, now);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *reservation_id = sqlite3_last_insert_rowid(sqlite3_db_handle(stmt));
    stmt = store_stmt(self, SQL_SEAT_TAKE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, seat->id);
    sqlite3_bind_int64(stmt, 2, *reservation_id);
    sqlite3_bind_int64(stmt, 3, hold_expires_at);
    sqlite3_bind_int64(stmt, 4, now);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    if (store_changes(self) != 1)
        return BO_SEAT_TAKEN;
    /* Taking over a lapsed hold leaves the seat held: no ticket moves. */
    if (!lapsed && s_change(self, SQL_SCHEDULE_SEAT_TAKEN, schedule_id, 0) != 1)
        return BO_INTERNAL;
    return BO_OK;
}

static bo_status_t s_read_show(store_t *self, int64_t schedule_id, hold_show_t *show)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_SCHEDULE_FOR_HOLD);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, schedule_id);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return status;
    show->reservation_start = sqlite3_column_int64(stmt, 0);
    show->reservation_end = sqlite3_column_int64(stmt, 1);
    show->left_tickets = sqlite3_column_int64(stmt, 2);
    show->title = strdup(store_column_text(stmt, 3));
    show->show_time = sqlite3_column_int64(stmt, 4);
    sqlite3_reset(stmt);
    return show->title ? BO_OK : BO_INTERNAL;
}

static bo_status_t s_hold(store_t *self, int64_t user_id, int64_t seat_number, int64_t now,
                          const store_policy_t *policy, int64_t schedule_id,
                          const hold_show_t *show, store_reservation_visitor_t visit, void *arg)
{
    if (now < show->reservation_start || now >= show->reservation_end)
        return BO_NOT_RESERVABLE;
    int64_t open_holds;
    if (s_open_holds(self, user_id, now, &open_holds) != BO_OK)
        return BO_INTERNAL;
    if (open_holds >= BO_MAX_HOLDS)
        return BO_HOLD_LIMIT;
    hold_seat_t seat;
    bo_status_t status = s_read_seat(self, schedule_id, seat_number, &seat);
    if (status != BO_OK)
        return status;
    bool takeable =
        seat.status == BO_SEAT_FREE || (seat.status == BO_SEAT_HELD && seat.hold_expires_at <= now);
    if (!takeable)
        return show->left_tickets == 0 ? BO_NOT_RESERVABLE : BO_SEAT_TAKEN;
    bo_reservation_t hold = {
        .status = BO_RESERVATION_RESERVED,
        .title = show->title,
        .show_time = show->show_time,
        .seat_number = seat_number,
        .price = seat.price,
        .hold_expires_at = bo_ceil_second(now) + policy->hold_ttl_ms,
    };
    status = s_take_seat(self, user_id, schedule_id, &seat, hold.hold_expires_at, now,
                         &hold.reservation_id);
    if (status == BO_OK)
        visit(arg, &hold);
    return status;
}

bo_status_t store_hold_seat(store_t *self, int64_t user_id, int64_t schedule_id,
                            int64_t seat_number, int64_t now, const store_policy_t *policy,
                            store_reservation_visitor_t visit, void *arg)
{
    hold_show_t show;
    bo_status_t status = s_read_show(self, schedule_id, &show);
    if (status != BO_OK)
        return status;
    if (store_atomic_begin(self) == BO_OK) {
        status = s_hold(self, user_id, seat_number, now, policy, schedule_id, &show, visit, arg);
        if (store_atomic_end(self, status == BO_OK) != BO_OK)
            status = BO_INTERNAL;
    } else {
        status = BO_INTERNAL;
    }
    free(show.title);
    return status;
}

typedef struct {
    int64_t user_id, price, hold_expires_at, seat_id, schedule_id;
    bo_reservation_status_t status;
} pay_reservation_t;

static bo_status_t s_read_reservation(store_t *self, int64_t reservation_id,
                                      pay_reservation_t *reservation)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_RESERVATION_FOR_PAY);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, reservation_id);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return status;
    reservation->user_id = sqlite3_column_int64(stmt, 0);
    bo_reservation_status_parse(store_column_text(stmt, 1), &reservation->status);
    reservation->price = sqlite3_column_int64(stmt, 2);
    reservation->hold_expires_at = sqlite3_column_int64(stmt, 3);
    reservation->seat_id = sqlite3_column_int64(stmt, 4);
    reservation->schedule_id = sqlite3_column_int64(stmt, 5);
    sqlite3_reset(stmt);
    return BO_OK;
}

static bo_status_t s_pay(store_t *self, int64_t user_id, int64_t token_id, int64_t reservation_id,
                         int64_t now, bo_reservation_status_t *result, int64_t *balance)
{
    pay_reservation_t reservation;
    bo_status_t status = s_read_reservation(self, reservation_id, &reservation);
    if (status != BO_OK)
        return status;
    if (reservation.user_id != user_id)
        return BO_FORBIDDEN;
    *result = reservation.status;
    if (reservation.status == BO_RESERVATION_PAID)
        return store_point_balance(self, user_id, balance);
    if (reservation.status == BO_RESERVATION_CANCELLED)
        return BO_HOLD_EXPIRED;
    if (reservation.hold_expires_at <= now) {
        *result = BO_RESERVATION_CANCELLED;
        if (s_release(self, reservation_id, reservation.seat_id, reservation.schedule_id, now) !=
            BO_OK)
            return BO_INTERNAL;
        return BO_HOLD_EXPIRED;
    }
    status = store_point_spend(self, user_id, reservation.price, reservation_id, now, balance);
    if (status != BO_OK)
        return status;
    if (s_change(self, SQL_RESERVATION_PAID, reservation_id, now) != 1 ||
        s_change(self, SQL_SEAT_SOLD, reservation.seat_id, reservation_id) != 1) {
        log_error("store: reservation %lld and its seat disagree", (long long)reservation_id);
        return BO_INTERNAL;
    }
    *result = BO_RESERVATION_PAID;
    return token_id ? store_token_end(self, user_id, token_id, now) : BO_OK;
}

bo_status_t store_pay(store_t *self, int64_t user_id, int64_t token_id, int64_t reservation_id,
                      int64_t now, bo_reservation_status_t *status, int64_t *balance)
{
    if (store_atomic_begin(self) != BO_OK)
        return BO_INTERNAL;
    bo_status_t result = s_pay(self, user_id, token_id, reservation_id, now, status, balance);
    /* A lapsed hold is released even though the payment fails. */
    bool keep = result == BO_OK || result == BO_HOLD_EXPIRED;
    if (store_atomic_end(self, keep) != BO_OK)
        return BO_INTERNAL;
    return result;
}

bo_status_t store_release_lapsed_holds(store_t *self, int64_t now, int64_t limit, int64_t *released)
{
    *released = 0;
    sqlite3_stmt *stmt = store_stmt(self, SQL_LAPSED_HOLDS_CANCEL);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, limit);
    /* The UPDATE completes on the first step; its RETURNING rows are read
       back while each seat is freed. */
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        if (s_free_seat(self, sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 0),
                        sqlite3_column_int64(stmt, 2)) != BO_OK) {
            sqlite3_reset(stmt);
            return BO_INTERNAL;
        }
        (*released)++;
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}

bo_status_t store_reservation_list(store_t *self, int64_t user_id, int64_t now, int64_t limit,
                                   store_reservation_visitor_t visit, void *arg)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_RESERVATION_LIST);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, now);
    sqlite3_bind_int64(stmt, 3, limit);
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        bo_reservation_t reservation = {
            .reservation_id = sqlite3_column_int64(stmt, 0),
            .title = store_column_text(stmt, 2),
            .show_time = sqlite3_column_int64(stmt, 3),
            .seat_number = sqlite3_column_int64(stmt, 4),
            .price = sqlite3_column_int64(stmt, 5),
            .hold_expires_at = sqlite3_column_int64(stmt, 6),
        };
        bo_reservation_status_parse(store_column_text(stmt, 1), &reservation.status);
        visit(arg, &reservation);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}
