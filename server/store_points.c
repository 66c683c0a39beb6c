/*  store_points: users, their point balances and the point ledger. */
#include "store_sqlite.h"

#include "log.h"

/* point.charge re-reads and retries this many times when another writer
   changed the balance between its read and its conditional update. */
#define CHARGE_ATTEMPTS 5

static const char SQL_USER_CREATE[] =
    "INSERT INTO users (name, point, version, created_at, updated_at) VALUES (?1, 0, 0, ?2, ?2)";
static const char SQL_USER_EXISTS[] = "SELECT 1 FROM users WHERE id = ?1";
static const char SQL_USER_POINT[] = "SELECT point, version FROM users WHERE id = ?1";
static const char SQL_USER_SET_POINT[] =
    "UPDATE users SET point = ?2, version = version + 1, updated_at = ?4"
    " WHERE id = ?1 AND version = ?3";
/* A spend is one conditional update: it never takes a balance below zero
   whatever ran between, and the version still moves, so a charge that read
   the balance before it retries. */
static const char SQL_USER_SPEND[] =
    "UPDATE users SET point = point - ?2, version = version + 1, updated_at = ?3"
    " WHERE id = ?1 AND point >= ?2 RETURNING point";
static const char SQL_LEDGER_ADD[] =
    "INSERT INTO point_ledger (user_id, kind, amount, balance_after, reservation_id, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_LEDGER_LIST[] =
    "SELECT kind, amount, balance_after, at FROM point_ledger WHERE user_id = ?1"
    " ORDER BY id DESC LIMIT ?2";

bo_status_t store_user_create(store_t *self, const char *name, int64_t now, int64_t *user_id)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_CREATE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now);
    bo_status_t status = store_run(self, stmt);
    if (status == BO_OK)
        *user_id = sqlite3_last_insert_rowid(sqlite3_db_handle(stmt));
    return status;
}

bo_status_t store_user_exists(store_t *self, int64_t user_id)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_EXISTS);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    bo_status_t status = store_row(self, stmt);
    sqlite3_reset(stmt);
    return status;
}

static bo_status_t s_read_point(store_t *self, int64_t user_id, int64_t *point, int64_t *version)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_POINT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    bo_status_t status = store_row(self, stmt);
    if (status == BO_OK) {
        *point = sqlite3_column_int64(stmt, 0);
        *version = sqlite3_column_int64(stmt, 1);
        sqlite3_reset(stmt);
    }
    return status;
}

bo_status_t store_point_balance(store_t *self, int64_t user_id, int64_t *balance)
{
    int64_t version;
    return s_read_point(self, user_id, balance, &version);
}

/* Sets the balance if nobody changed it since `version` was read; *applied
   says whether it did. */
static bo_status_t s_set_point(store_t *self, int64_t user_id, int64_t point, int64_t version,
                               int64_t now, bool *applied)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_SET_POINT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, point);
    sqlite3_bind_int64(stmt, 3, version);
    sqlite3_bind_int64(stmt, 4, now);
    bo_status_t status = store_run(self, stmt);
    *applied = status == BO_OK && store_changes(self) == 1;
    return status;
}

static bo_status_t s_ledger_add(store_t *self, int64_t user_id, bo_ledger_kind_t kind,
                                int64_t amount, int64_t balance_after, int64_t reservation_id,
                                int64_t now)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_LEDGER_ADD);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_text(stmt, 2, bo_ledger_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, amount);
    sqlite3_bind_int64(stmt, 4, balance_after);
    if (reservation_id)
        sqlite3_bind_int64(stmt, 5, reservation_id);
    sqlite3_bind_int64(stmt, 6, now);
    return store_run(self, stmt);
}

/* Adds `delta` to a balance and records the charge, with the optimistic
   version check: read, compute, write only if the version is unchanged,
   retry. Inside one SQLite write transaction the first attempt always
   wins; the check is what keeps a backend with weaker isolation correct. */
static bo_status_t s_charge(store_t *self, int64_t user_id, int64_t delta, int64_t now,
                            int64_t *balance)
{
    for (int attempt = 0; attempt < CHARGE_ATTEMPTS; attempt++) {
        int64_t point, version;
        bo_status_t status = s_read_point(self, user_id, &point, &version);
        if (status != BO_OK)
            return status;
        if (delta > BO_MAX_BALANCE - point)
            return BO_BAD_REQUEST;
        if (point + delta < 0) {
            *balance = point;
            return BO_INSUFFICIENT_POINTS;
        }
        bool applied;
        status = s_set_point(self, user_id, point + delta, version, now, &applied);
        if (status != BO_OK)
            return status;
        if (applied) {
            *balance = point + delta;
            return s_ledger_add(self, user_id, BO_LEDGER_CHARGE, delta, *balance, 0, now);
        }
        log_debug("store: balance of user %lld changed under us, retrying", (long long)user_id);
    }
    return BO_CONFLICT;
}

bo_status_t store_point_charge(store_t *self, int64_t user_id, int64_t amount, int64_t now,
                               int64_t *balance)
{
    if (store_atomic_begin(self) != BO_OK)
        return BO_INTERNAL;
    bo_status_t status = s_charge(self, user_id, amount, now, balance);
    if (store_atomic_end(self, status == BO_OK) != BO_OK)
        return BO_INTERNAL;
    return status;
}

bo_status_t store_point_spend(store_t *self, int64_t user_id, int64_t price, int64_t reservation_id,
                              int64_t now, int64_t *balance)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_SPEND);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, price);
    sqlite3_bind_int64(stmt, 3, now);
    bo_status_t status = store_row(self, stmt);
    if (status == BO_OK) {
        *balance = sqlite3_column_int64(stmt, 0);
        sqlite3_reset(stmt);
        return s_ledger_add(self, user_id, BO_LEDGER_USE, -price, *balance, reservation_id, now);
    }
    if (status != BO_NOT_FOUND)
        return status;
    /* Nothing changed: the user is unknown or the balance is short. */
    status = store_point_balance(self, user_id, balance);
    return status == BO_OK ? BO_INSUFFICIENT_POINTS : status;
}

bo_status_t store_point_history(store_t *self, int64_t user_id, int64_t limit,
                                store_ledger_visitor_t visit, void *arg)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_LEDGER_LIST);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, limit);
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        bo_ledger_entry_t entry = {
            .amount = sqlite3_column_int64(stmt, 1),
            .balance_after = sqlite3_column_int64(stmt, 2),
            .at = sqlite3_column_int64(stmt, 3),
        };
        bo_ledger_kind_parse(store_column_text(stmt, 0), &entry.kind);
        visit(arg, &entry);
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}
