/*  store_catalog: concerts, their shows (schedules) and seats, read-only. */
#include "store_sqlite.h"

#include <stdint.h>
#include <stdio.h>

#include "bo_time.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

static const char SQL_CONCERT_LIST[] = "SELECT id, title, performer FROM concerts ORDER BY id";
static const char SQL_CONCERT_EXISTS[] = "SELECT 1 FROM concerts WHERE id = ?1";
static const char SQL_SCHEDULE_EXISTS[] = "SELECT 1 FROM concert_schedules WHERE id = ?1";
/* A hold whose time has passed counts as a free seat here, as everywhere:
   the expire scheduler only tidies up after the clock. */
static const char SQL_CONCERT_DATES[] =
    "SELECT cs.id, cs.concert_id, c.title, c.performer,"
    " (SELECT MIN(price) FROM seats WHERE schedule_id = cs.id),"
    " cs.show_time, cs.reservation_start, cs.reservation_end,"
    " cs.left_tickets + (SELECT COUNT(*) FROM reservations WHERE status = 'reserved'"
    "   AND hold_expires_at <= ?2 AND schedule_id = cs.id) AS left"
    " FROM concert_schedules cs JOIN concerts c ON c.id = cs.concert_id"
    " WHERE cs.concert_id = ?1 AND cs.reservation_start <= ?2 AND ?2 < cs.reservation_end"
    " AND left > 0 ORDER BY cs.show_time, cs.id";
static const char SQL_CONCERT_SEATS[] =
    "SELECT number, CASE WHEN status = 'held' AND hold_expires_at <= ?2 THEN 'free'"
    " ELSE status END, price, CASE WHEN status = 'held' AND hold_expires_at > ?2"
    " THEN hold_expires_at END FROM seats WHERE schedule_id = ?1 ORDER BY number";
/* When the dates of a concert may next change with no write: a show's
   booking window opens or closes, or a hold lapses (any hold: the next to
   lapse is one index seek, where this concert's own would be a search). */
static const char SQL_DATES_NEXT_CHANGE[] =
    "SELECT MIN(CASE WHEN reservation_start > ?2 THEN reservation_start"
    " ELSE reservation_end END),"
    " (SELECT MIN(hold_expires_at) FROM reservations WHERE status = 'reserved'"
    "   AND hold_expires_at > ?2)"
    " FROM concert_schedules WHERE concert_id = ?1 AND reservation_end > ?2";
static const char SQL_SCHEDULES_IN_RANGE[] =
    "SELECT id FROM concert_schedules WHERE concert_id = ?1 AND show_time >= ?2"
    " AND show_time < ?3 ORDER BY show_time LIMIT 2";

static bo_status_t s_exists(store_t *self, const char *sql, int64_t id)
{
    sqlite3_stmt *stmt = store_stmt(self, sql);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, id);
    bo_status_t status = store_row(self, stmt);
    sqlite3_reset(stmt);
    return status;
}

bo_status_t store_concert_list(store_t *self, store_concert_visitor_t visit, void *arg)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_CONCERT_LIST);
    if (!stmt)
        return BO_INTERNAL;
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        bo_concert_t concert = {
            .concert_id = sqlite3_column_int64(stmt, 0),
            .title = store_column_text(stmt, 1),
            .performer = store_column_text(stmt, 2),
        };
        visit(arg, &concert);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}

/* The earlier of `changes_at` and the time in column `column`, if any. */
static int64_t s_earlier(int64_t changes_at, sqlite3_stmt *stmt, int column)
{
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL)
        return changes_at;
    int64_t at = sqlite3_column_int64(stmt, column);
    return at < changes_at ? at : changes_at;
}

static bo_status_t s_dates_next_change(store_t *self, int64_t concert_id, int64_t now,
                                       int64_t *changes_at)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_DATES_NEXT_CHANGE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, concert_id);
    sqlite3_bind_int64(stmt, 2, now);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return BO_INTERNAL;
    *changes_at = s_earlier(s_earlier(INT64_MAX, stmt, 0), stmt, 1);
    sqlite3_reset(stmt);
    return BO_OK;
}

bo_status_t store_concert_dates(store_t *self, int64_t concert_id, int64_t now,
                                store_schedule_visitor_t visit, void *arg, int64_t *changes_at)
{
    bo_status_t status = s_exists(self, SQL_CONCERT_EXISTS, concert_id);
    if (status != BO_OK)
        return status;
    status = s_dates_next_change(self, concert_id, now, changes_at);
    if (status != BO_OK)
        return status;
    sqlite3_stmt *stmt = store_stmt(self, SQL_CONCERT_DATES);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, concert_id);
    sqlite3_bind_int64(stmt, 2, now);
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        bo_schedule_t schedule = {
            .schedule_id = sqlite3_column_int64(stmt, 0),
            .concert_id = sqlite3_column_int64(stmt, 1),
            .title = store_column_text(stmt, 2),
            .performer = store_column_text(stmt, 3),
            .price = sqlite3_column_int64(stmt, 4),
            .show_time = sqlite3_column_int64(stmt, 5),
            .reservation_start = sqlite3_column_int64(stmt, 6),
            .reservation_end = sqlite3_column_int64(stmt, 7),
            .left_tickets = sqlite3_column_int64(stmt, 8),
        };
        visit(arg, &schedule);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}

bo_status_t store_concert_seats(store_t *self, int64_t schedule_id, int64_t now,
                                store_seat_visitor_t visit, void *arg, int64_t *changes_at)
{
    *changes_at = INT64_MAX;
    bo_status_t status = s_exists(self, SQL_SCHEDULE_EXISTS, schedule_id);
    if (status != BO_OK)
        return status;
    sqlite3_stmt *stmt = store_stmt(self, SQL_CONCERT_SEATS);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, schedule_id);
    sqlite3_bind_int64(stmt, 2, now);
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        bo_seat_t seat = {
            .number = sqlite3_column_int64(stmt, 0),
            .price = sqlite3_column_int64(stmt, 2),
        };
        bo_seat_status_parse(store_column_text(stmt, 1), &seat.status);
        *changes_at = s_earlier(*changes_at, stmt, 3);
        visit(arg, &seat);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}

bo_status_t store_find_schedule(store_t *self, int64_t concert_id, const char *date_or_time,
                                int64_t *schedule_id, char *message, size_t message_size)
{
    int64_t from, to;
    if (bo_date_parse(date_or_time, &from)) {
        to = from + DAY_MS;
    } else if (bo_time_parse(date_or_time, &from)) {
        to = from + 1;
    } else {
        snprintf(message, message_size, "concert_date must be YYYY-MM-DD or an RFC 3339 show time");
        return BO_BAD_REQUEST;
    }
    bo_status_t status = s_exists(self, SQL_CONCERT_EXISTS, concert_id);
    if (status == BO_NOT_FOUND)
        snprintf(message, message_size, "no concert %lld", (long long)concert_id);
    if (status != BO_OK)
        return status;
    sqlite3_stmt *stmt = store_stmt(self, SQL_SCHEDULES_IN_RANGE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, concert_id);
    sqlite3_bind_int64(stmt, 2, from);
    sqlite3_bind_int64(stmt, 3, to);
    int found = 0, rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW)
        if (found++ == 0)
            *schedule_id = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return BO_INTERNAL;
    if (found == 0) {
        snprintf(message, message_size, "concert %lld has no show at %s", (long long)concert_id,
                 date_or_time);
        return BO_NOT_FOUND;
    }
    if (found > 1) {
        snprintf(message, message_size,
                 "concert %lld has several shows on %s; give schedule_id or the show time",
                 (long long)concert_id, date_or_time);
        return BO_BAD_REQUEST;
    }
    return BO_OK;
}
