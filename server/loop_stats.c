/*  loop_stats: totals of the request loop's parts, one line an interval. */
#include "loop_stats.h"

#include <stdio.h>
#include <string.h>

void loop_stats_add(loop_stats_t *self, size_t requests, int64_t receive_us, int64_t run_us,
                    int64_t commit_us, int64_t send_us, int64_t log_bytes)
{
    self->requests += requests;
    self->batches++;
    self->receive_us += receive_us;
    self->run_us += run_us;
    self->commit_us += commit_us;
    self->send_us += send_us;
    self->log_bytes += log_bytes;
}

void loop_stats_add_io(loop_stats_t *self, int64_t receive_us, int64_t send_us)
{
    self->receive_us += receive_us;
    self->send_us += send_us;
}

void loop_stats_merge(loop_stats_t *self, const loop_stats_t *other)
{
    self->requests += other->requests;
    self->batches += other->batches;
    self->receive_us += other->receive_us;
    self->run_us += other->run_us;
    self->commit_us += other->commit_us;
    self->send_us += other->send_us;
    self->log_bytes += other->log_bytes;
    self->jobs_us += other->jobs_us;
}

void loop_stats_add_job(loop_stats_t *self, int64_t us)
{
    self->jobs_us += us;
}

void loop_stats_format(loop_stats_t *self, int64_t elapsed_us, char *text, size_t size)
{
    double seconds = elapsed_us > 0 ? elapsed_us / 1e6 : 0;
    double jobs = elapsed_us > 0 ? 100.0 * (double)self->jobs_us / (double)elapsed_us : 0;
    if (self->requests == 0) {
        snprintf(text, size, "stats: no requests in %.1f s; jobs %.0f%%", seconds, jobs);
    } else {
        double per = (double)self->requests;
        /* Two threads: the store's (running and the jobs) and the socket's
           (receiving and sending), which overlap under load. */
        int64_t store_busy = self->run_us + self->jobs_us;
        int64_t socket_busy = self->receive_us + self->send_us;
        snprintf(text, size,
                 "stats: %llu requests in %.1f s (%.0f/s), %llu batches (%.1f a batch); "
                 "per request: receive %.1f us, run %.1f us, commit %.1f us, send %.1f us, "
                 "log %.1f KiB; store busy %.0f%% (jobs %.0f%%), socket busy %.0f%%",
                 (unsigned long long)self->requests, seconds, seconds > 0 ? per / seconds : 0,
                 (unsigned long long)self->batches, per / (double)self->batches,
                 self->receive_us / per, (self->run_us - self->commit_us) / per,
                 self->commit_us / per, self->send_us / per, self->log_bytes / per / 1024,
                 elapsed_us > 0 ? 100.0 * (double)store_busy / (double)elapsed_us : 0, jobs,
                 elapsed_us > 0 ? 100.0 * (double)socket_busy / (double)elapsed_us : 0);
    }
    memset(self, 0, sizeof *self);
}
