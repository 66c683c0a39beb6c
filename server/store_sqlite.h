/*  store_sqlite: what the SQLite store's files share, private to them.

    The store is split by concern (store_sqlite.c: connection, schema,
    transactions, idempotency, invariants; store_queue.c; store_catalog.c;
    store_booking.c; store_points.c). Each file keeps its SQL beside the code
    that runs it as `static const char SQL_...[]`, and store_stmt() prepares
    each text once and hands back the same statement, reset, on every call.
*/
#ifndef BO_STORE_SQLITE_H
#define BO_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* A prepared statement for `sql`, reset and with bindings cleared. `sql`
   must be a string with static storage: its address is the cache key. The
   statement belongs to the store. NULL (logged) if it does not prepare. */
sqlite3_stmt *store_stmt(store_t *self, const char *sql);

/* sqlite3_step, logging anything other than SQLITE_ROW and SQLITE_DONE. */
int store_step(store_t *self, sqlite3_stmt *stmt);

/* Steps a statement that returns no rows: BO_OK or BO_INTERNAL (logged). */
bo_status_t store_run(store_t *self, sqlite3_stmt *stmt);

/* Steps a query expected to return one row: BO_OK with the row current,
   BO_NOT_FOUND if it returned none, BO_INTERNAL on error. */
bo_status_t store_row(store_t *self, sqlite3_stmt *stmt);

/* The number of rows the last statement changed. */
int64_t store_changes(store_t *self);

/* An operation of several statements that must happen whole or not at all
   uses a nested savepoint: begin, then end with keep = false to undo. */
bo_status_t store_atomic_begin(store_t *self);
bo_status_t store_atomic_end(store_t *self, bool keep);

/* store_vfs.c: the VFS that gathers the write-ahead log's writes into one
   per sync, registered (once) under STORE_VFS_GATHER; false if it cannot
   be. Only for synchronous=FULL (see store_vfs.c). */
#define STORE_VFS_GATHER "boxoffice-gather"
bool store_vfs_register(void);
/* The bytes written to `file`, a log opened through this VFS, since it was
   opened; 0 for any other file. */
int64_t store_vfs_log_written(sqlite3_file *file);

/* store_checkpoint.c: a thread with its own connection to `path` that runs
   PASSIVE checkpoints (see store_checkpoint.c). NULL (logged) if it cannot
   start; the store then checkpoints inline as SQLite does by default.
   store_checkpointer_after_commit is called after a commit that left the
   log past its size: true when the thread has done a checkpoint since it
   was last asked and the caller should now finish it inline; otherwise it
   asks the thread for one, if it is not at one already. Destroying it
   waits for a running checkpoint. */
typedef struct store_checkpointer_t store_checkpointer_t;
store_checkpointer_t *store_checkpointer_new(const char *path, const char *vfs, bool durable);
bool store_checkpointer_after_commit(store_checkpointer_t *self);
void store_checkpointer_destroy(store_checkpointer_t **self_p);

/* Logs the connection's last error with `what` and returns BO_INTERNAL. */
bo_status_t store_fail(store_t *self, const char *what);

/* Text of column `column` as a C string ("" for NULL). */
const char *store_column_text(sqlite3_stmt *stmt, int column);

/* store_booking.c: cancels holds whose time has passed and frees their
   seats, at most `limit` of them. Used by store_expire in store_queue.c. */
bo_status_t store_release_lapsed_holds(store_t *self, int64_t now, int64_t limit,
                                       int64_t *released);

/* store_points.c: takes `price` from a balance for a reservation, with the
   ledger entry; INSUFFICIENT_POINTS (nothing changed, *balance the current
   balance) if it is short. */
bo_status_t store_point_spend(store_t *self, int64_t user_id, int64_t price, int64_t reservation_id,
                              int64_t now, int64_t *balance);

/* store_queue.c: ends the active token `token_id` of `user_id` after a
   payment. Every check sees it ended at once; its row, and the line's
   active count that lets the next person in, change at the next pass of
   either job (store_admit, store_expire). */
bo_status_t store_token_end(store_t *self, int64_t user_id, int64_t token_id, int64_t now);

/* store_sqlite.c: the waiters' "still here" marks kept for the expire job
   (store_queue.c). store_seen_add returns false when the buffer is full;
   the caller then writes the mark itself. */
typedef struct {
    int64_t token_id;
    int64_t at;
} store_seen_t;
bool store_seen_add(store_t *self, int64_t token_id, int64_t at);
const store_seen_t *store_seen_marks(const store_t *self, size_t *count);
void store_seen_clear(store_t *self);

#endif
