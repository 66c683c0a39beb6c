/*  test_store: opening and migrating, demo data, users, points, stored
    replies and the invariant check. */
#include "fixture.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "sql_embedded.h"

/* A durable store on `path`, as the daemon opens it. */
static store_t *s_durable_store(const char *path)
{
    store_options_t options = {.durable = true, .busy_timeout_ms = 1000};
    char error[256];
    store_t *store = store_new(path, &options, error, sizeof error);
    assert_non_null(store);
    return store;
}

/* SQLite's own check of the whole file, through connection `db`. */
static void s_assert_sound(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
}

static void test_open_creates_schema_and_reopens(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX];
    fixture_database_path(path);
    store_options_t options = {.durable = true, .busy_timeout_ms = 100};
    char error[256];
    store_t *store = store_new(path, &options, error, sizeof error);
    assert_non_null(store);
    int64_t user_id = 0;
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_user_create(store, "Minji", T0, &user_id), BO_OK);
    assert_int_equal(store_commit(store), BO_OK);
    store_destroy(&store);

    /* Opening again keeps the data and applies no migration twice. */
    store = store_new(path, &options, error, sizeof error);
    assert_non_null(store);
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_user_exists(store, user_id), BO_OK);
    store_rollback(store);
    store_destroy(&store);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_true(sqlite3_column_int(stmt, 0) >= 1);
    sqlite3_finalize(stmt);
    /* A schema newer than this build knows is refused, not damaged. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store = store_new(path, &options, error, sizeof error);
    assert_null(store);
    assert_non_null(strstr(error, "999"));

    fixture_remove_database(path);
}

static int64_t s_query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

/* After migration 004 no table checks a value against an IN list (which
   SQLite tests through a temporary index on every write), and the checks
   still refuse what they refused. */
static void s_assert_checks_are_cheap_and_kept(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(s_query_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'"
                                     " AND sql LIKE '%CHECK (% IN (%'"),
                     0);
    const char *refused[] = {
        "UPDATE seats SET status = 'gone'",
        "UPDATE reservations SET status = 'gone'",
        "INSERT INTO point_ledger (user_id, kind, amount, balance_after, at)"
        " VALUES (1, 'gift', 1, 1, 0)",
        "INSERT INTO queue_tokens (token, user_id, status, seq, last_seen_at, created_at,"
        " updated_at) VALUES ('t', 1, 'lost', 1, 0, 0, 0)",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(sqlite3_exec(db, refused[i], NULL, NULL, NULL), SQLITE_CONSTRAINT);
    sqlite3_close(db);
}

static void s_count_free_seat(void *arg, const bo_seat_t *seat)
{
    if (seat->status == BO_SEAT_FREE)
        ++*(int *)arg;
}

/* A database made by an older boxofficed (schema version 2, with kept
   replies and an open hold) opens under this one with nothing lost: the
   reply is still found for its retry, the hold still counts. */
static void test_an_older_database_is_migrated_with_its_data(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX];
    fixture_database_path(path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < sql_migration_count && sql_migrations[i].version <= 2; i++)
        assert_int_equal(sqlite3_exec(db, sql_migrations[i].sql, NULL, NULL, NULL), SQLITE_OK);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "PRAGMA user_version = 2;"
             "INSERT INTO users (id, name, point, created_at, updated_at) VALUES (1, 'A', 0, 0, 0);"
             "INSERT INTO concerts VALUES (1, 'T', 'P');"
             "INSERT INTO concert_schedules VALUES (1, 1, %lld, 0, %lld, 0);"
             "INSERT INTO seats (id, schedule_id, number, price) VALUES (1, 1, 1, 100);"
             "INSERT INTO reservations VALUES (1, 1, 1, 1, 'reserved', 100, %lld, 0, 0);"
             "UPDATE seats SET status = 'held', reservation_id = 1, hold_expires_at = %lld;"
             "INSERT INTO idempotent_replies VALUES (1, 'r-1', 'f', '{\"ok\":true}', %lld);",
             T0 + DAY_MS, T0 + DAY_MS, T0 + 60 * SECOND_MS, T0 + 60 * SECOND_MS, T0);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    store_t *store = s_durable_store(path);
    assert_int_equal(store_begin(store), BO_OK);
    char *fingerprint = NULL, *reply = NULL;
    assert_int_equal(store_reply_find(store, 1, "r-1", T0 + SECOND_MS, &fingerprint, &reply),
                     BO_OK);
    assert_string_equal(fingerprint, "f");
    assert_string_equal(reply, "{\"ok\":true}");
    free(fingerprint);
    free(reply);
    /* A second reply for the same request replaces the first. */
    assert_int_equal(store_reply_save(store, 1, "r-1", "g", "{}", T0 + SECOND_MS), BO_OK);
    assert_int_equal(store_reply_find(store, 1, "r-1", T0 + SECOND_MS, &fingerprint, &reply),
                     BO_OK);
    assert_string_equal(fingerprint, "g");
    free(fingerprint);
    free(reply);
    int free_seats = 0;
    assert_int_equal(
        store_concert_seats(store, 1, T0, s_count_free_seat, &free_seats, &(int64_t){0}), BO_OK);
    assert_int_equal(free_seats, 0);
    free_seats = 0;
    assert_int_equal(store_concert_seats(store, 1, T0 + 60 * SECOND_MS, s_count_free_seat,
                                         &free_seats, &(int64_t){0}),
                     BO_OK);
    assert_int_equal(free_seats, 1);
    store_rollback(store);
    fixture_assert_invariants(store);
    store_destroy(&store);
    s_assert_checks_are_cheap_and_kept(path);
    fixture_remove_database(path);
}

/* The durable store writes its log through the VFS that gathers the log's
   writes (store_vfs.c). A transaction bigger than the page cache (so pages
   go to the log and are read back before the commit) and than a gathered
   run, then a small one: another connection, through SQLite's own VFS,
   reads every byte back, and the file is sound. */
static void test_the_gathered_log_reads_back_whole(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX];
    fixture_database_path(path);
    store_t *store = s_durable_store(path);
    enum { BIG = 20 * 1024 * 1024, EACH = 50000 };
    char *text = malloc(EACH + 1);
    char request_id[32];
    assert_int_equal(store_begin(store), BO_OK);
    for (int i = 0; i * EACH < BIG; i++) {
        memset(text, 'a' + i % 26, EACH);
        text[EACH] = '\0';
        snprintf(request_id, sizeof request_id, "big-%d", i);
        assert_int_equal(store_reply_save(store, 1, request_id, "f", text, T0), BO_OK);
    }
    assert_int_equal(store_commit(store), BO_OK);
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_reply_save(store, 2, "small", "f", "{}", T0), BO_OK);
    assert_int_equal(store_commit(store), BO_OK);

    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(other,
                                        "SELECT request_id, reply FROM idempotent_replies"
                                        " WHERE user_id = 1 ORDER BY id",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        snprintf(request_id, sizeof request_id, "big-%d", rows);
        assert_string_equal((const char *)sqlite3_column_text(stmt, 0), request_id);
        memset(text, 'a' + rows % 26, EACH);
        assert_int_equal(sqlite3_column_bytes(stmt, 1), EACH);
        assert_memory_equal(sqlite3_column_text(stmt, 1), text, EACH);
        rows++;
    }
    sqlite3_finalize(stmt);
    assert_int_equal(rows, (BIG + EACH - 1) / EACH);
    s_assert_sound(other);
    sqlite3_close(other);
    free(text);
    /* The daemon's own connection reads the small reply too. */
    assert_int_equal(store_begin(store), BO_OK);
    char *fingerprint = NULL, *reply = NULL;
    assert_int_equal(store_reply_find(store, 2, "small", T0, &fingerprint, &reply), BO_OK);
    assert_string_equal(reply, "{}");
    free(fingerprint);
    free(reply);
    store_rollback(store);
    store_destroy(&store);
    fixture_remove_database(path);
}

static int64_t s_file_size(const char *path, const char *suffix)
{
    char name[FIXTURE_PATH_MAX + 8];
    snprintf(name, sizeof name, "%s%s", path, suffix);
    struct stat info;
    return stat(name, &info) == 0 ? (int64_t)info.st_size : 0;
}

/* Checkpoints run on a thread of the store's own (store_checkpoint.c)
   while commits go on. Many small commits, 16 MB in all: the log must
   start over along the way rather than keep everything (it does only when
   a checkpoint has copied all of it), and the database file must have the
   data before the store is closed. */
static void test_the_log_is_copied_back_while_commits_go_on(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX];
    fixture_database_path(path);
    store_t *store = s_durable_store(path);
    enum { COMMITS = 4000, EACH = 4000 };
    char text[EACH + 1], request_id[32];
    memset(text, 'x', EACH);
    text[EACH] = '\0';
    for (int i = 0; i < COMMITS; i++) {
        snprintf(request_id, sizeof request_id, "r-%d", i);
        assert_int_equal(store_begin(store), BO_OK);
        assert_int_equal(store_reply_save(store, 1, request_id, "f", text, T0), BO_OK);
        assert_int_equal(store_commit(store), BO_OK);
    }
    int64_t written = (int64_t)COMMITS * EACH;
    assert_true(s_file_size(path, "-wal") < written / 2);
    assert_true(s_file_size(path, "") > written / 2);
    store_destroy(&store);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(s_query_int(db, "SELECT COUNT(*) FROM idempotent_replies WHERE user_id = 1"),
                     COMMITS);
    s_assert_sound(db);
    sqlite3_close(db);
    fixture_remove_database(path);
}

/* store_log_bytes counts what commits write to the log: nothing for a
   transaction that only reads, whole pages for one that writes, and
   nothing at all for a database in memory, which has no log. */
static void test_the_log_bytes_count_what_commits_write(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX];
    fixture_database_path(path);
    store_t *store = s_durable_store(path);
    int64_t opened = store_log_bytes(store);
    assert_int_equal(store_begin_read(store), BO_OK);
    assert_int_equal(store_user_exists(store, 1), BO_NOT_FOUND);
    assert_int_equal(store_commit(store), BO_OK);
    assert_int_equal(store_log_bytes(store), opened);
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_reply_save(store, 1, "log", "f", "{}", T0), BO_OK);
    assert_int_equal(store_commit(store), BO_OK);
    int64_t written = store_log_bytes(store) - opened;
    /* A frame is a 24-byte header and a page; the log's 32-byte header
       comes first whenever the log starts over. */
    assert_true(written >= 4096 + 24);
    assert_int_equal((written % (4096 + 24)) % 32, 0);
    store_destroy(&store);
    fixture_remove_database(path);

    store_options_t options = {.durable = true, .busy_timeout_ms = 100};
    char error[256];
    store = store_new(":memory:", &options, error, sizeof error);
    assert_non_null(store);
    assert_int_equal(store_begin(store), BO_OK);
    assert_int_equal(store_reply_save(store, 1, "log", "f", "{}", T0), BO_OK);
    assert_int_equal(store_commit(store), BO_OK);
    assert_int_equal(store_log_bytes(store), 0);
    store_destroy(&store);
}

static void test_open_fails_with_a_reason(void **state)
{
    (void)state;
    store_options_t options = {.durable = true, .busy_timeout_ms = 100};
    char error[256] = "";
    store_t *store = store_new("/nonexistent-dir/x/boxoffice.db", &options, error, sizeof error);
    assert_null(store);
    assert_true(strlen(error) > 0);
}

static void test_seed_is_loaded_once(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    bool loaded = true;
    assert_int_equal(store_seed_demo(store, T0 + DAY_MS, &loaded), BO_OK);
    assert_false(loaded);
}

static void s_count_concert(void *arg, const bo_concert_t *concert)
{
    int *count = arg;
    assert_true(concert->concert_id > 0);
    assert_true(strlen(concert->title) > 0);
    assert_true(strlen(concert->performer) > 0);
    (*count)++;
}

static void test_seed_has_the_demo_catalogue(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int concerts = 0;
    assert_int_equal(store_concert_list(store, s_count_concert, &concerts), BO_OK);
    assert_true(concerts >= 3);
    int64_t balance = 0;
    assert_int_equal(store_point_balance(store, USER_RICH, &balance), BO_OK);
    assert_int_equal(balance, 500000);
}

static void test_user_create_and_exists(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int64_t first = 0, second = 0;
    assert_int_equal(store_user_create(store, "민지", T0, &first), BO_OK);
    assert_int_equal(store_user_create(store, "민지", T0, &second), BO_OK);
    assert_true(second > first);
    assert_int_equal(store_user_exists(store, first), BO_OK);
    assert_int_equal(store_user_exists(store, second + 1000), BO_NOT_FOUND);
}

typedef struct {
    bo_ledger_entry_t entries[16];
    int count;
} ledger_t;

static void s_collect_entry(void *arg, const bo_ledger_entry_t *entry)
{
    ledger_t *ledger = arg;
    assert_true(ledger->count < 16);
    ledger->entries[ledger->count++] = *entry;
}

static void test_charge_adds_and_records(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int64_t user_id = fixture_user(store, "Alex", 0), balance = -1;
    assert_int_equal(store_point_balance(store, user_id, &balance), BO_OK);
    assert_int_equal(balance, 0);
    assert_int_equal(store_point_charge(store, user_id, 1000, T0, &balance), BO_OK);
    assert_int_equal(balance, 1000);
    assert_int_equal(store_point_charge(store, user_id, 250, T0 + 1, &balance), BO_OK);
    assert_int_equal(balance, 1250);

    ledger_t ledger = {0};
    assert_int_equal(store_point_history(store, user_id, 10, s_collect_entry, &ledger), BO_OK);
    assert_int_equal(ledger.count, 2);
    assert_int_equal(ledger.entries[0].kind, BO_LEDGER_CHARGE);
    assert_int_equal(ledger.entries[0].amount, 250);
    assert_int_equal(ledger.entries[0].balance_after, 1250);
    assert_int_equal(ledger.entries[0].at, T0 + 1);
    assert_int_equal(ledger.entries[1].amount, 1000);

    ledger.count = 0;
    assert_int_equal(store_point_history(store, user_id, 1, s_collect_entry, &ledger), BO_OK);
    assert_int_equal(ledger.count, 1);
}

static void test_charge_unknown_user(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int64_t balance;
    assert_int_equal(store_point_charge(store, 99999, 10, T0, &balance), BO_NOT_FOUND);
    assert_int_equal(store_point_balance(store, 99999, &balance), BO_NOT_FOUND);
}

static void test_charge_never_passes_the_maximum(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int64_t user_id = fixture_user(store, "whale", 0), balance = 0;
    /* Climb to just below the cap through the store, as a year of charges would. */
    assert_int_equal(store_point_charge(store, user_id, BO_MAX_BALANCE - 5, T0, &balance), BO_OK);
    assert_int_equal(store_point_charge(store, user_id, 6, T0, &balance), BO_BAD_REQUEST);
    assert_int_equal(store_point_balance(store, user_id, &balance), BO_OK);
    assert_int_equal(balance, BO_MAX_BALANCE - 5);
    assert_int_equal(store_point_charge(store, user_id, 5, T0, &balance), BO_OK);
    assert_int_equal(balance, BO_MAX_BALANCE);
}

static void test_reply_records_expire_after_ten_minutes(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    char *fingerprint = NULL, *reply = NULL;
    assert_int_equal(store_reply_find(store, 7, "r-1", T0, &fingerprint, &reply), BO_NOT_FOUND);
    assert_null(reply);
    assert_int_equal(store_reply_save(store, 7, "r-1", "{\"op\":\"x\"}", "{\"ok\":true}", T0),
                     BO_OK);
    assert_int_equal(store_reply_find(store, 7, "r-1", T0 + 1000, &fingerprint, &reply), BO_OK);
    assert_string_equal(fingerprint, "{\"op\":\"x\"}");
    assert_string_equal(reply, "{\"ok\":true}");
    free(fingerprint);
    free(reply);
    /* Another user's request_id is another key. */
    assert_int_equal(store_reply_find(store, 8, "r-1", T0, &fingerprint, &reply), BO_NOT_FOUND);
    assert_int_equal(
        store_reply_find(store, 7, "r-1", T0 + BO_IDEMPOTENCY_TTL_MS, &fingerprint, &reply),
        BO_NOT_FOUND);
}

static void test_savepoint_undoes_one_request(void **state)
{
    store_t *store = ((fixture_t *)*state)->store;
    int64_t kept = 0, undone = 0;
    assert_int_equal(store_savepoint(store), BO_OK);
    assert_int_equal(store_user_create(store, "kept", T0, &kept), BO_OK);
    assert_int_equal(store_release(store), BO_OK);
    assert_int_equal(store_savepoint(store), BO_OK);
    assert_int_equal(store_user_create(store, "undone", T0, &undone), BO_OK);
    store_rollback_to(store);
    assert_true(store_in_transaction(store));
    assert_int_equal(store_user_exists(store, kept), BO_OK);
    assert_int_equal(store_user_exists(store, undone), BO_NOT_FOUND);
}

/* The check must catch a broken invariant, or it proves nothing elsewhere. */
static void test_invariant_check_catches_corruption(void **state)
{
    (void)state;
    char path[FIXTURE_PATH_MAX], report[256];
    fixture_database_path(path);
    store_t *store = fixture_store_at(path);

    static const char *const corruptions[] = {
        "UPDATE concert_schedules SET left_tickets = left_tickets - 1 WHERE id = 1",
        "UPDATE users SET point = point + 1 WHERE id = 1",
        "UPDATE queue_line SET active = active + 1",
        "UPDATE point_ledger SET balance_after = balance_after + 1"
        " WHERE id = (SELECT MIN(id) FROM point_ledger)",
    };
    for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++) {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, corruptions[i], NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(store_begin(store), BO_OK);
        assert_int_equal(store_check_invariants(store, report, sizeof report), BO_INTERNAL);
        assert_non_null(strstr(report, "broken"));
        store_rollback(store);
        /* Undo by reversing the change, and the check passes again. */
        char undo[512];
        snprintf(undo, sizeof undo, "%s", corruptions[i]);
        char *plus = strstr(undo, "+ 1"), *minus = strstr(undo, "- 1");
        if (plus)
            plus[0] = '-';
        else
            minus[0] = '+';
        assert_int_equal(sqlite3_exec(db, undo, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(store_begin(store), BO_OK);
        assert_int_equal(store_check_invariants(store, report, sizeof report), BO_OK);
        store_rollback(store);
    }
    store_destroy(&store);
    fixture_remove_database(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_log_is_copied_back_while_commits_go_on),
        cmocka_unit_test(test_open_creates_schema_and_reopens),
        cmocka_unit_test(test_the_log_bytes_count_what_commits_write),
        cmocka_unit_test(test_open_fails_with_a_reason),
        cmocka_unit_test(test_an_older_database_is_migrated_with_its_data),
        cmocka_unit_test(test_the_gathered_log_reads_back_whole),
        cmocka_unit_test(test_invariant_check_catches_corruption),
        cmocka_unit_test_setup_teardown(test_seed_is_loaded_once, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_seed_has_the_demo_catalogue, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_user_create_and_exists, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_charge_adds_and_records, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_charge_unknown_user, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_charge_never_passes_the_maximum, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reply_records_expire_after_ten_minutes, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_savepoint_undoes_one_request, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
