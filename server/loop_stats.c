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
        int64_t busy = self->receive_us + self->run_us + self->send_us + self->jobs_us;
        snprintf(text, size,
                 "stats: %llu requests in %.1f s (%.0f/s), %llu batches (%.1f a batch); "
                 "per request: receive %.1f us, run %.1f us, commit %.1f us, send %.1f us, "
                 "log %.1f KiB; loop busy %.0f%% (jobs %.0f%%)",
                 (unsigned long long)self->requests, seconds, seconds > 0 ? per / seconds : 0,
                 (unsigned long long)self->batches, per / (double)self->batches,
                 self->receive_us / per, (self->run_us - self->commit_us) / per,
                 self->commit_us / per, self->send_us / per, self->log_bytes / per / 1024,
                 elapsed_us > 0 ? 100.0 * (double)busy / (double)elapsed_us : 0, jobs);
    }
    memset(self, 0, sizeof *self);
}
