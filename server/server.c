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
#include "scheduler.h"

/* Most requests drained into one transaction. Larger batches share one
   fsync among more requests; this bound keeps a batch's latency modest. */
#define MAX_BATCH 512
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

typedef struct {
    zmsg_t *envelope; /* routing frames, replayed on the reply */
    zframe_t *body;
    char *reply; /* set by dispatch or by the frame check */
} pending_t;

struct server_t {
    zsock_t *router;
    zloop_t *loop;
    store_t *store;
    const store_policy_t *policy;
    dispatch_t *dispatch;
    pending_t batch[MAX_BATCH];
    dispatch_frame_t frames[MAX_BATCH];
    char *replies[MAX_BATCH];
    bool timing;        /* stats are kept (server_log_stats) */
    loop_stats_t stats; /* since stats_since_us */
    int64_t stats_since_us;
};

/* Splits a message into its envelope and its body. The envelope is the
   routing id plus, when present, any further routing frames up to and
   including the empty delimiter that REQ and well-behaved DEALER peers
   send; it is replayed in front of the reply. A body is exactly one frame;
   anything else is answered BAD_REQUEST here and never dispatched. */
static void s_split(zmsg_t *message, pending_t *pending)
{
    size_t envelope_size = 1, index = 0;
    for (zframe_t *frame = zmsg_first(message); frame; frame = zmsg_next(message), index++) {
        if (index > 0 && zframe_size(frame) == 0) {
            envelope_size = index + 1;
            break;
        }
    }
    pending->envelope = zmsg_new();
    pending->body = NULL;
    pending->reply = NULL;
    for (size_t i = 0; i < envelope_size; i++) {
        zframe_t *frame = zmsg_pop(message);
        zmsg_append(pending->envelope, &frame);
    }
    size_t body_frames = zmsg_size(message);
    if (body_frames == 1)
        pending->body = zmsg_pop(message);
    else
        pending->reply = dispatch_reject(body_frames == 0 ? "the request is empty"
                                                          : "a request is a single frame");
}

/* Sends one reply without ever blocking: with ROUTER_MANDATORY a peer that
   has gone reports EHOSTUNREACH and a peer that stopped reading reports
   EAGAIN; either way the reply is dropped and the loop goes on. The frames
   are copied into the socket as they are, with no frame objects between. */
static void s_send(server_t *self, pending_t *pending)
{
    void *socket = zsock_resolve(self->router);
    zframe_t *frame = zmsg_first(pending->envelope);
    int sent = zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    /* A peer's queue looks full until libzmq has read the I/O thread's
       word that the peer took some of it, which a send checks only now
       and then: have it look (asking for ZMQ_EVENTS does) and try once
       more before dropping the reply. */
    if (sent < 0 && zmq_errno() == EAGAIN) {
        zsock_events(self->router);
        sent = zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    }
    while (sent >= 0 && (frame = zmsg_next(pending->envelope)))
        sent = zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_DONTWAIT | ZMQ_SNDMORE);
    if (sent >= 0)
        sent = zmq_send(socket, pending->reply, strlen(pending->reply), ZMQ_DONTWAIT);
    if (sent < 0)
        log_debug("reply dropped: %s", zmq_strerror(zmq_errno()));
    zmsg_destroy(&pending->envelope);
}

/* The next message waiting on the socket, or NULL when none is. Receiving
   with ZMQ_DONTWAIT until nothing is left costs less than asking for
   ZMQ_EVENTS before each message: that makes libzmq go through its command
   queue every time, where a receive does so only now and then. */
static zmsg_t *s_recv_waiting(void *socket)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&part);
        return NULL;
    }
    zmsg_t *message = zmsg_new();
    for (;;) {
        zframe_t *frame = zframe_new(zmq_msg_data(&part), zmq_msg_size(&part));
        bool more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        zmsg_append(message, &frame);
        /* The parts of a message arrive together: the rest is there. */
        zmq_msg_init(&part);
        if (!more || zmq_msg_recv(&part, socket, 0) < 0)
            break;
    }
    zmq_msg_close(&part);
    return message;
}

/* Drains what is waiting on the socket (up to MAX_BATCH), runs it as one
   transaction, then answers every request in arrival order. */
static int s_on_requests(zloop_t *loop, zsock_t *router, void *arg)
{
    (void)loop;
    server_t *self = arg;
    size_t count = 0, dispatched = 0;
    void *socket = zsock_resolve(router);
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    zmsg_t *message;
    while (count < MAX_BATCH && (message = s_recv_waiting(socket))) {
        s_split(message, &self->batch[count]);
        zmsg_destroy(&message);
        if (self->batch[count].body) {
            self->frames[dispatched].data = zframe_data(self->batch[count].body);
            self->frames[dispatched].size = zframe_size(self->batch[count].body);
            dispatched++;
        }
        count++;
    }
    int64_t received = self->timing ? bo_monotonic_us() : 0;
    int64_t commit_before = dispatch_commit_us(self->dispatch);
    if (dispatched > 0)
        dispatch_batch(self->dispatch, self->frames, dispatched, bo_now_ms(), self->replies);
    int64_t ran = self->timing ? bo_monotonic_us() : 0;
    for (size_t i = 0, next = 0; i < count; i++) {
        pending_t *pending = &self->batch[i];
        if (pending->body) {
            pending->reply = self->replies[next++];
            zframe_destroy(&pending->body);
        }
        if (pending->reply)
            s_send(self, pending);
        else
            zmsg_destroy(&pending->envelope);
        free(pending->reply);
        pending->reply = NULL;
    }
    if (self->timing && count > 0)
        loop_stats_add(&self->stats, count, received - started, ran - received,
                       dispatch_commit_us(self->dispatch) - commit_before, bo_monotonic_us() - ran);
    return 0;
}

static int s_on_stats(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = arg;
    int64_t now = bo_monotonic_us();
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

typedef bo_status_t (*job_t)(store_t *store, const store_policy_t *policy, int64_t now);

/* A scheduler job holds the loop as a batch does: the stats count it. */
static void s_run_job(server_t *self, job_t job)
{
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    job(self->store, self->policy, bo_now_ms());
    if (self->timing)
        loop_stats_add_job(&self->stats, bo_monotonic_us() - started);
}

static int s_on_admit(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_run_job(arg, scheduler_admit);
    return 0;
}

static int s_on_expire(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_run_job(arg, scheduler_expire);
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

void server_destroy(server_t **self_p)
{
    server_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy(&self->loop);
    zsock_destroy(&self->router);
    dispatch_destroy(&self->dispatch);
    free(self);
    *self_p = NULL;
}

int server_run(server_t *self)
{
    /* zloop_start returns 0 when interrupted by a signal and -1 when a
       handler asked it to stop; neither is an error of the loop here. */
    zloop_start(self->loop);
    return zsys_interrupted ? 0 : -1;
}
