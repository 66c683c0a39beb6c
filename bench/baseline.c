/*  baseline: what the hardware and libraries allow, measured in the same
    run as the daemon, so ratios mean something on a noisy machine. */
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

#define ECHO_FRAME_BYTES 150
#define SQLITE_SEATS     200000

/* The echo server, in a child process of its own as the daemon is: plain
   libzmq, one ROUTER, every message sent straight back, until SIGTERM ends
   the process. */
static void s_echo_server(const char *endpoint)
{
    void *context = zmq_ctx_new();
    void *router = zmq_socket(context, ZMQ_ROUTER);
    if (zmq_bind(router, endpoint) != 0)
        _exit(1);
    zmq_msg_t parts[4];
    for (;;) {
        int count = 0, more = 1;
        while (more && count < 4) {
            zmq_msg_init(&parts[count]);
            if (zmq_msg_recv(&parts[count], router, 0) < 0)
                _exit(0);
            more = zmq_msg_more(&parts[count]);
            count++;
        }
        for (int i = 0; i < count; i++)
            zmq_msg_send(&parts[i], router, i < count - 1 ? ZMQ_SNDMORE : 0);
    }
}

typedef struct {
    const char *endpoint;
    int64_t deadline_us;
    samples_t samples;
    pthread_barrier_t *start;
} echo_client_t;

static void *s_echo_client(void *arg)
{
    echo_client_t *client = arg;
    zsock_t *socket = zsock_new_req(client->endpoint);
    zsock_set_rcvtimeo(socket, 5000);
    char frame[ECHO_FRAME_BYTES];
    memset(frame, 'x', sizeof frame);
    pthread_barrier_wait(client->start);
    while (bench_now_us() < client->deadline_us) {
        int64_t sent = bench_now_us();
        zframe_t *request = zframe_new(frame, sizeof frame);
        zframe_send(&request, socket, 0);
        zframe_t *reply = zframe_recv(socket);
        if (!reply)
            break;
        zframe_destroy(&reply);
        samples_add(&client->samples, (uint32_t)(bench_now_us() - sent));
    }
    zsock_destroy(&socket);
    return NULL;
}

double baseline_echo(const char *directory, int clients, double seconds, samples_t *into)
{
    char endpoint[512];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/echo.sock", directory);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        daemon_follow_parent(parent);
        s_echo_server(endpoint);
    }
    usleep(200000);
    pthread_t *threads = calloc((size_t)clients, sizeof *threads);
    echo_client_t *state = calloc((size_t)clients, sizeof *state);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
    int64_t begin = 0;
    for (int i = 0; i < clients; i++) {
        state[i] = (echo_client_t){.endpoint = endpoint, .deadline_us = INT64_MAX, .start = &start};
        pthread_create(&threads[i], NULL, s_echo_client, &state[i]);
    }
    /* Everyone connects first; the clock starts when all are ready. */
    usleep(300000);
    begin = bench_now_us();
    for (int i = 0; i < clients; i++)
        state[i].deadline_us = begin + (int64_t)(seconds * 1e6);
    pthread_barrier_wait(&start);
    for (int i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        samples_merge(into, &state[i].samples);
        samples_free(&state[i].samples);
    }
    double elapsed = (bench_now_us() - begin) / 1e6;
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    pthread_barrier_destroy(&start);
    free(threads);
    free(state);
    return elapsed;
}

static bool s_exec(sqlite3 *db, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) == SQLITE_OK)
        return true;
    fprintf(stderr, "bench: sqlite: %s\n", error);
    sqlite3_free(error);
    return false;
}

struct raw_txn_t {
    char path[512];
    sqlite3 *db;
    sqlite3_stmt *begin, *take, *insert, *count, *commit;
    int64_t next_seat;
};

static void s_remove_files(const char *path)
{
    char sidecar[600];
    unlink(path);
    snprintf(sidecar, sizeof sidecar, "%s-wal", path);
    unlink(sidecar);
    snprintf(sidecar, sizeof sidecar, "%s-shm", path);
    unlink(sidecar);
}

raw_txn_t *raw_txn_new(const char *directory, bool full)
{
    raw_txn_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->path, sizeof self->path, "%s/raw-%s.db", directory, full ? "full" : "normal");
    s_remove_files(self->path);
    self->next_seat = 1;
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;",
             full ? "FULL" : "NORMAL");
    if (sqlite3_open(self->path, &self->db) != SQLITE_OK || !s_exec(self->db, pragmas) ||
        !s_exec(self->db,
                "CREATE TABLE schedules (id INTEGER PRIMARY KEY, left_tickets INTEGER);"
                "CREATE TABLE seats (id INTEGER PRIMARY KEY, schedule_id INTEGER NOT NULL,"
                " number INTEGER NOT NULL, status TEXT NOT NULL, reservation_id INTEGER);"
                "CREATE TABLE reservations (id INTEGER PRIMARY KEY, user_id INTEGER,"
                " seat_id INTEGER, status TEXT, price INTEGER, created_at INTEGER);"
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)"
                " INSERT INTO schedules SELECT i, 50 FROM n;"
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < 199999) INSERT INTO seats SELECT i + 1, i / 50 + 1, i % 50 + 1,"
                " 'free', NULL FROM n;")) {
        raw_txn_destroy(&self);
        return NULL;
    }
    sqlite3_prepare_v2(self->db, "BEGIN IMMEDIATE", -1, &self->begin, NULL);
    sqlite3_prepare_v2(self->db,
                       "UPDATE seats SET status = 'held', reservation_id = ?2"
                       " WHERE id = ?1 AND status = 'free'",
                       -1, &self->take, NULL);
    sqlite3_prepare_v2(self->db,
                       "INSERT INTO reservations (user_id, seat_id, status, price, created_at)"
                       " VALUES (1, ?1, 'reserved', 1000, ?2)",
                       -1, &self->insert, NULL);
    sqlite3_prepare_v2(self->db,
                       "UPDATE schedules SET left_tickets = left_tickets - 1 WHERE id = ?1", -1,
                       &self->count, NULL);
    sqlite3_prepare_v2(self->db, "COMMIT", -1, &self->commit, NULL);
    if (!self->begin || !self->take || !self->insert || !self->count || !self->commit) {
        fprintf(stderr, "bench: sqlite: %s\n", sqlite3_errmsg(self->db));
        raw_txn_destroy(&self);
    }
    return self;
}

double raw_txn_run(raw_txn_t *self, double seconds, samples_t *into)
{
    int64_t start = bench_now_us(), deadline = start + (int64_t)(seconds * 1e6);
    /* Seats run out after 200,000 transactions, some 40 s at this
       machine's best; every slice of a run together stays far below. */
    for (; self->next_seat <= SQLITE_SEATS && bench_now_us() < deadline; self->next_seat++) {
        int64_t seat = self->next_seat, sent = bench_now_us();
        sqlite3_step(self->begin);
        sqlite3_reset(self->begin);
        sqlite3_bind_int64(self->take, 1, seat);
        sqlite3_bind_int64(self->take, 2, seat);
        sqlite3_step(self->take);
        sqlite3_reset(self->take);
        sqlite3_bind_int64(self->insert, 1, seat);
        sqlite3_bind_int64(self->insert, 2, sent);
        sqlite3_step(self->insert);
        sqlite3_reset(self->insert);
        sqlite3_bind_int64(self->count, 1, (seat - 1) / 50 + 1);
        sqlite3_step(self->count);
        sqlite3_reset(self->count);
        if (sqlite3_step(self->commit) != SQLITE_DONE)
            into->errors++;
        sqlite3_reset(self->commit);
        samples_add(into, (uint32_t)(bench_now_us() - sent));
    }
    return (bench_now_us() - start) / 1e6;
}

void raw_txn_destroy(raw_txn_t **self_p)
{
    raw_txn_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize(self->begin);
    sqlite3_finalize(self->take);
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->count);
    sqlite3_finalize(self->commit);
    sqlite3_close(self->db);
    s_remove_files(self->path);
    free(self);
    *self_p = NULL;
}
