/*  load: client threads that drive a boxofficed through the protocol, one
    phase at a time, each client on its own REQ socket. */
#ifndef BO_BENCH_LOAD_H
#define BO_BENCH_LOAD_H

#include "bench.h"

typedef enum {
    LOAD_CREATE,
    LOAD_ENTER,
    LOAD_STATUS,
    LOAD_DATES,
    LOAD_SEATS,
    LOAD_RESERVE,
    LOAD_CHARGE,
    LOAD_PAY,
    LOAD_OP_COUNT
} load_op_t;

/* The wire name of an op ("seat.reserve"). */
const char *load_op_name(load_op_t op);

typedef enum {
    PHASE_CREATE,  /* user.create, keeping the users */
    PHASE_ENTER,   /* queue.enter for each user, once */
    PHASE_ADMIT,   /* untimed: poll until every user is active */
    PHASE_STATUS,  /* queue.status of the clients' own users */
    PHASE_DATES,   /* concert.dates of the bench hall */
    PHASE_SEATS,   /* concert.seats of a show of the client's own */
    PHASE_RESERVE, /* seat.reserve, one seat per user, walking its shows */
    PHASE_CHARGE,  /* point.charge of each holder's price */
    PHASE_PAY,     /* payment.pay of each hold */
    PHASE_JOURNEY, /* the whole purchase, as a new user each time */
    PHASE_MIX,     /* reads with some charges: 45% seats, 25% status,
                      20% dates, 10% charge */
    PHASE_SOAK,    /* the mix plus holds that lapse, for hours if need be */
    PHASE_LINE,    /* queue.status of people placed by fixture_fill_line */
} load_phase_t;

typedef struct load_t load_t;

/* `clients` sockets to `endpoint`. Client k owns the shows
   [first_show + k * shows / clients, ...) for its holds, so clients never
   race for a seat; concert.dates asks about any of `concerts` concerts
   from first_concert. */
load_t *load_new(const char *endpoint, int clients, int64_t first_concert, int concerts,
                 int64_t first_show, int shows);
void load_destroy(load_t **self_p);

/* For PHASE_LINE: how many people fixture_fill_line put in line. */
void load_set_line(load_t *self, int64_t waiting);

/* Runs a phase on every client until `seconds` pass or the phase's work
   runs out, showing progress on stderr. Returns the seconds it took;
   samples[op] then hold every client's latencies, merged. */
double load_run(load_t *self, load_phase_t phase, const char *label, double seconds,
                samples_t samples[LOAD_OP_COUNT]);

#endif
