/*  scheduler: the admit and expire jobs. */
#include "scheduler.h"

#include "log.h"

bo_status_t scheduler_admit(store_t *store, const store_policy_t *policy, int64_t now)
{
    int64_t admitted = 0;
    bo_status_t status = store_try_begin(store, SCHEDULER_LOCK_WAIT_MS);
    if (status == BO_CONFLICT) {
        log_debug("admit: the database is busy; next interval");
        return status;
    }
    if (status == BO_OK)
        status = store_admit(store, now, policy, &admitted);
    if (status == BO_OK)
        status = store_commit(store);
    else
        store_rollback(store);
    if (status != BO_OK)
        log_warning("admit: failed; will retry next interval");
    else if (admitted > 0)
        log_info("admit: %lld waiting users admitted", (long long)admitted);
    return status;
}

bo_status_t scheduler_expire(store_t *store, const store_policy_t *policy, int64_t now)
{
    store_expire_report_t report = {0};
    bo_status_t status = store_try_begin(store, SCHEDULER_LOCK_WAIT_MS);
    if (status == BO_CONFLICT) {
        log_debug("expire: the database is busy; next pass");
        return status;
    }
    if (status == BO_OK)
        status = store_expire(store, now, policy, &report);
    if (status == BO_OK)
        status = store_commit(store);
    else
        store_rollback(store);
    if (status != BO_OK) {
        log_warning("expire: failed; will retry");
        return status;
    }
    if (report.tokens_expired || report.waiters_dropped || report.holds_released)
        log_info("expire: %lld tokens expired, %lld silent waiters dropped, %lld holds released",
                 (long long)report.tokens_expired, (long long)report.waiters_dropped,
                 (long long)report.holds_released);
    if (report.rows_purged)
        log_debug("expire: %lld old rows purged", (long long)report.rows_purged);
    return BO_OK;
}
