/*  stats: latency samples and the figures made from them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void samples_add(samples_t *self, uint32_t us)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 4096;
        uint32_t *grown = realloc(self->us, capacity * sizeof *grown);
        if (!grown)
            return; /* a lost sample, not a lost run */
        self->us = grown;
        self->capacity = capacity;
    }
    self->us[self->count++] = us;
}

void samples_merge(samples_t *into, const samples_t *from)
{
    for (size_t i = 0; i < from->count; i++)
        samples_add(into, from->us[i]);
    into->errors += from->errors;
}

void samples_clear(samples_t *self)
{
    self->count = 0;
    self->errors = 0;
}

void samples_free(samples_t *self)
{
    free(self->us);
    memset(self, 0, sizeof *self);
}

static int s_compare(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double s_percentile_ms(const samples_t *samples, double fraction)
{
    if (samples->count == 0)
        return 0;
    size_t index = (size_t)(fraction * (double)(samples->count - 1) + 0.5);
    return samples->us[index] / 1000.0;
}

figure_t figure_of(const char *name, samples_t *samples, double seconds)
{
    figure_t figure = {.seconds = seconds};
    strncpy(figure.name, name, sizeof figure.name - 1);
    qsort(samples->us, samples->count, sizeof samples->us[0], s_compare);
    figure.requests = samples->count;
    figure.errors = samples->errors;
    figure.rps = seconds > 0 ? (double)samples->count / seconds : 0;
    figure.p50_ms = s_percentile_ms(samples, 0.50);
    figure.p99_ms = s_percentile_ms(samples, 0.99);
    figure.max_ms = samples->count ? samples->us[samples->count - 1] / 1000.0 : 0;
    return figure;
}
