/*  scheduler: the admit and expire jobs. */
#include "scheduler.h"

#include "log.h"

/* Opens a job's transaction. Another process holding the write lock makes
   the job skip its turn rather than stall the requests queued behind it. */
static bo_status_t s_begin(store_t *store, const char *job)
{
    bo_status_t status = store_try_begin(store, SCHEDULER_LOCK_WAIT_MS);
    if (status == BO_CONFLICT)
        log_debug("%s: the database is busy; skipped this turn", job);
    else if (status != BO_OK)
        log_warning("%s: cannot begin; will retry at its next turn", job);
    return status;
}

/* Commits a job's work if it went well, undoes it otherwise. */
static bo_status_t s_end(store_t *store, bo_status_t status, const char *job)
{
    if (status == BO_OK)
        status = store_commit(store);
    else
        store_rollback(store);
    if (status != BO_OK)
        log_warning("%s: failed; will retry at its next turn", job);
    return status;
}

bo_status_t scheduler_admit(store_t *store, const store_policy_t *policy, int64_t now)
{
    int64_t admitted = 0;
    bo_status_t status = s_begin(store, "admit");
    if (status != BO_OK)
        return status;
    status = s_end(store, store_admit(store, now, policy, &admitted), "admit");
    if (status == BO_OK && admitted > 0)
        log_info("admit: %lld waiting users admitted", (long long)admitted);
    return status;
}

bo_status_t scheduler_expire(store_t *store, const store_policy_t *policy, int64_t now)
{
    store_expire_report_t report = {0};
    bo_status_t status = s_begin(store, "expire");
    if (status != BO_OK)
        return status;
    status = s_end(store, store_expire(store, now, policy, &report), "expire");
    if (status != BO_OK)
        return status;
    if (report.tokens_expired || report.waiters_dropped || report.holds_released)
        log_info("expire: %lld tokens expired, %lld silent waiters dropped, %lld holds released",
                 (long long)report.tokens_expired, (long long)report.waiters_dropped,
                 (long long)report.holds_released);
    if (report.tokens_paid)
        log_debug("expire: %lld tokens ended by payment", (long long)report.tokens_paid);
    if (report.rows_purged)
        log_debug("expire: %lld old rows purged", (long long)report.rows_purged);
    return BO_OK;
}
