/*  runner: the store's thread, fed batches and jobs in order. */
#include "runner.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bo_time.h"
#include "log.h"
#include "scheduler.h"

/* The most batches one transaction takes; the loop has at most as many. */
#define RUNNER_GROUPS_MAX 16

struct runner_t {
    dispatch_t *dispatch;
    store_t *store;
    const store_policy_t *policy;
    bool timing;
    pthread_t thread;
    int done_fd; /* eventfd: counts passes that finished work */
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* work, a job or a stop for the thread */
    pthread_cond_t finished; /* work done, or the store given back */
    /* Under lock. */
    runner_work_t *queued, *done;
    int jobs;
    bool busy; /* the thread, or a claimer, has the store */
    bool stopping;
    loop_stats_t stats;
    bool joined; /* by runner_stop, on the caller's thread */
};

static void s_append(runner_work_t **list, runner_work_t *work)
{
    while (*list)
        list = &(*list)->next;
    *list = work;
}

static void s_run_job(runner_t *self, runner_job_t job)
{
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    if (job == RUNNER_ADMIT)
        scheduler_admit(self->store, self->policy, bo_now_ms());
    else
        scheduler_expire(self->store, self->policy, bo_now_ms());
    if (self->timing) {
        pthread_mutex_lock(&self->lock);
        loop_stats_add_job(&self->stats, bo_monotonic_us() - started);
        pthread_mutex_unlock(&self->lock);
    }
}

/* Runs `count` groups as one transaction, timed for the stats. The caller
   has the store (the thread, or a claimer). */
static void s_run_groups(runner_t *self, const dispatch_group_t *groups, size_t count)
{
    size_t requests = 0;
    for (size_t i = 0; i < count; i++)
        requests += groups[i].count;
    if (requests == 0)
        return; /* only frames refused unread: their replies are set */
    int64_t started = self->timing ? bo_monotonic_us() : 0;
    int64_t commit_before = dispatch_commit_us(self->dispatch);
    int64_t log_before = self->timing ? store_log_bytes(self->store) : 0;
    dispatch_run(self->dispatch, groups, count, bo_now_ms());
    if (self->timing) {
        int64_t ran = bo_monotonic_us() - started;
        int64_t committed = dispatch_commit_us(self->dispatch) - commit_before;
        int64_t logged = store_log_bytes(self->store) - log_before;
        pthread_mutex_lock(&self->lock);
        loop_stats_add(&self->stats, requests, 0, ran, committed, 0, logged);
        pthread_mutex_unlock(&self->lock);
    }
}

/* Runs a list of batches as one transaction (RUNNER_GROUPS_MAX at a time). */
static void s_run_work(runner_t *self, runner_work_t *work)
{
    dispatch_group_t groups[RUNNER_GROUPS_MAX];
    while (work) {
        size_t count = 0;
        for (; work && count < RUNNER_GROUPS_MAX; work = work->next)
            groups[count++] = work->group;
        s_run_groups(self, groups, count);
    }
}

static void s_signal_done(runner_t *self)
{
    uint64_t one = 1;
    while (write(self->done_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void *s_thread(void *arg)
{
    runner_t *self = arg;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        /* A claimer holds the store until it gives it back. */
        while (self->busy || (!self->queued && !self->jobs && !self->stopping))
            pthread_cond_wait(&self->wake, &self->lock);
        /* Stopping runs what is queued first: every batch handed over
           gets its replies. */
        if (!self->queued && !self->jobs)
            break;
        runner_work_t *work = self->queued;
        int jobs = self->jobs;
        self->queued = NULL;
        self->jobs = 0;
        self->busy = true;
        pthread_mutex_unlock(&self->lock);
        if (jobs & RUNNER_ADMIT)
            s_run_job(self, RUNNER_ADMIT);
        if (jobs & RUNNER_EXPIRE)
            s_run_job(self, RUNNER_EXPIRE);
        s_run_work(self, work);
        pthread_mutex_lock(&self->lock);
        self->busy = false;
        if (work) {
            s_append(&self->done, work);
            s_signal_done(self);
        }
        pthread_cond_broadcast(&self->finished);
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

runner_t *runner_new(dispatch_t *dispatch, store_t *store, const store_policy_t *policy,
                     bool timing)
{
    runner_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dispatch = dispatch;
    self->store = store;
    self->policy = policy;
    self->timing = timing;
    self->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->done_fd < 0) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, NULL);
    pthread_cond_init(&self->finished, NULL);
    /* Signals go to the request loop's thread, whose poll they must
       interrupt to stop the daemon: the runner starts with them blocked. */
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    int started = pthread_create(&self->thread, NULL, s_thread, self);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (started != 0) {
        pthread_cond_destroy(&self->finished);
        pthread_cond_destroy(&self->wake);
        pthread_mutex_destroy(&self->lock);
        close(self->done_fd);
        free(self);
        return NULL;
    }
    return self;
}

void runner_stop(runner_t *self)
{
    if (self->joined)
        return;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->thread, NULL);
    self->joined = true;
}

void runner_destroy(runner_t **self_p)
{
    runner_t *self = *self_p;
    if (!self)
        return;
    runner_stop(self);
    pthread_cond_destroy(&self->finished);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    close(self->done_fd);
    free(self);
    *self_p = NULL;
}

void runner_submit(runner_t *self, runner_work_t *work)
{
    work->next = NULL;
    pthread_mutex_lock(&self->lock);
    s_append(&self->queued, work);
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

void runner_want_job(runner_t *self, runner_job_t job)
{
    pthread_mutex_lock(&self->lock);
    self->jobs |= (int)job;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

int runner_fd(const runner_t *self)
{
    return self->done_fd;
}

runner_work_t *runner_take_done(runner_t *self)
{
    uint64_t passes;
    /* Nonblocking: nothing to read just means nothing new. */
    if (read(self->done_fd, &passes, sizeof passes) < 0 && errno != EAGAIN)
        log_warning("runner: reading its event: %s", strerror(errno));
    pthread_mutex_lock(&self->lock);
    runner_work_t *done = self->done;
    self->done = NULL;
    pthread_mutex_unlock(&self->lock);
    return done;
}

void runner_wait_done(runner_t *self)
{
    pthread_mutex_lock(&self->lock);
    while (!self->done && (self->queued || self->busy))
        pthread_cond_wait(&self->finished, &self->lock);
    pthread_mutex_unlock(&self->lock);
}

bool runner_claim(runner_t *self)
{
    pthread_mutex_lock(&self->lock);
    bool idle = !self->busy && !self->queued && !self->done && !self->jobs && !self->stopping;
    if (idle)
        self->busy = true;
    pthread_mutex_unlock(&self->lock);
    return idle;
}

void runner_release(runner_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->busy = false;
    /* Jobs or work may have been asked for meanwhile. */
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

bool runner_run_here(runner_t *self, runner_work_t *work)
{
    if (!runner_claim(self))
        return false;
    s_run_groups(self, &work->group, 1);
    runner_release(self);
    return true;
}

void runner_take_stats(runner_t *self, loop_stats_t *into)
{
    pthread_mutex_lock(&self->lock);
    loop_stats_merge(into, &self->stats);
    memset(&self->stats, 0, sizeof self->stats);
    pthread_mutex_unlock(&self->lock);
}
