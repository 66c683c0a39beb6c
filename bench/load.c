/*  load: protocol clients on threads, phase by phase. */
#include "load.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_TIMEOUT_MS 10000
#define REPLY_MAX        65536
#define FIRST_LINE_USER  1000000000LL /* fixture_fill_line's user ids */

static const char *const s_op_names[LOAD_OP_COUNT] = {
    "user.create",   "queue.enter",  "queue.status", "concert.dates",
    "concert.seats", "seat.reserve", "point.charge", "payment.pay",
};

const char *load_op_name(load_op_t op)
{
    return s_op_names[op];
}

typedef struct {
    int64_t id;
    char token[48];
    bool active;
    int64_t reservation_id, price; /* 0 without a hold */
    bool charged, paid;
} bench_user_t;

typedef struct {
    load_t *load;
    int index;
    zsock_t *socket;
    uint64_t rng;
    samples_t samples[LOAD_OP_COUNT];
    bench_user_t *users;
    size_t user_count, user_capacity, cursor;
    int64_t first_show, shows; /* the shows whose seats this client reads */
    int64_t next_seat;         /* this client's count of seats taken */
    unsigned long long requests_sent;
    char reply[REPLY_MAX];
    bool failed; /* no reply in time: the run is broken */
} client_t;

struct load_t {
    char endpoint[512];
    int clients;
    int64_t first_concert, concerts;
    int64_t first_show, shows; /* the whole hall */
    int64_t line_size;
    client_t *state;
    load_phase_t phase;
    int64_t deadline_us;
    atomic_ullong requests;
    atomic_int finished;
    /* When the last client stopped: a phase lasts until then, not until
       the progress line next looks. */
    _Atomic int64_t last_finish_us;
    pthread_barrier_t start;
};

static uint64_t s_random(client_t *client)
{
    /* xorshift64*: fast, and good enough to spread requests. */
    client->rng ^= client->rng >> 12;
    client->rng ^= client->rng << 25;
    client->rng ^= client->rng >> 27;
    return client->rng * 2685821657736338717ULL;
}

/* Sends a request and waits for its reply into client->reply; records the
   latency under `op`. Returns true if the reply says ok. */
static bool s_call(client_t *client, load_op_t op, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static bool s_call(client_t *client, load_op_t op, const char *format, ...)
{
    char request[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(request, sizeof request, format, args);
    va_end(args);
    int64_t sent = bench_now_us();
    zstr_send(client->socket, request);
    zframe_t *frame = zframe_recv(client->socket);
    if (!frame) {
        client->failed = true;
        client->reply[0] = '\0';
        return false;
    }
    size_t size = zframe_size(frame) < REPLY_MAX - 1 ? zframe_size(frame) : REPLY_MAX - 1;
    memcpy(client->reply, zframe_data(frame), size);
    client->reply[size] = '\0';
    zframe_destroy(&frame);
    samples_add(&client->samples[op], (uint32_t)(bench_now_us() - sent));
    atomic_fetch_add(&client->load->requests, 1);
    bool ok = strncmp(client->reply, "{\"ok\":true", 10) == 0;
    if (!ok)
        client->samples[op].errors++;
    return ok;
}

static int64_t s_int_field(const char *reply, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(reply, pattern);
    return at ? strtoll(at + strlen(pattern), NULL, 10) : 0;
}

static void s_string_field(const char *reply, const char *key, char *out, size_t size)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(reply, pattern);
    out[0] = '\0';
    if (!at)
        return;
    at += strlen(pattern);
    size_t length = strcspn(at, "\"");
    if (length >= size)
        length = size - 1;
    memcpy(out, at, length);
    out[length] = '\0';
}

static bool s_time_left(const client_t *client)
{
    return !client->failed && bench_now_us() < client->load->deadline_us;
}

static bench_user_t *s_add_user(client_t *client, int64_t id)
{
    if (client->user_count == client->user_capacity) {
        size_t capacity = client->user_capacity ? client->user_capacity * 2 : 1024;
        bench_user_t *grown = realloc(client->users, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        client->users = grown;
        client->user_capacity = capacity;
    }
    bench_user_t *user = &client->users[client->user_count++];
    memset(user, 0, sizeof *user);
    user->id = id;
    return user;
}

/* A user who can still use a token (admitted and not yet paid). */
static bool s_usable(const bench_user_t *user)
{
    return user->active && !user->paid;
}

/* Each client's 1st, 17th, 33rd... user is never given a seat, so never
   pays and keeps a live token: the read mix after the payments then has
   users to ask for, however fast the write phases used up the rest (in a
   short run they pay for everyone). */
static bool s_kept_for_reading(size_t index)
{
    return index % 16 == 0;
}

static bench_user_t *s_random_user(client_t *client)
{
    if (client->user_count == 0)
        return NULL;
    for (int attempt = 0; attempt < 16; attempt++) {
        bench_user_t *user = &client->users[s_random(client) % client->user_count];
        if (s_usable(user))
            return user;
    }
    for (size_t i = 0; i < client->user_count; i++)
        if (s_usable(&client->users[i]))
            return &client->users[i];
    return NULL;
}

/* Writes carry a request_id, as real clients' do: the server then also
   looks for and stores the reply for retries. */
static unsigned long long s_next_id(client_t *client)
{
    return ++client->requests_sent;
}

static bool s_create(client_t *client)
{
    if (!s_call(client, LOAD_CREATE,
                "{\"op\":\"user.create\",\"name\":\"bench %d\",\"request_id\":\"b%d-%llu\"}",
                client->index, client->index, s_next_id(client)))
        return false;
    return s_add_user(client, s_int_field(client->reply, "user_id")) != NULL;
}

static bool s_enter(client_t *client, bench_user_t *user)
{
    if (!s_call(client, LOAD_ENTER,
                "{\"op\":\"queue.enter\",\"user_id\":%lld,\"request_id\":\"b%d-%llu\"}",
                (long long)user->id, client->index, s_next_id(client)))
        return false;
    s_string_field(client->reply, "token", user->token, sizeof user->token);
    user->active = strstr(client->reply, "\"status\":\"active\"") != NULL;
    return true;
}

static void s_status(client_t *client, bench_user_t *user)
{
    if (s_call(client, LOAD_STATUS, "{\"op\":\"queue.status\",\"user_id\":%lld,\"token\":\"%s\"}",
               (long long)user->id, user->token))
        user->active = strstr(client->reply, "\"status\":\"active\"") != NULL;
}

static void s_dates(client_t *client, bench_user_t *user)
{
    int64_t concert = client->load->first_concert +
                      (int64_t)(s_random(client) % (uint64_t)client->load->concerts);
    s_call(client, LOAD_DATES,
           "{\"op\":\"concert.dates\",\"user_id\":%lld,\"token\":\"%s\",\"concert_id\":%lld}",
           (long long)user->id, user->token, (long long)concert);
}

static void s_seats(client_t *client, bench_user_t *user)
{
    int64_t show = client->first_show + (int64_t)(s_random(client) % (uint64_t)client->shows);
    s_call(client, LOAD_SEATS,
           "{\"op\":\"concert.seats\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%lld}",
           (long long)user->id, user->token, (long long)show);
}

/* The crowd of a sale: every client on the same show, seat after seat,
   until it is sold out and the next show opens, as the hall's seats are
   dealt out in turn (client i takes seats i, i + clients, ...), so clients
   never ask for the same seat. */
static bool s_reserve(client_t *client, bench_user_t *user, bool wrap)
{
    const load_t *load = client->load;
    int64_t seat = client->next_seat * load->clients + client->index;
    if (seat >= load->shows * 50) {
        if (!wrap)
            return false;
        client->next_seat = 0;
        seat = client->index;
    }
    client->next_seat++;
    if (!s_call(client, LOAD_RESERVE,
                "{\"op\":\"seat.reserve\",\"user_id\":%lld,\"token\":\"%s\",\"schedule_id\":%lld,"
                "\"seat_number\":%lld,\"request_id\":\"b%d-%llu\"}",
                (long long)user->id, user->token, (long long)(load->first_show + seat / 50),
                (long long)(seat % 50 + 1), client->index, s_next_id(client)))
        return true; /* a taken seat (soak) is an answer too */
    user->reservation_id = s_int_field(client->reply, "reservation_id");
    user->price = s_int_field(client->reply, "price");
    return true;
}

static void s_charge(client_t *client, bench_user_t *user, int64_t amount)
{
    if (s_call(client, LOAD_CHARGE,
               "{\"op\":\"point.charge\",\"user_id\":%lld,\"amount\":%lld,"
               "\"request_id\":\"b%d-%llu\"}",
               (long long)user->id, (long long)amount, client->index, s_next_id(client)))
        user->charged = true;
}

static void s_pay(client_t *client, bench_user_t *user)
{
    if (s_call(client, LOAD_PAY,
               "{\"op\":\"payment.pay\",\"user_id\":%lld,\"token\":\"%s\",\"reservation_id\":%lld,"
               "\"request_id\":\"b%d-%llu\"}",
               (long long)user->id, user->token, (long long)user->reservation_id, client->index,
               s_next_id(client)))
        user->paid = true;
}

/* Whether the charge or the pay phase has this user still to do. A
   payment is only tried for a charged user: when the charge phase ran out
   of time before reaching everyone, the rest would fail for want of
   points, and failures are cheaper than payments. */
static bool s_due(load_phase_t phase, const bench_user_t *user)
{
    if (!user->reservation_id)
        return false;
    return phase == PHASE_CHARGE ? !user->charged : user->charged && !user->paid;
}

/* Each phase: one step per call, false when its work has run out. */
static bool s_step(client_t *client)
{
    bench_user_t *user;
    switch (client->load->phase) {
    case PHASE_CREATE:
        return s_create(client);
    case PHASE_ENTER:
        if (client->cursor >= client->user_count)
            return false;
        s_enter(client, &client->users[client->cursor++]);
        return true;
    case PHASE_ADMIT:
        while (client->cursor < client->user_count &&
               (client->users[client->cursor].active || !client->users[client->cursor].token[0]))
            client->cursor++;
        if (client->cursor >= client->user_count)
            return false;
        s_status(client, &client->users[client->cursor]);
        return true;
    case PHASE_STATUS:
        if (!(user = s_random_user(client)))
            return false;
        s_status(client, user);
        return true;
    case PHASE_DATES:
        if (!(user = s_random_user(client)))
            return false;
        s_dates(client, user);
        return true;
    case PHASE_SEATS:
        if (!(user = s_random_user(client)))
            return false;
        s_seats(client, user);
        return true;
    case PHASE_RESERVE:
        while (client->cursor < client->user_count &&
               (!client->users[client->cursor].active ||
                client->users[client->cursor].reservation_id || s_kept_for_reading(client->cursor)))
            client->cursor++;
        if (client->cursor >= client->user_count)
            return false;
        return s_reserve(client, &client->users[client->cursor++], false);
    case PHASE_CHARGE:
    case PHASE_PAY:
        while (client->cursor < client->user_count &&
               !s_due(client->load->phase, &client->users[client->cursor]))
            client->cursor++;
        if (client->cursor >= client->user_count)
            return false;
        user = &client->users[client->cursor++];
        if (client->load->phase == PHASE_CHARGE)
            s_charge(client, user, user->price);
        else
            s_pay(client, user);
        return true;
    case PHASE_JOURNEY:
        if (!s_create(client))
            return true;
        user = &client->users[client->user_count - 1];
        s_enter(client, user);
        while (!user->active && s_time_left(client))
            s_status(client, user);
        s_dates(client, user);
        s_seats(client, user);
        if (!s_reserve(client, user, false))
            return false;
        if (user->reservation_id) {
            s_charge(client, user, user->price);
            s_pay(client, user);
        }
        return true;
    case PHASE_MIX:
    case PHASE_SOAK: {
        if (!(user = s_random_user(client)))
            return false;
        uint64_t dice = s_random(client) % 100;
        if (dice < 45)
            s_seats(client, user);
        else if (dice < 70)
            s_status(client, user);
        else if (dice < 90)
            s_dates(client, user);
        else if (client->load->phase == PHASE_MIX || dice < 95)
            s_charge(client, user, 1);
        else
            /* Soak: holds that lapse (a short --hold-ttl) recycle seats. */
            s_reserve(client, user, true);
        return true;
    }
    case PHASE_LINE: {
        int64_t seq = 1 + (int64_t)(s_random(client) % (uint64_t)client->load->line_size);
        char token[33];
        fixture_token(seq, token);
        s_call(client, LOAD_STATUS, "{\"op\":\"queue.status\",\"user_id\":%lld,\"token\":\"%s\"}",
               (long long)(FIRST_LINE_USER + seq), token);
        return true;
    }
    }
    return false;
}

static void *s_client_thread(void *arg)
{
    client_t *client = arg;
    pthread_barrier_wait(&client->load->start);
    client->cursor = 0;
    while (s_time_left(client) && s_step(client))
        ;
    int64_t now = bench_now_us(), last = atomic_load(&client->load->last_finish_us);
    while (now > last && !atomic_compare_exchange_weak(&client->load->last_finish_us, &last, now))
        ;
    atomic_fetch_add(&client->load->finished, 1);
    return NULL;
}

load_t *load_new(const char *endpoint, int clients, int64_t first_concert, int concerts,
                 int64_t first_show, int shows)
{
    load_t *self = calloc(1, sizeof *self);
    self->state = calloc((size_t)clients, sizeof *self->state);
    if (!self || !self->state)
        return NULL;
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->clients = clients;
    self->first_concert = first_concert;
    self->concerts = concerts > 0 ? concerts : 1;
    self->line_size = 1;
    self->first_show = first_show;
    self->shows = shows > 0 ? shows : 1;
    int64_t per_client = shows / clients > 0 ? shows / clients : 1;
    for (int i = 0; i < clients; i++) {
        client_t *client = &self->state[i];
        client->load = self;
        client->index = i;
        client->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
        client->first_show = first_show + i * per_client;
        client->shows = per_client;
        client->socket = zsock_new_req(endpoint);
        zsock_set_rcvtimeo(client->socket, REPLY_TIMEOUT_MS);
    }
    return self;
}

void load_destroy(load_t **self_p)
{
    load_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->clients; i++) {
        zsock_destroy(&self->state[i].socket);
        for (int op = 0; op < LOAD_OP_COUNT; op++)
            samples_free(&self->state[i].samples[op]);
        free(self->state[i].users);
    }
    free(self->state);
    free(self);
    *self_p = NULL;
}

void load_set_line(load_t *self, int64_t waiting)
{
    self->line_size = waiting > 0 ? waiting : 1;
}

double load_run(load_t *self, load_phase_t phase, const char *label, double seconds,
                samples_t samples[LOAD_OP_COUNT])
{
    self->phase = phase;
    atomic_store(&self->requests, 0);
    atomic_store(&self->finished, 0);
    atomic_store(&self->last_finish_us, 0);
    pthread_barrier_init(&self->start, NULL, (unsigned)self->clients + 1);
    pthread_t *threads = calloc((size_t)self->clients, sizeof *threads);
    self->deadline_us = INT64_MAX;
    for (int i = 0; i < self->clients; i++) {
        for (int op = 0; op < LOAD_OP_COUNT; op++)
            samples_clear(&self->state[i].samples[op]);
        pthread_create(&threads[i], NULL, s_client_thread, &self->state[i]);
    }
    int64_t begin = bench_now_us();
    self->deadline_us = begin + (int64_t)(seconds * 1e6);
    pthread_barrier_wait(&self->start);
    /* Progress while the clients work; the threads end by the deadline or
       when their work runs out. */
    for (;;) {
        bool done_all = atomic_load(&self->finished) == self->clients;
        double elapsed = (bench_now_us() - begin) / 1e6;
        unsigned long long done = atomic_load(&self->requests);
        fprintf(stderr, "\r  %-28s %9llu requests %9.0f/s %5.1f s ", label, done,
                elapsed > 0 ? done / elapsed : 0, elapsed);
        if (done_all)
            break;
        usleep(250000);
    }
    for (int i = 0; i < self->clients; i++)
        pthread_join(threads[i], NULL);
    double elapsed = (atomic_load(&self->last_finish_us) - begin) / 1e6;
    fprintf(stderr, "\n");
    for (int op = 0; op < LOAD_OP_COUNT; op++) {
        samples_clear(&samples[op]);
        for (int i = 0; i < self->clients; i++)
            samples_merge(&samples[op], &self->state[i].samples[op]);
    }
    for (int i = 0; i < self->clients; i++)
        if (self->state[i].failed)
            fprintf(stderr, "  client %d got no reply within %d ms\n", i, REPLY_TIMEOUT_MS);
    pthread_barrier_destroy(&self->start);
    free(threads);
    return elapsed;
}
