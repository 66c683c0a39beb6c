/*  server: ROUTER socket, request batches and the schedulers' timers. */
#include "server.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bo_time.h"
#include "dispatch.h"
#include "log.h"
#include "loop_stats.h"
#include "protocol.h"
#include "runner.h"
#include "scheduler.h"

/* Most requests in hand at once, in one batch or in several: received
   and not yet answered. Larger batches share one fsync among more
   requests; this bound keeps a batch's latency modest, and the replies
   held (up to ~80 KB each) to a few tens of megabytes. */
#define MAX_BATCH 512
/* Batches in hand at once: one being received while the runner runs or
   holds others. With none spare, or MAX_BATCH requests in hand, the loop
   waits for the runner. */
#define BATCHES 8
/* Frames above BO_MAX_REQUEST_BYTES but at most this size are read and
   answered TOO_LARGE; libzmq drops peers that send anything larger, so a
   hostile client cannot make the server buffer more. */
#define MAX_FRAME_BYTES (1024 * 1024)
/* Per-peer queue bounds, in messages: a client that never reads its replies
   loses them rather than growing the server. A REQ peer has one reply in
   flight, so only pipelining DEALERs ever come near it; with the largest
   reply (point.history, ~80 KB) it still pins under 100 MB per peer. */
#define SOCKET_HWM 1000
/* How long the last replies may take to leave when the daemon stops. */
#define LINGER_MS 1000

/* The parts of a message kept: the routing id, any further routing frames,
   the empty delimiter and the body. A message with more parts is refused
   (s_split). */
#define MAX_PARTS 10

/* One message of a batch, its parts as libzmq received them (no copies). The
   envelope is parts[0..envelope): the routing id plus, when present, any
   further routing frames up to and including the empty delimiter that REQ
   and well-behaved DEALER peers send; it is replayed in front of the
   reply. The body, exactly one frame, is parts[envelope]; a message
   without one is answered BAD_REQUEST here and never dispatched. */
typedef struct {
    zmq_msg_t parts[MAX_PARTS];
    size_t kept;     /* parts received and kept (all are closed after the reply) */
    size_t envelope; /* how many of them the reply replays */
    bool has_body;
    char *reply; /* set by dispatch or by the frame check */
} pending_t;

/* The messages drained from the socket at once, and their replies. */
typedef struct {
    runner_work_t work; /* first: the runner hands the batch back as this */
    pending_t pending[MAX_BATCH];
    size_t count;
    dispatch_frame_t frames[MAX_BATCH];
    char *replies[MAX_BATCH];
} batch_t;

struct server_t {
    zsock_t *router;
    zloop_t *loop;
    store_t *store;
    const store_policy_t *policy;
    dispatch_t *dispatch;
    runner_t *runner; /* while server_run runs */
    batch_t *batches[BATCHES];
    batch_t *spare[BATCHES]; /* those not in the runner's hands */
    size_t spare_count;
    size_t in_hand;     /* requests received and not yet answered */
    bool timing;        /* stats are kept (server_log_stats) */
    loop_stats_t stats; /* since stats_since_us */
    int64_t stats_since_us;
};

/* Finds the envelope and the body of a message of `total` parts, of
   which the first pending->kept were kept. */
static void s_split(pending_t *pending, size_t total)
{
    pending->envelope = 1;
    for (size_t i = 1; i < pending->kept; i++) {
        if (zmq_msg_size(&pending->parts[i]) == 0) {
            pending->envelope = i + 1;
            break;
        }
    }
    /* A message longer than what is kept is refused whole; its reply goes
       back through the envelope found among the parts kept. */
    bool kept_whole = pending->kept == total;
    size_t body_parts = total - pending->envelope;
    pending->has_body = kept_whole && body_parts == 1;
    pending->reply = NULL;
    if (!pending->has_body)
        pending->reply = dispatch_reject(
            kept_whole && body_parts == 0 ? "the request is empty" : "a request is a single frame");
}

static void s_close_parts(pending_t *pending)
{
    for (size_t i = 0; i < pending->kept; i++)
        zmq_msg_close(&pending->parts[i]);
    pending->kept = 0;
}

/* Sends one reply without ever blocking: with ROUTER_MANDATORY a peer that
   has gone reports EHOSTUNREACH and a peer that stopped reading reports
   EAGAIN; either way the reply is dropped and the loop goes on. The frames
   are copied into the socket as they are, with no frame objects between. */
static void s_send(server_t *self, pending_t *pending)
{
    void *socket = zsock_resolve(self->router);
    zmq_msg_t *part = &pending->parts[0];
    int sent = zmq_send(socket, zmq_msg_data(part), zmq_msg_size(part), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    /* A peer's queue looks full until libzmq has read the I/O thread's
       word that the peer took some of it, which a send checks only now
       and then: have it look (asking for ZMQ_EVENTS does) and try once
       more before dropping the reply. */
    if (sent < 0 && zmq_errno() == EAGAIN) {
        zsock_events(self->router);
        sent = zmq_send(socket, zmq_msg_data(part), zmq_msg_size(part), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    }
    for (size_t i = 1; sent >= 0 && i < pending->envelope; i++) {
        part = &pending->parts[i];
        sent = zmq_send(socket, zmq_msg_data(part), zmq_msg_size(part), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    }
    if (sent >= 0)
        sent = zmq_send(socket, pending->reply, strlen(pending->reply), ZMQ_DONTWAIT);
    if (sent < 0)
        log_debug("reply dropped: %s", zmq_strerror(zmq_errno()));
}

/* Receives the next message waiting on the socket into `pending`, split
   (s_split); false when none is waiting. Receiving with ZMQ_DONTWAIT until
   nothing is left costs less than asking for ZMQ_EVENTS before each
   message: that makes libzmq go through its command queue every time,
   where a receive does so only now and then. */
static bool s_recv_waiting(void *socket, pending_t *pending)
{
    zmq_msg_t *part = &pending->parts[0];
    zmq_msg_init(part);
    if (zmq_msg_recv(part, socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(part);
        return false;
    }
    pending->kept = 1;
    size_t total = 1;
    /* The parts of a message arrive together: the rest is there. Parts
       past MAX_PARTS are read and dropped. */
    bool more = zmq_msg_more(part);
    while (more) {
        zmq_msg_t dropped;
        part = pending->kept < MAX_PARTS ? &pending->parts[pending->kept] : &dropped;
        zmq_msg_init(part);
        if (zmq_msg_recv(part, socket, 0) < 0) {
            zmq_msg_close(part);
            break;
        }
        more = zmq_msg_more(part);
        total++;
        if (part == &dropped)
            zmq_msg_close(part);
        else
            pending->kept++;
    }
    s_split(pending, total);
    return true;
}

/* Sends a batch's replies in arrival order and makes it spare again. */
static void s_finish(server_t *self, batch_t *batch)
{
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    for (size_t i = 0, next = 0; i < batch->count; i++) {
        pending_t *pending = &batch->pending[i];
        if (pending->has_body)
            pending->reply = batch->replies[next++];
        if (pending->reply)
            s_send(self, pending);
        s_close_parts(pending);
        free(pending->reply);
        pending->reply = NULL;
    }
    dispatch_requests_destroy(&batch->work.group.requests);
    self->in_hand -= batch->count;
    batch->count = 0;
    self->spare[self->spare_count++] = batch;
    if (self->timing)
        loop_stats_add_io(&self->stats, 0, bo_monotonic_us() - started);
}

/* Sends the replies of every batch the runner has finished. */
static void s_finish_done(server_t *self)
{
    runner_work_t *work = runner_take_done(self->runner);
    while (work) {
        runner_work_t *next = work->next;
        s_finish(self, (batch_t *)work);
        work = next;
    }
}

static int s_on_done(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    s_finish_done(arg);
    return 0;
}

static batch_t *s_spare_batch(server_t *self)
{
    while (self->spare_count == 0 || self->in_hand >= MAX_BATCH) {
        runner_wait_done(self->runner);
        s_finish_done(self);
    }
    return self->spare[--self->spare_count];
}

/* Drains what is waiting on the socket (up to MAX_BATCH), decodes it and
   hands it to the runner, which answers every request in arrival order
   (s_on_done) once its transaction has committed. */
static int s_on_requests(zloop_t *loop, zsock_t *router, void *arg)
{
    (void)loop;
    server_t *self = arg;
    batch_t *batch = s_spare_batch(self);
    size_t count = 0, dispatched = 0;
    void *socket = zsock_resolve(router);
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    size_t room = MAX_BATCH - self->in_hand;
    while (count < room && s_recv_waiting(socket, &batch->pending[count])) {
        pending_t *pending = &batch->pending[count];
        if (pending->has_body) {
            zmq_msg_t *body = &pending->parts[pending->envelope];
            batch->frames[dispatched].data = zmq_msg_data(body);
            batch->frames[dispatched].size = zmq_msg_size(body);
            dispatched++;
        }
        count++;
    }
    batch->count = count;
    self->in_hand += count;
    batch->work.group = (dispatch_group_t){.count = dispatched, .replies = batch->replies};
    if (dispatched > 0)
        batch->work.group.requests = dispatch_decode(batch->frames, dispatched);
    if (self->timing)
        loop_stats_add_io(&self->stats, bo_monotonic_us() - started, 0);
    /* A batch of reads that finds the runner idle runs here: the hand-over
       would cost more than it saves. Otherwise it waits behind those in the
       runner's hands, even with nothing to run, so a peer's replies keep
       its requests' order. */
    if (!dispatch_requests_write(batch->work.group.requests) &&
        runner_run_here(self->runner, &batch->work))
        s_finish(self, batch);
    else
        runner_submit(self->runner, &batch->work);
    return 0;
}

static int s_on_stats(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = arg;
    int64_t now = bo_monotonic_us();
    if (self->runner)
        runner_take_stats(self->runner, &self->stats);
    char line[400];
    loop_stats_format(&self->stats, now - self->stats_since_us, line, sizeof line);
    self->stats_since_us = now;
    log_info("%s", line);
    return 0;
}

void server_log_stats(server_t *self, int64_t interval_ms)
{
    self->timing = true;
    self->stats_since_us = bo_monotonic_us();
    zloop_timer(self->loop, (size_t)interval_ms, 0, s_on_stats, self);
}

/* The jobs run on the runner, which owns the store; with work queued,
   before it. */
static int s_on_admit(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = arg;
    runner_want_job(self->runner, RUNNER_ADMIT);
    return 0;
}

static int s_on_expire(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = arg;
    runner_want_job(self->runner, RUNNER_EXPIRE);
    return 0;
}

/* libzmq removes an existing ipc:// socket file before binding, so a
   second daemon would silently take over the first one's endpoint. A
   connection that succeeds means someone is listening there: refuse. */
static bool s_ipc_endpoint_in_use(const char *endpoint)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return false;
    const char *path = endpoint + 6;
    /* Abstract sockets (@name) refuse a second bind by themselves. */
    if (path[0] == '@' || strlen(path) >= sizeof address.sun_path)
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    memcpy(address.sun_path, path, strlen(path) + 1);
    bool in_use = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return in_use;
}

server_t *server_new(const char *endpoint, store_t *store, const store_policy_t *policy,
                     char *error, size_t error_size)
{
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    self->store = store;
    self->policy = policy;
    self->dispatch = dispatch_new(store, policy);
    self->router = zsock_new(ZMQ_ROUTER);
    self->loop = zloop_new();
    if (!self->dispatch || !self->router || !self->loop) {
        snprintf(error, error_size, "cannot create the ZeroMQ socket or loop");
        server_destroy(&self);
        return NULL;
    }
    for (size_t i = 0; i < BATCHES; i++) {
        self->batches[i] = calloc(1, sizeof *self->batches[i]);
        if (!self->batches[i]) {
            snprintf(error, error_size, "out of memory");
            server_destroy(&self);
            return NULL;
        }
        self->spare[self->spare_count++] = self->batches[i];
    }
    zsock_set_maxmsgsize(self->router, MAX_FRAME_BYTES);
    zsock_set_router_mandatory(self->router, 1);
    zsock_set_sndhwm(self->router, SOCKET_HWM);
    zsock_set_rcvhwm(self->router, SOCKET_HWM);
    zsock_set_linger(self->router, LINGER_MS);
    if (s_ipc_endpoint_in_use(endpoint)) {
        snprintf(error, error_size, "cannot bind %s: another process is listening there", endpoint);
        server_destroy(&self);
        return NULL;
    }
    if (zsock_bind(self->router, "%s", endpoint) < 0) {
        snprintf(error, error_size, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        server_destroy(&self);
        return NULL;
    }
    zloop_reader(self->loop, self->router, s_on_requests, self);
    zloop_timer(self->loop, (size_t)policy->admit_interval_ms, 0, s_on_admit, self);
    zloop_timer(self->loop, SCHEDULER_EXPIRE_INTERVAL_MS, 0, s_on_expire, self);
    return self;
}

/* Lets the runner finish what it holds and sends those replies. */
static void s_stop_runner(server_t *self)
{
    if (!self->runner)
        return;
    zloop_poller_end(self->loop, &(zmq_pollitem_t){.fd = runner_fd(self->runner)});
    runner_stop(self->runner);
    s_finish_done(self);
    runner_destroy(&self->runner);
}

void server_destroy(server_t **self_p)
{
    server_t *self = *self_p;
    if (!self)
        return;
    s_stop_runner(self);
    zloop_destroy(&self->loop);
    zsock_destroy(&self->router);
    dispatch_destroy(&self->dispatch);
    for (size_t i = 0; i < BATCHES; i++)
        free(self->batches[i]);
    free(self);
    *self_p = NULL;
}

int server_run(server_t *self)
{
    self->runner = runner_new(self->dispatch, self->store, self->policy, self->timing);
    if (!self->runner) {
        log_error("cannot start the thread that runs requests");
        return -1;
    }
    zmq_pollitem_t done = {.fd = runner_fd(self->runner), .events = ZMQ_POLLIN};
    if (zloop_poller(self->loop, &done, s_on_done, self) != 0) {
        log_error("cannot watch the thread that runs requests");
        s_stop_runner(self);
        return -1;
    }
    /* zloop_start returns 0 when interrupted by a signal and -1 when a
       handler asked it to stop; neither is an error of the loop here. */
    zloop_start(self->loop);
    s_stop_runner(self);
    return zsys_interrupted ? 0 : -1;
}
