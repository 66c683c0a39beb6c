/*  net: Lazy Pirate over a czmq REQ socket. */
#include "net.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct net_t {
    char *endpoint;
    zsock_t *socket;
    int64_t reply_timeout_ms;
    char *in_flight; /* the request awaiting its reply, kept for resending */
    int64_t deadline;
    bool answering;
};

static bool s_open(net_t *self)
{
    zsock_destroy(&self->socket);
    self->socket = zsock_new(ZMQ_REQ);
    if (!self->socket)
        return false;
    /* Nothing unsent should keep a closing client alive. */
    zsock_set_linger(self->socket, 0);
    return zsock_connect(self->socket, "%s", self->endpoint) == 0;
}

net_t *net_new(const char *endpoint, int64_t reply_timeout_ms)
{
    net_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup(endpoint);
    self->reply_timeout_ms = reply_timeout_ms;
    self->deadline = INT64_MAX;
    self->answering = true;
    if (!self->endpoint || !s_open(self))
        net_destroy(&self);
    return self;
}

void net_destroy(net_t **self_p)
{
    net_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->socket);
    free(self->endpoint);
    free(self->in_flight);
    free(self);
    *self_p = NULL;
}

static void s_transmit(net_t *self, int64_t now)
{
    zstr_send(self->socket, self->in_flight);
    self->deadline = now + self->reply_timeout_ms;
}

void net_send(net_t *self, const char *text, int64_t now)
{
    free(self->in_flight);
    self->in_flight = strdup(text);
    if (self->in_flight)
        s_transmit(self, now);
}

bool net_busy(const net_t *self)
{
    return self->in_flight != NULL;
}

void *net_socket(net_t *self)
{
    return zsock_resolve(self->socket);
}

char *net_receive(net_t *self, size_t *size)
{
    if (!(zsock_events(self->socket) & ZMQ_POLLIN))
        return NULL;
    zframe_t *frame = zframe_recv(self->socket);
    if (!frame)
        return NULL;
    *size = zframe_size(frame);
    char *reply = malloc(*size + 1);
    if (reply) {
        memcpy(reply, zframe_data(frame), *size);
        reply[*size] = '\0';
    }
    zframe_destroy(&frame);
    free(self->in_flight);
    self->in_flight = NULL;
    self->deadline = INT64_MAX;
    self->answering = true;
    return reply;
}

int64_t net_deadline(const net_t *self)
{
    return self->deadline;
}

bool net_check(net_t *self, int64_t now)
{
    if (!self->in_flight || now < self->deadline)
        return self->answering;
    self->answering = false;
    if (s_open(self))
        s_transmit(self, now);
    else
        self->deadline = now + self->reply_timeout_ms;
    return false;
}
