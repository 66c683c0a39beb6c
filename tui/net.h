/*  net: one request at a time to boxofficed, surviving restarts.

    A REQ socket in the Lazy Pirate manner: if a reply does not come within
    the timeout, the socket is closed and reopened (a REQ socket cannot send
    twice) and the same request text is sent again. Requests carry a
    request_id, so a retried charge or payment is applied once by the
    server whatever happened to the first attempt.
*/
#ifndef BO_NET_H
#define BO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct net_t net_t;

/* NULL if the socket cannot be created. Connecting is asynchronous: a
   server that is not up yet is simply waited for. */
net_t *net_new(const char *endpoint, int64_t reply_timeout_ms);
void net_destroy(net_t **self_p);

/* Sends a request; one at a time (the caller waits for the reply). */
void net_send(net_t *self, const char *text, int64_t now);
bool net_busy(const net_t *self);

/* The libzmq socket to poll for a reply (changes when reconnecting). */
void *net_socket(net_t *self);

/* After the socket polled readable: the reply (malloc'd, the caller frees
   it; *size its length), or NULL if nothing complete was there. */
char *net_receive(net_t *self, size_t *size);

/* When the request in flight times out; INT64_MAX if none is. */
int64_t net_deadline(const net_t *self);

/* Past the deadline: reopen the socket and resend. Returns true while the
   server answers in time, false once a request had to be resent. */
bool net_check(net_t *self, int64_t now);

#endif
