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

bool fixture_add_halls(const char *database, int concerts, int shows_per_concert,
                       int64_t *first_concert, int64_t *first_show)
{
    sqlite3 *db = s_open(database);
    if (!db)
        return false;
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    char sql[3072];
    /* Concerts and their shows take ids after whatever is there; shows of
       one concert are consecutive, so a client can own a range of them. */
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "CREATE TEMP TABLE hall AS SELECT"
             " (SELECT COALESCE(MAX(id), 0) FROM concerts) AS concert_base,"
             " (SELECT COALESCE(MAX(id), 0) FROM concert_schedules) AS show_base;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO concerts (id, title, performer)"
             " SELECT hall.concert_base + i, 'Bench Hall ' || i, 'The Load' FROM n, hall;"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d - 1)"
             " INSERT INTO concert_schedules (id, concert_id, show_time, reservation_start,"
             " reservation_end, left_tickets)"
             " SELECT hall.show_base + 1 + i, hall.concert_base + 1 + i / %d,"
             " %lld + i * 60000, %lld, %lld, 50 FROM n, hall;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"
             " INSERT INTO seats (schedule_id, number, price, status)"
             " SELECT cs.id, n.i, CASE WHEN n.i <= 20 THEN 20000 ELSE 10000 END, 'free'"
             " FROM concert_schedules cs, n, hall WHERE cs.id > hall.show_base"
             " ORDER BY cs.id, n.i;"
             "COMMIT;",
             concerts, concerts * shows_per_concert, shows_per_concert,
             (long long)(now_ms + 30LL * 86400000), (long long)(now_ms - 86400000),
             (long long)(now_ms + 30LL * 86400000));
    bool ok = s_exec(db, sql);
    if (ok) {
        sqlite3_stmt *stmt = NULL;
        sqlite3_prepare_v2(db, "SELECT concert_base + 1, show_base + 1 FROM temp.hall", -1, &stmt,
                           NULL);
        ok = sqlite3_step(stmt) == SQLITE_ROW;
        if (ok) {
            *first_concert = sqlite3_column_int64(stmt, 0);
            *first_show = sqlite3_column_int64(stmt, 1);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return ok;
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
