/*  store_sqlite: the SQLite connection, schema, transactions, idempotent
    replies and the invariant check. */
#include "store_sqlite.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sql_embedded.h"

/* Comfortably more than the distinct statements the store runs; the cache
   is open-addressed by the address of each statement's text. */
#define STMT_CACHE_SLOTS 256

/* Waiters' "still here" marks wait in memory for the expire job, so that
   asking one's place in line is a pure read. Past this many, marks are
   written at once instead. */
#define SEEN_MAX (1 << 20)

struct store_t {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE_SLOTS];
    store_seen_t *seen;
    size_t seen_count, seen_capacity;
    int busy_timeout_ms;
    /* See store_catalog_version(). data_version is SQLite's count of other
       connections' commits as of the last transaction begun. */
    uint64_t catalog_version;
    int64_t data_version;
    store_checkpointer_t *checkpointer; /* NULL: SQLite checkpoints inline */
};

bool store_seen_add(store_t *self, int64_t token_id, int64_t at)
{
    if (self->seen_count == self->seen_capacity) {
        size_t capacity = self->seen_capacity ? self->seen_capacity * 2 : 1024;
        store_seen_t *grown =
            capacity <= SEEN_MAX ? realloc(self->seen, capacity * sizeof *grown) : NULL;
        if (!grown)
            return false;
        self->seen = grown;
        self->seen_capacity = capacity;
    }
    self->seen[self->seen_count++] = (store_seen_t){token_id, at};
    return true;
}

const store_seen_t *store_seen_marks(const store_t *self, size_t *count)
{
    *count = self->seen_count;
    return self->seen;
}

void store_seen_clear(store_t *self)
{
    self->seen_count = 0;
}

bo_status_t store_fail(store_t *self, const char *what)
{
    log_error("store: %s: %s (sqlite %d)", what, sqlite3_errmsg(self->db),
              sqlite3_extended_errcode(self->db));
    return BO_INTERNAL;
}

sqlite3_stmt *store_stmt(store_t *self, const char *sql)
{
    size_t slot = ((uintptr_t)sql >> 3) % STMT_CACHE_SLOTS;
    for (size_t probe = 0; probe < STMT_CACHE_SLOTS; probe++) {
        size_t index = (slot + probe) % STMT_CACHE_SLOTS;
        if (self->cache[index].sql == sql) {
            sqlite3_stmt *stmt = self->cache[index].stmt;
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            return stmt;
        }
        if (!self->cache[index].sql) {
            sqlite3_stmt *stmt = NULL;
            if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
                SQLITE_OK) {
                store_fail(self, "prepare");
                log_error("store: in: %s", sql);
                return NULL;
            }
            self->cache[index].sql = sql;
            self->cache[index].stmt = stmt;
            return stmt;
        }
    }
    log_error("store: statement cache full");
    return NULL;
}

int store_step(store_t *self, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_fail(self, "step");
        log_error("store: in: %s", sqlite3_sql(stmt));
    }
    return rc;
}

bo_status_t store_run(store_t *self, sqlite3_stmt *stmt)
{
    if (!stmt)
        return BO_INTERNAL;
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW)
        ;
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_OK : BO_INTERNAL;
}

bo_status_t store_row(store_t *self, sqlite3_stmt *stmt)
{
    if (!stmt)
        return BO_INTERNAL;
    int rc = store_step(self, stmt);
    if (rc == SQLITE_ROW)
        return BO_OK;
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? BO_NOT_FOUND : BO_INTERNAL;
}

int64_t store_changes(store_t *self)
{
    return sqlite3_changes64(self->db);
}

const char *store_column_text(sqlite3_stmt *stmt, int column)
{
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return text ? (const char *)text : "";
}

static bo_status_t s_exec(store_t *self, const char *sql)
{
    return store_run(self, store_stmt(self, sql));
}

/* The update hook sees every row this connection inserts, updates or
   deletes in a rowid table, whichever statement did it. */
static void s_on_row_change(void *arg, int change, const char *database, const char *table,
                            sqlite3_int64 rowid)
{
    (void)change, (void)database, (void)rowid;
    store_t *self = arg;
    if (strcmp(table, "seats") == 0 || strcmp(table, "concert_schedules") == 0 ||
        strcmp(table, "concerts") == 0)
        self->catalog_version++;
}

/* A rollback may undo a change that answers were read under. */
static void s_on_rollback(void *arg)
{
    store_t *self = arg;
    self->catalog_version++;
}

static const char SQL_DATA_VERSION[] = "PRAGMA data_version";

/* Run first in every transaction: another process's commit since the last
   one may have changed the catalog. */
static bo_status_t s_notice_other_writers(store_t *self)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_DATA_VERSION);
    if (store_row(self, stmt) != BO_OK)
        return store_fail(self, "PRAGMA data_version");
    int64_t version = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (version != self->data_version) {
        self->data_version = version;
        self->catalog_version++;
    }
    return BO_OK;
}

uint64_t store_catalog_version(store_t *self)
{
    return self->catalog_version;
}

/* A transaction just begun by `begun` (BO_OK or not), after its first read. */
static bo_status_t s_begun(store_t *self, bo_status_t begun)
{
    if (begun != BO_OK)
        return begun;
    bo_status_t status = s_notice_other_writers(self);
    if (status != BO_OK)
        store_rollback(self);
    return status;
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN DEFERRED";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT_REQUEST[] = "SAVEPOINT request";
static const char SQL_RELEASE_REQUEST[] = "RELEASE request";
static const char SQL_ROLLBACK_TO_REQUEST[] = "ROLLBACK TO request";
static const char SQL_SAVEPOINT_ATOMIC[] = "SAVEPOINT atomic";
static const char SQL_RELEASE_ATOMIC[] = "RELEASE atomic";
static const char SQL_ROLLBACK_TO_ATOMIC[] = "ROLLBACK TO atomic";

bo_status_t store_begin(store_t *self)
{
    return s_begun(self, s_exec(self, SQL_BEGIN));
}

bo_status_t store_try_begin(store_t *self, int wait_ms)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_BEGIN);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_busy_timeout(self->db, wait_ms);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_busy_timeout(self->db, self->busy_timeout_ms);
    if (rc == SQLITE_DONE)
        return s_begun(self, BO_OK);
    if ((rc & 0xff) == SQLITE_BUSY)
        return BO_CONFLICT;
    return store_fail(self, "BEGIN IMMEDIATE");
}

bo_status_t store_begin_read(store_t *self)
{
    /* BEGIN DEFERRED takes its snapshot at the first read, which is the
       data_version pragma: the version read is that of the snapshot. */
    return s_begun(self, s_exec(self, SQL_BEGIN_READ));
}

bo_status_t store_commit(store_t *self)
{
    bo_status_t status = s_exec(self, SQL_COMMIT);
    if (status != BO_OK)
        store_rollback(self);
    return status;
}

void store_rollback(store_t *self)
{
    if (!sqlite3_get_autocommit(self->db))
        s_exec(self, SQL_ROLLBACK);
}

int64_t store_log_bytes(store_t *self)
{
    sqlite3_file *log = NULL;
    if (sqlite3_file_control(self->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK)
        return 0;
    return store_vfs_log_written(log);
}

bool store_in_transaction(store_t *self)
{
    return !sqlite3_get_autocommit(self->db);
}

bo_status_t store_savepoint(store_t *self)
{
    return s_exec(self, SQL_SAVEPOINT_REQUEST);
}

bo_status_t store_release(store_t *self)
{
    return s_exec(self, SQL_RELEASE_REQUEST);
}

/* ROLLBACK TO undoes the work but keeps the savepoint open; RELEASE then
   closes it so the next request starts from the same depth. */
void store_rollback_to(store_t *self)
{
    self->catalog_version++;
    s_exec(self, SQL_ROLLBACK_TO_REQUEST);
    s_exec(self, SQL_RELEASE_REQUEST);
}

bo_status_t store_atomic_begin(store_t *self)
{
    return s_exec(self, SQL_SAVEPOINT_ATOMIC);
}

bo_status_t store_atomic_end(store_t *self, bool keep)
{
    if (!keep)
        self->catalog_version++;
    if (!keep && s_exec(self, SQL_ROLLBACK_TO_ATOMIC) != BO_OK)
        return BO_INTERNAL;
    return s_exec(self, SQL_RELEASE_ATOMIC);
}

/* One-off statements (pragmas, migrations) that need no cache. */
static bool s_exec_script(store_t *self, const char *sql, char *error, size_t error_size)
{
    char *message = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &message) == SQLITE_OK)
        return true;
    snprintf(error, error_size, "%s", message ? message : sqlite3_errmsg(self->db));
    sqlite3_free(message);
    return false;
}

/* The value of an integer pragma such as "PRAGMA user_version", or -1. */
static int s_pragma_int(store_t *self, const char *pragma)
{
    sqlite3_stmt *stmt = NULL;
    int value = -1;
    if (sqlite3_prepare_v2(self->db, pragma, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

static int s_user_version(store_t *self)
{
    return s_pragma_int(self, "PRAGMA user_version");
}

/* Every migration ends by moving schema_version on: a migration that edits
   sqlite_schema itself (004) changes no version by that, and connections
   open on the file would go on with the old text. */
static bool s_bump_schema_version(store_t *self, char *error, size_t error_size)
{
    int version = s_pragma_int(self, "PRAGMA schema_version");
    if (version < 0) {
        snprintf(error, error_size, "cannot read the schema_version");
        return false;
    }
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA schema_version = %d", version + 1);
    return s_exec_script(self, bump, error, error_size);
}

/* Applies each migration newer than the database in its own transaction.
   The version is read again after BEGIN IMMEDIATE, so two daemons starting
   together on a new file do not both apply the same step. */
static bool s_migrate(store_t *self, char *error, size_t error_size)
{
    for (int i = 0; i < sql_migration_count; i++) {
        const sql_migration_t *migration = &sql_migrations[i];
        if (!s_exec_script(self, "BEGIN IMMEDIATE", error, error_size))
            return false;
        int version = s_user_version(self);
        if (version < 0) {
            snprintf(error, error_size, "cannot read the schema version");
            s_exec_script(self, "ROLLBACK", error, 0);
            return false;
        }
        if (version >= migration->version) {
            s_exec_script(self, "COMMIT", error, error_size);
            continue;
        }
        char set_version[64];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", migration->version);
        char reason[512];
        if (!s_exec_script(self, migration->sql, reason, sizeof reason) ||
            !s_bump_schema_version(self, reason, sizeof reason) ||
            !s_exec_script(self, set_version, reason, sizeof reason) ||
            !s_exec_script(self, "COMMIT", reason, sizeof reason)) {
            snprintf(error, error_size, "migration %s: %s", migration->name, reason);
            s_exec_script(self, "ROLLBACK", reason, sizeof reason);
            return false;
        }
        log_info("store: applied migration %s", migration->name);
    }
    int newest = sql_migrations[sql_migration_count - 1].version;
    if (s_user_version(self) > newest) {
        snprintf(error, error_size,
                 "the database has schema version %d; this boxofficed knows up to %d",
                 s_user_version(self), newest);
        return false;
    }
    return true;
}

/* Each request of a batch runs in its own savepoint, and SQLite keeps the
   pages it first changes there in a sub-journal, to undo them: 15 pages
   (60 KB) for a payment. The sub-journal stays in memory until it is this
   big, and it is also the size of the pieces it is kept in. With the
   default (64 KiB) a reservation spilled to a temporary file, one write per
   page; with temp_store=MEMORY it is kept in 1 KiB pieces, five allocations
   per page and as many frees when the request ends (13% of a payment's
   time). One piece of 1 MiB holds any request's. */
#define SUBJOURNAL_SPILL_BYTES (1024 * 1024)

/* SQLite keeps statistics of its memory by default, taking a global mutex
   on every allocation (3% of the daemon's time on payments); nothing here
   reads them. Only possible before SQLite's first use in the process, so
   later stores (and processes that used SQLite already) just keep them;
   the same goes for the sub-journal's size. */
static void s_configure_sqlite(void)
{
    static bool configured;
    if (!configured) {
        configured = true;
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, SUBJOURNAL_SPILL_BYTES);
    }
}

/* The log's size, in pages, past which a commit asks for a checkpoint:
   SQLite's own default. */
#define CHECKPOINT_PAGES 1000
/* Should the checkpoint thread fall this far behind, a commit checkpoints
   inline (PASSIVE too) rather than let the log grow without bound. */
#define CHECKPOINT_INLINE_PAGES (64 * CHECKPOINT_PAGES)

static int s_on_log_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    store_t *self = arg;
    if (pages < CHECKPOINT_PAGES)
        return SQLITE_OK;
    if (store_checkpointer_after_commit(self->checkpointer) || pages >= CHECKPOINT_INLINE_PAGES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* Moves checkpoints to their own thread (store_checkpoint.c), for a
   database in a file; one in memory has no log. */
static void s_start_checkpointer(store_t *self, const char *path, const char *vfs, bool durable)
{
    if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
        return;
    self->checkpointer = store_checkpointer_new(path, vfs, durable);
    if (self->checkpointer)
        sqlite3_wal_hook(self->db, s_on_log_commit, self);
}

store_t *store_new(const char *path, const store_options_t *options, char *error, size_t error_size)
{
    s_configure_sqlite();
    store_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const char *vfs = options->durable && store_vfs_register() ? STORE_VFS_GATHER : NULL;
    if (sqlite3_open_v2(path, &self->db, flags, vfs) != SQLITE_OK) {
        snprintf(error, error_size, "%s", self->db ? sqlite3_errmsg(self->db) : "out of memory");
        store_destroy(&self);
        return NULL;
    }
    self->busy_timeout_ms = options->busy_timeout_ms;
    sqlite3_busy_timeout(self->db, options->busy_timeout_ms);
    sqlite3_extended_result_codes(self->db, 1);
    sqlite3_update_hook(self->db, s_on_row_change, self);
    sqlite3_rollback_hook(self->db, s_on_rollback, self);
    char pragmas[320];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = ON;"
             /* A million people in line is a hundred megabytes of tokens:
                reads go through mmap, so the page cache only holds pages
                written since the last checkpoint, and a batch's changes
                (a batch of ~30 payments writes ~70 pages to the log). It is
                kept small on purpose: when a write splits a B-tree page,
                SQLite renumbers pages through a temporary number past the
                end of the file, and the commit after that scans the whole
                cache to drop pages past the end. With 16 MiB (4,096 pages)
                that scan was 5% of the loop's time under payments. */
             " PRAGMA cache_size = -2048; PRAGMA mmap_size = 1073741824;",
             options->durable ? "FULL" : "NORMAL");
    char reason[512];
    if (!s_exec_script(self, pragmas, reason, sizeof reason) ||
        !s_migrate(self, reason, sizeof reason)) {
        snprintf(error, error_size, "%s", reason);
        store_destroy(&self);
        return NULL;
    }
    s_start_checkpointer(self, path, vfs, options->durable);
    return self;
}

void store_destroy(store_t **self_p)
{
    store_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
        sqlite3_finalize(self->cache[i].stmt);
    free(self->seen);
    store_checkpointer_destroy(&self->checkpointer);
    if (self->db && !sqlite3_get_autocommit(self->db))
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    /* sqlite3_close runs a WAL checkpoint when this is the last connection,
       so a cleanly stopped daemon leaves a self-contained database file. */
    if (self->db && sqlite3_close(self->db) != SQLITE_OK)
        log_error("store: close: %s", sqlite3_errmsg(self->db));
    free(self);
    *self_p = NULL;
}

static const char SQL_HAS_CONCERTS[] = "SELECT EXISTS (SELECT 1 FROM concerts)";
static const char SQL_SEED_CLOCK[] =
    "CREATE TEMP TABLE seed_clock AS SELECT CAST(?1 AS INTEGER) AS now_ms";
static const char SQL_DROP_SEED_CLOCK[] = "DROP TABLE temp.seed_clock";

bo_status_t store_seed_demo(store_t *self, int64_t now, bool *loaded)
{
    *loaded = false;
    sqlite3_stmt *stmt = store_stmt(self, SQL_HAS_CONCERTS);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return BO_INTERNAL;
    bool has_concerts = sqlite3_column_int(stmt, 0) != 0;
    sqlite3_reset(stmt);
    if (has_concerts)
        return BO_OK;
    /* The seed script is run once, so it is not worth a cached statement;
       the clock table, though, is created through one to bind `now`. */
    stmt = NULL;
    if (sqlite3_prepare_v2(self->db, SQL_SEED_CLOCK, -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(self, "seed clock");
    sqlite3_bind_int64(stmt, 1, now);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return store_fail(self, "seed clock");
    char reason[512];
    bool seeded = s_exec_script(self, sql_seed_demo, reason, sizeof reason);
    if (!seeded)
        log_error("store: demo seed: %s", reason);
    if (!s_exec_script(self, SQL_DROP_SEED_CLOCK, reason, sizeof reason))
        log_error("store: demo seed: %s", reason);
    *loaded = seeded;
    return seeded ? BO_OK : BO_INTERNAL;
}

static const char SQL_REPLY_FIND[] = "SELECT fingerprint, reply FROM idempotent_replies"
                                     " WHERE user_id = ?1 AND request_id = ?2 AND created_at > ?3";
static const char SQL_REPLY_SAVE[] =
    "INSERT OR REPLACE INTO idempotent_replies (user_id, request_id, fingerprint, reply,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)";

bo_status_t store_reply_find(store_t *self, int64_t user_id, const char *request_id, int64_t now,
                             char **fingerprint, char **reply)
{
    *fingerprint = *reply = NULL;
    sqlite3_stmt *stmt = store_stmt(self, SQL_REPLY_FIND);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_text(stmt, 2, request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, now - BO_IDEMPOTENCY_TTL_MS);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return status;
    *fingerprint = strdup(store_column_text(stmt, 0));
    *reply = strdup(store_column_text(stmt, 1));
    sqlite3_reset(stmt);
    if (!*fingerprint || !*reply) {
        free(*fingerprint);
        free(*reply);
        *fingerprint = *reply = NULL;
        return BO_INTERNAL;
    }
    return BO_OK;
}

bo_status_t store_reply_save(store_t *self, int64_t user_id, const char *request_id,
                             const char *fingerprint, const char *reply, int64_t now)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_REPLY_SAVE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_text(stmt, 2, request_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, reply, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, now);
    return store_run(self, stmt);
}

/* Each query counts the rows that break one invariant. */
static const struct {
    const char *invariant;
    const char *sql;
} s_invariants[] = {
    {"every held or sold seat belongs to one live reservation of that seat",
     "SELECT COUNT(*) FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id"
     " WHERE s.status != 'free' AND (r.id IS NULL OR r.seat_id != s.id"
     " OR (s.status = 'held' AND r.status != 'reserved')"
     " OR (s.status = 'sold' AND r.status != 'paid'))"},
    {"every live reservation is the one its seat points to",
     "SELECT COUNT(*) FROM reservations r JOIN seats s ON s.id = r.seat_id"
     " WHERE r.status IN ('reserved', 'paid') AND s.reservation_id IS NOT r.id"},
    {"left_tickets equals the free seats of each show",
     "SELECT COUNT(*) FROM concert_schedules cs WHERE left_tickets !="
     " (SELECT COUNT(*) FROM seats WHERE schedule_id = cs.id AND status = 'free')"},
    {"each balance equals the sum of its ledger",
     "SELECT COUNT(*) FROM users u WHERE point !="
     " (SELECT COALESCE(SUM(amount), 0) FROM point_ledger WHERE user_id = u.id)"},
    {"each ledger entry's balance_after is the running sum",
     "SELECT COUNT(*) FROM (SELECT balance_after, SUM(amount) OVER"
     " (PARTITION BY user_id ORDER BY id) AS running FROM point_ledger)"
     " WHERE balance_after != running"},
    {"each paid reservation has exactly one payment in the ledger",
     "SELECT COUNT(*) FROM reservations r WHERE status = 'paid' AND (SELECT COUNT(*)"
     " FROM point_ledger l WHERE l.reservation_id = r.id AND l.kind = 'use'"
     " AND l.amount = -r.price) != 1"},
    {"the line's waiting counter matches its waiting tokens",
     "SELECT (next_seq - 1 - admitted - abandoned) !="
     " (SELECT COUNT(*) FROM queue_tokens WHERE status = 'wait') FROM queue_line"},
    {"the line's active counter matches its active tokens",
     "SELECT active != (SELECT COUNT(*) FROM queue_tokens WHERE status = 'active')"
     " FROM queue_line"},
};

bo_status_t store_check_invariants(store_t *self, char *report, size_t report_size)
{
    snprintf(report, report_size, "all invariants hold");
    bo_status_t status = BO_OK;
    for (size_t i = 0; status == BO_OK && i < sizeof s_invariants / sizeof s_invariants[0]; i++) {
        sqlite3_stmt *stmt = store_stmt(self, s_invariants[i].sql);
        if (store_row(self, stmt) != BO_OK) {
            snprintf(report, report_size, "cannot check: %s", s_invariants[i].invariant);
            return BO_INTERNAL;
        }
        int64_t violations = sqlite3_column_int64(stmt, 0);
        sqlite3_reset(stmt);
        if (violations != 0) {
            snprintf(report, report_size, "broken (%lld rows): %s", (long long)violations,
                     s_invariants[i].invariant);
            status = BO_INTERNAL;
        }
    }
    return status;
}
