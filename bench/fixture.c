/*  fixture: bench data written straight into the daemon's database file
    while no daemon runs, which takes seconds where the protocol would take
    minutes (a million people in line). It follows db/migrations. */
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

static bool s_exec(sqlite3 *db, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) == SQLITE_OK)
        return true;
    fprintf(stderr, "bench: fixture: %s\n", error);
    sqlite3_free(error);
    return false;
}

static sqlite3 *s_open(const char *database)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(database, &db) != SQLITE_OK) {
        fprintf(stderr, "bench: cannot open %s\n", database);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

int64_t fixture_add_hall(const char *database, int shows)
{
    sqlite3 *db = s_open(database);
    if (!db)
        return -1;
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "INSERT INTO concerts (title, performer) VALUES ('Bench Hall', 'The Load');"
             "CREATE TEMP TABLE hall AS SELECT last_insert_rowid() AS concert,"
             " (SELECT COALESCE(MAX(id), 0) FROM concert_schedules) AS base;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO concert_schedules (id, concert_id, show_time, reservation_start,"
             " reservation_end, left_tickets)"
             " SELECT hall.base + i, hall.concert, %lld + i * 60000, %lld, %lld, 50 FROM n, hall;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"
             " INSERT INTO seats (schedule_id, number, price, status)"
             " SELECT cs.id, n.i, CASE WHEN n.i <= 20 THEN 20000 ELSE 10000 END, 'free'"
             " FROM concert_schedules cs, n, hall WHERE cs.concert_id = hall.concert"
             " ORDER BY cs.id, n.i;"
             "COMMIT;",
             shows, (long long)(now_ms + 30LL * 86400000), (long long)(now_ms - 86400000),
             (long long)(now_ms + 30LL * 86400000));
    int64_t first = -1;
    if (s_exec(db, sql)) {
        sqlite3_stmt *stmt = NULL;
        sqlite3_prepare_v2(db, "SELECT base + 1 FROM temp.hall", -1, &stmt, NULL);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            first = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return first;
}

void fixture_token(int64_t seq, char token[33])
{
    snprintf(token, 33, "t%031lld", (long long)seq);
}

bool fixture_fill_line(const char *database, int64_t waiting)
{
    sqlite3 *db = s_open(database);
    if (!db)
        return false;
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    char sql[2048];
    /* Users 1..waiting are new; everyone waits with ticket = user id. */
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %lld)"
             " INSERT INTO users (id, name, point, version, created_at, updated_at)"
             " SELECT 1000000000 + i, 'waiter', 0, 0, %lld, %lld FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %lld)"
             " INSERT INTO queue_tokens (token, user_id, status, seq, expires_at, last_seen_at,"
             " created_at, updated_at)"
             " SELECT printf('t%%031d', i), 1000000000 + i, 'wait', i, NULL, %lld, %lld, %lld"
             " FROM n;"
             "UPDATE queue_line SET next_seq = %lld + 1, admitted = 0, abandoned = 0, active = 0;"
             "COMMIT;",
             (long long)waiting, (long long)now_ms, (long long)now_ms, (long long)waiting,
             (long long)now_ms, (long long)now_ms, (long long)now_ms, (long long)waiting);
    bool ok = s_exec(db, sql);
    sqlite3_close(db);
    return ok;
}
