/*  store_queue: the waiting line, its tokens and the two schedulers' work.

    A place in line is a ticket number (seq). Admission always takes the
    lowest numbers, so everyone admitted is ahead of everyone still waiting,
    and a waiter's position needs only counters and the abandoned tickets
    below it, kept in a Fenwick tree (see queue_line in the schema). Asking
    one's position therefore costs O(log n) point reads, never a scan. */
#include "store_sqlite.h"

#include <stdio.h>

#include "bo_time.h"
#include "log.h"

/* The Fenwick tree spans ticket numbers 1 .. 2^40: a line would need a
   trillion entries before it wrapped, and every update touches at most 40
   nodes. Missing nodes count zero, so the tree costs nothing until used. */
#define DEPARTURE_TREE_SIZE (1LL << 40)
/* Bounds on one scheduler pass, so a backlog never stalls the requests
   waiting behind it; the next pass continues. */
#define EXPIRE_BATCH 1000
/* Payments queue token ends as fast as they arrive (some 15,000 a second
   here), and both jobs apply the queued ends; a pass of this many keeps up
   with twice that between expire passes. */
#define TOKEN_ENDS_BATCH 16000
/* Every write keeps its reply, so under a sustained rush replies come due
   as fast as writes arrive: up to 16,000 a second measured here. Purging
   fewer a pass would let the table grow for as long as the rush lasts; a
   pass of this many takes some 20 ms, and only when that many are due. */
#define REPLIES_PURGE_BATCH 8000
#define DAY_MS              (24LL * 60 * 60 * 1000)
/* A waiter's "still here" mark waits in the memory of the daemon that
   answered it until that daemon's next expire pass (every 500 ms). Another
   daemon on the same file cannot see it before then, so a waiter is
   dropped only once silent for abandon-after plus this much (and plus the
   staleness s_seen_step allows). */
#define SEEN_LAG_MS 1000

typedef struct {
    int64_t next_seq;
    int64_t admitted;
    int64_t abandoned;
    int64_t active;
    int64_t admit_window;
    int64_t admitted_in_window;
} queue_line_t;

static const char SQL_LINE_READ[] =
    "SELECT next_seq, admitted, abandoned, active, admit_window, admitted_in_window"
    " FROM queue_line WHERE id = 1";
static const char SQL_LINE_TAKE_SEQ[] =
    "UPDATE queue_line SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq - 1";
static const char SQL_LINE_ADMITTED[] =
    "UPDATE queue_line SET admitted = admitted + ?1, active = active + ?1, admit_window = ?2,"
    " admitted_in_window = ?3 WHERE id = 1";
static const char SQL_LINE_ACTIVE_ENDED[] =
    "UPDATE queue_line SET active = active - ?1 WHERE id = 1";
static const char SQL_LINE_ABANDONED[] =
    "UPDATE queue_line SET abandoned = abandoned + ?1 WHERE id = 1";
static const char SQL_LINE_COMPACT[] =
    "UPDATE queue_line SET admitted = next_seq - 1, abandoned = 0 WHERE id = 1";
static const char SQL_DEPARTURE_ADD[] = "INSERT INTO queue_departures (node, count) VALUES (?1, 1)"
                                        " ON CONFLICT (node) DO UPDATE SET count = count + 1";
static const char SQL_DEPARTURE_GET[] = "SELECT count FROM queue_departures WHERE node = ?1";
static const char SQL_DEPARTURES_CLEAR[] = "DELETE FROM queue_departures";

/* A token with the end its user's payment recorded (migration 007). */
#define TOKEN_COLUMNS                                                                              \
    "SELECT t.id, t.token, t.status, t.seq, t.expires_at, t.last_seen_at, t.user_id,"              \
    " u.ended_token, u.ended_token_at FROM queue_tokens t JOIN users u ON u.id = t.user_id"
static const char SQL_TOKEN_LIVE_OF_USER[] =
    TOKEN_COLUMNS " WHERE t.user_id = ?1 AND t.status IN ('wait', 'active')";
static const char SQL_TOKEN_BY_TEXT[] = TOKEN_COLUMNS " WHERE t.token = ?1";
static const char SQL_TOKEN_BY_ID[] = TOKEN_COLUMNS " WHERE t.id = ?1";
/* Waiting (?5 NULL) or admitted at once (?5 its expiry). */
static const char SQL_TOKEN_INSERT[] =
    "INSERT INTO queue_tokens (token, user_id, status, seq, expires_at, last_seen_at, created_at,"
    " updated_at) VALUES (?1, ?2, CASE WHEN ?5 IS NULL THEN 'wait' ELSE 'active' END, ?3, ?5,"
    " ?4, ?4, ?4)";
static const char SQL_TOKEN_TOUCH[] = "UPDATE queue_tokens SET last_seen_at = MAX(last_seen_at, "
                                      "?2) WHERE id = ?1 AND status = 'wait'";
/* An ended token's expires_at becomes the moment it ended, so no client
   sees an expired token with an expiry still ahead. */
static const char SQL_TOKEN_END[] =
    "UPDATE queue_tokens SET status = 'expired', updated_at = ?2,"
    " expires_at = MIN(expires_at, ?2) WHERE id = ?1 AND status = 'active'";
/* A payment ends its token in its user's row, which the payment rewrites
   anyway, and queues the end for the jobs to apply to the token's row. */
static const char SQL_USER_TOKEN_ENDED[] =
    "UPDATE users SET ended_token = ?2, ended_token_at = ?3 WHERE id = ?1";
static const char SQL_TOKEN_END_QUEUE[] = "INSERT INTO token_ends (token_id, at) VALUES (?1, ?2)";
/* The oldest queued ends, up to ?1 of them: the last one's id. */
static const char SQL_TOKEN_ENDS_UPTO[] =
    "SELECT MAX(id) FROM (SELECT id FROM token_ends ORDER BY id LIMIT ?1)";
static const char SQL_TOKEN_ENDS_APPLY[] =
    "UPDATE queue_tokens SET status = 'expired', updated_at = e.at,"
    " expires_at = MIN(queue_tokens.expires_at, e.at) FROM token_ends e"
    " WHERE e.id <= ?1 AND queue_tokens.id = e.token_id AND queue_tokens.status = 'active'";
static const char SQL_TOKEN_ENDS_DELETE[] = "DELETE FROM token_ends WHERE id <= ?1";
static const char SQL_TOKENS_EXPIRE_DUE[] =
    "UPDATE queue_tokens SET status = 'expired', updated_at = ?1"
    " WHERE status = 'active' AND expires_at <= ?1";
static const char SQL_TOKENS_ADMIT[] =
    "UPDATE queue_tokens SET status = 'active', expires_at = ?1, updated_at = ?2"
    " WHERE id IN (SELECT id FROM queue_tokens WHERE status = 'wait' ORDER BY seq LIMIT ?3)";
static const char SQL_TOKENS_DROP_SILENT[] =
    "UPDATE queue_tokens SET status = 'expired', updated_at = ?1"
    " WHERE id IN (SELECT id FROM queue_tokens WHERE status = 'wait' AND last_seen_at <= ?2"
    " LIMIT ?3) RETURNING seq";
static const char SQL_TOKENS_PURGE[] =
    "DELETE FROM queue_tokens WHERE id IN (SELECT id FROM queue_tokens"
    " WHERE status = 'expired' AND updated_at < ?1 LIMIT ?2)";
/* Kept replies in the order they were written (their ids), up to the first
   one not yet due: a reply is never purged early, and one written while the
   clock was set back waits for those before it. The scan is bounded by the
   batch size whether or not anything is due. */
static const char SQL_REPLIES_PURGE[] =
    "DELETE FROM idempotent_replies WHERE id IN (SELECT id FROM idempotent_replies"
    " WHERE id < COALESCE((SELECT MIN(id) FROM (SELECT id, created_at FROM idempotent_replies"
    " ORDER BY id LIMIT ?2) WHERE created_at > ?1), 9223372036854775807) ORDER BY id LIMIT ?2)";

static bo_status_t s_line_read(store_t *self, queue_line_t *line)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_LINE_READ);
    if (store_row(self, stmt) != BO_OK)
        return store_fail(self, "the queue_line row is missing");
    line->next_seq = sqlite3_column_int64(stmt, 0);
    line->admitted = sqlite3_column_int64(stmt, 1);
    line->abandoned = sqlite3_column_int64(stmt, 2);
    line->active = sqlite3_column_int64(stmt, 3);
    line->admit_window = sqlite3_column_int64(stmt, 4);
    line->admitted_in_window = sqlite3_column_int64(stmt, 5);
    sqlite3_reset(stmt);
    return BO_OK;
}

static int64_t s_waiting(const queue_line_t *line)
{
    return line->next_seq - 1 - line->admitted - line->abandoned;
}

static bo_status_t s_run_with_count(store_t *self, const char *sql, int64_t count)
{
    sqlite3_stmt *stmt = store_stmt(self, sql);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, count);
    return store_run(self, stmt);
}

/* Records that ticket `seq` left the line without being admitted. */
static bo_status_t s_departure_add(store_t *self, int64_t seq)
{
    for (int64_t node = seq; node <= DEPARTURE_TREE_SIZE; node += node & -node)
        if (s_run_with_count(self, SQL_DEPARTURE_ADD, node) != BO_OK)
            return BO_INTERNAL;
    return BO_OK;
}

/* How many tickets numbered 1 .. seq left without being admitted. */
static bo_status_t s_departures_up_to(store_t *self, int64_t seq, int64_t *count)
{
    *count = 0;
    for (int64_t node = seq; node > 0; node -= node & -node) {
        sqlite3_stmt *stmt = store_stmt(self, SQL_DEPARTURE_GET);
        if (!stmt)
            return BO_INTERNAL;
        sqlite3_bind_int64(stmt, 1, node);
        bo_status_t status = store_row(self, stmt);
        if (status == BO_INTERNAL)
            return status;
        if (status == BO_OK) {
            *count += sqlite3_column_int64(stmt, 0);
            sqlite3_reset(stmt);
        }
    }
    return BO_OK;
}

/* An empty line forgets its history: the tree is cleared and the counters
   restart from the next ticket, so the tree never outgrows one rush. */
static bo_status_t s_line_compact_if_empty(store_t *self)
{
    queue_line_t line;
    if (s_line_read(self, &line) != BO_OK)
        return BO_INTERNAL;
    if (s_waiting(&line) != 0 || line.abandoned == 0)
        return BO_OK;
    if (store_run(self, store_stmt(self, SQL_DEPARTURES_CLEAR)) != BO_OK ||
        store_run(self, store_stmt(self, SQL_LINE_COMPACT)) != BO_OK)
        return BO_INTERNAL;
    return BO_OK;
}

/* Rewrites the rows of tokens that payments ended, oldest first, at most
   TOKEN_ENDS_BATCH of them; *ended counts those still active until now. */
static bo_status_t s_apply_token_ends(store_t *self, int64_t *ended)
{
    *ended = 0;
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKEN_ENDS_UPTO);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, TOKEN_ENDS_BATCH);
    if (store_row(self, stmt) != BO_OK)
        return BO_INTERNAL;
    bool none = sqlite3_column_type(stmt, 0) == SQLITE_NULL;
    int64_t last = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (none)
        return BO_OK;
    if (s_run_with_count(self, SQL_TOKEN_ENDS_APPLY, last) != BO_OK)
        return BO_INTERNAL;
    *ended = store_changes(self);
    return s_run_with_count(self, SQL_TOKEN_ENDS_DELETE, last);
}

/* Ends active tokens whose time has passed or whose payment ended them,
   and returns them to the budget. A token leaves `active` only here or in
   s_end_token, each decrementing the counter once for the rows it changed,
   so a token ended both ways is counted once. */
static bo_status_t s_expire_due_tokens(store_t *self, int64_t now, int64_t *expired, int64_t *paid)
{
    if (s_apply_token_ends(self, paid) != BO_OK)
        return BO_INTERNAL;
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKENS_EXPIRE_DUE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, now);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *expired = store_changes(self);
    if (*expired + *paid == 0)
        return BO_OK;
    return s_run_with_count(self, SQL_LINE_ACTIVE_ENDED, *expired + *paid);
}

typedef struct {
    int64_t id;
    int64_t user_id;
    bo_token_status_t status;
    int64_t seq;
    int64_t expires_at;
    int64_t last_seen_at; /* as written, which may trail the last request */
} token_row_t;

/* Reads the columns of TOKEN_COLUMNS. A token its user's payment ended
   reads as an active token whose time is up (from the moment it ended)
   until a job's pass rewrites its row, so every check treats it as it
   treats a lapsed token. */
static void s_token_row(sqlite3_stmt *stmt, token_row_t *row, bo_queue_state_t *state)
{
    row->id = sqlite3_column_int64(stmt, 0);
    bo_token_status_parse(store_column_text(stmt, 2), &row->status);
    row->seq = sqlite3_column_int64(stmt, 3);
    row->expires_at = sqlite3_column_int64(stmt, 4);
    row->last_seen_at = sqlite3_column_int64(stmt, 5);
    row->user_id = sqlite3_column_int64(stmt, 6);
    int64_t ended_at = sqlite3_column_int64(stmt, 8);
    if (row->status == BO_TOKEN_ACTIVE && row->id <= sqlite3_column_int64(stmt, 7) &&
        ended_at < row->expires_at)
        row->expires_at = ended_at;
    if (state)
        snprintf(state->token, sizeof state->token, "%s", store_column_text(stmt, 1));
}

static bo_status_t s_token_find(store_t *self, const char *sql, sqlite3_stmt **found)
{
    *found = store_stmt(self, sql);
    return *found ? BO_OK : BO_INTERNAL;
}

/* Fills the line-dependent part of `state` for a token. */
static bo_status_t s_describe(store_t *self, const token_row_t *row, int64_t now,
                              const store_policy_t *policy, bo_queue_state_t *state)
{
    queue_line_t line;
    if (s_line_read(self, &line) != BO_OK)
        return BO_INTERNAL;
    state->status = row->status;
    state->expires_at = row->status == BO_TOKEN_WAIT ? 0 : row->expires_at;
    if (row->status == BO_TOKEN_ACTIVE && row->expires_at <= now)
        state->status = BO_TOKEN_EXPIRED_STATE;
    state->waiting = s_waiting(&line);
    state->position = 0;
    state->eta_s = 0;
    if (state->status != BO_TOKEN_WAIT)
        return BO_OK;
    int64_t departed = 0;
    if (line.abandoned > 0 && s_departures_up_to(self, row->seq, &departed) != BO_OK)
        return BO_INTERNAL;
    state->position = row->seq - line.admitted - departed;
    /* Admission moves admit_batch people per interval: the person at
       `position` is in the ceil(position / batch)-th wave from now. */
    int64_t waves = (state->position + policy->admit_batch - 1) / policy->admit_batch;
    state->eta_s = (waves * policy->admit_interval_ms + 999) / 1000;
    return BO_OK;
}

static bo_status_t s_token_load(store_t *self, int64_t token_id, token_row_t *row,
                                bo_queue_state_t *state)
{
    sqlite3_stmt *stmt;
    if (s_token_find(self, SQL_TOKEN_BY_ID, &stmt) != BO_OK)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, token_id);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return BO_INTERNAL;
    s_token_row(stmt, row, state);
    sqlite3_reset(stmt);
    return BO_OK;
}

static bo_status_t s_write_seen(store_t *self, int64_t token_id, int64_t now)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKEN_TOUCH);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, token_id);
    sqlite3_bind_int64(stmt, 2, now);
    return store_run(self, stmt);
}

/* How stale a waiter's written mark may get before a request renews it. A
   mark written on every request would cost a write per question, and with a
   long line those writes are what slows every answer; a quarter of
   abandon-after keeps them rare and delays a drop by at most as much. */
static int64_t s_seen_step(const store_policy_t *policy)
{
    return policy->abandon_after_ms / 4;
}

/* A waiter asked: if their written mark is stale, note a new one for the
   expire job, or write it now if the notes are full. */
static bo_status_t s_touch(store_t *self, const token_row_t *row, int64_t now,
                           const store_policy_t *policy)
{
    if (now - row->last_seen_at < s_seen_step(policy))
        return BO_OK;
    return store_seen_add(self, row->id, now) ? BO_OK : s_write_seen(self, row->id, now);
}

/* Writes every waiter's "still here" mark noted since the last pass. */
static bo_status_t s_flush_seen(store_t *self)
{
    size_t count;
    const store_seen_t *marks = store_seen_marks(self, &count);
    for (size_t i = 0; i < count; i++)
        if (s_write_seen(self, marks[i].token_id, marks[i].at) != BO_OK)
            return BO_INTERNAL;
    store_seen_clear(self);
    return BO_OK;
}

/* Ends the token if it is active; if it ended one, the line has one
   active token fewer. */
static bo_status_t s_end_token(store_t *self, int64_t token_id, int64_t now)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKEN_END);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, token_id);
    sqlite3_bind_int64(stmt, 2, now);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    if (store_changes(self) == 0)
        return BO_OK;
    return s_run_with_count(self, SQL_LINE_ACTIVE_ENDED, 1);
}

bo_status_t store_token_end(store_t *self, int64_t user_id, int64_t token_id, int64_t now)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_USER_TOKEN_ENDED);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, token_id);
    sqlite3_bind_int64(stmt, 3, now);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    if (store_changes(self) != 1)
        return store_fail(self, "no user row to record a token's end in");
    stmt = store_stmt(self, SQL_TOKEN_END_QUEUE);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, token_id);
    sqlite3_bind_int64(stmt, 2, now);
    return store_run(self, stmt);
}

/* The user's live token: BO_OK with `row` filled, or BO_NOT_FOUND. An
   active token whose time is up is ended here rather than returned. */
static bo_status_t s_live_token(store_t *self, int64_t user_id, int64_t now, token_row_t *row,
                                bo_queue_state_t *state)
{
    sqlite3_stmt *stmt;
    if (s_token_find(self, SQL_TOKEN_LIVE_OF_USER, &stmt) != BO_OK)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, user_id);
    bo_status_t status = store_row(self, stmt);
    if (status != BO_OK)
        return status;
    s_token_row(stmt, row, state);
    sqlite3_reset(stmt);
    if (row->status == BO_TOKEN_ACTIVE && row->expires_at <= now) {
        if (s_end_token(self, row->id, row->expires_at) != BO_OK)
            return BO_INTERNAL;
        return BO_NOT_FOUND;
    }
    return BO_OK;
}

/* Issues `new_token` the next ticket number, waiting, or active until
   `expires_at` if that is not 0. */
static bo_status_t s_issue_token(store_t *self, int64_t user_id, const char *new_token, int64_t now,
                                 int64_t expires_at, int64_t *token_id)
{
    sqlite3_stmt *stmt = store_stmt(self, SQL_LINE_TAKE_SEQ);
    if (store_row(self, stmt) != BO_OK)
        return store_fail(self, "take a ticket number");
    int64_t seq = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    stmt = store_stmt(self, SQL_TOKEN_INSERT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_text(stmt, 1, new_token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    sqlite3_bind_int64(stmt, 3, seq);
    sqlite3_bind_int64(stmt, 4, now);
    if (expires_at != 0)
        sqlite3_bind_int64(stmt, 5, expires_at);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *token_id = sqlite3_last_insert_rowid(sqlite3_db_handle(stmt));
    return BO_OK;
}

/* When nobody waits and this interval's budget has room, a newcomer is
   admitted as the token is issued: what store_admit would do, without the
   token passing through the line's indexes. Otherwise *at_once is false and
   nothing has changed; store_admit, which first ends tokens whose time is
   up, may still find room. */
static bo_status_t s_admit_newcomer(store_t *self, int64_t user_id, const char *new_token,
                                    int64_t now, const store_policy_t *policy, int64_t *token_id,
                                    bool *at_once)
{
    *at_once = false;
    queue_line_t line;
    if (s_line_read(self, &line) != BO_OK)
        return BO_INTERNAL;
    int64_t window = now / policy->admit_interval_ms;
    int64_t used = line.admit_window == window ? line.admitted_in_window : 0;
    if (s_waiting(&line) != 0 || used >= policy->admit_batch || line.active >= policy->max_active)
        return BO_OK;
    sqlite3_stmt *stmt;
    if (s_issue_token(self, user_id, new_token, now, bo_ceil_second(now) + policy->token_ttl_ms,
                      token_id) != BO_OK ||
        !(stmt = store_stmt(self, SQL_LINE_ADMITTED)))
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, 1);
    sqlite3_bind_int64(stmt, 2, window);
    sqlite3_bind_int64(stmt, 3, used + 1);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *at_once = true;
    return line.abandoned > 0 ? s_line_compact_if_empty(self) : BO_OK;
}

static bo_status_t s_enter(store_t *self, int64_t user_id, const char *new_token, int64_t now,
                           const store_policy_t *policy, bo_queue_state_t *state)
{
    token_row_t row;
    bo_status_t status = s_live_token(self, user_id, now, &row, state);
    if (status == BO_INTERNAL)
        return status;
    if (status == BO_OK) {
        if (row.status == BO_TOKEN_WAIT && s_touch(self, &row, now, policy) != BO_OK)
            return BO_INTERNAL;
        return s_describe(self, &row, now, policy, state);
    }
    int64_t token_id = 0, admitted = 0;
    bool at_once;
    if (s_admit_newcomer(self, user_id, new_token, now, policy, &token_id, &at_once) != BO_OK ||
        (!at_once && (s_issue_token(self, user_id, new_token, now, 0, &token_id) != BO_OK ||
                      store_admit(self, now, policy, &admitted) != BO_OK)) ||
        s_token_load(self, token_id, &row, state) != BO_OK)
        return BO_INTERNAL;
    return s_describe(self, &row, now, policy, state);
}

bo_status_t store_queue_enter(store_t *self, int64_t user_id, const char *new_token, int64_t now,
                              const store_policy_t *policy, bo_queue_state_t *state)
{
    if (store_atomic_begin(self) != BO_OK)
        return BO_INTERNAL;
    bo_status_t status = s_enter(self, user_id, new_token, now, policy, state);
    if (store_atomic_end(self, status == BO_OK) != BO_OK)
        return BO_INTERNAL;
    return status;
}

/* The token named `token` if it is this user's; TOKEN_INVALID otherwise. */
static bo_status_t s_own_token(store_t *self, int64_t user_id, const char *token, token_row_t *row,
                               bo_queue_state_t *state)
{
    sqlite3_stmt *stmt;
    if (s_token_find(self, SQL_TOKEN_BY_TEXT, &stmt) != BO_OK)
        return BO_INTERNAL;
    sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
    bo_status_t status = store_row(self, stmt);
    if (status == BO_NOT_FOUND)
        return BO_TOKEN_INVALID;
    if (status != BO_OK)
        return status;
    s_token_row(stmt, row, state);
    sqlite3_reset(stmt);
    return row->user_id == user_id ? BO_OK : BO_TOKEN_INVALID;
}

bo_status_t store_queue_status(store_t *self, int64_t user_id, const char *token, int64_t now,
                               const store_policy_t *policy, bo_queue_state_t *state)
{
    token_row_t row;
    bo_status_t status = s_own_token(self, user_id, token, &row, state);
    if (status != BO_OK)
        return status;
    if (row.status == BO_TOKEN_WAIT && s_touch(self, &row, now, policy) != BO_OK)
        return BO_INTERNAL;
    return s_describe(self, &row, now, policy, state);
}

bo_status_t store_token_gate(store_t *self, int64_t user_id, const char *token, int64_t now,
                             int64_t *token_id)
{
    token_row_t row;
    bo_status_t status = s_own_token(self, user_id, token, &row, NULL);
    if (status != BO_OK)
        return status;
    if (row.status == BO_TOKEN_WAIT)
        return BO_TOKEN_WAITING;
    if (row.status == BO_TOKEN_EXPIRED_STATE || row.expires_at <= now)
        return BO_TOKEN_EXPIRED;
    *token_id = row.id;
    return BO_OK;
}

bo_status_t store_queue_counts(store_t *self, int64_t *waiting, int64_t *active)
{
    queue_line_t line;
    if (s_line_read(self, &line) != BO_OK)
        return BO_INTERNAL;
    *waiting = s_waiting(&line);
    *active = line.active;
    return BO_OK;
}

bo_status_t store_admit(store_t *self, int64_t now, const store_policy_t *policy, int64_t *admitted)
{
    *admitted = 0;
    int64_t expired, paid;
    queue_line_t line;
    if (s_expire_due_tokens(self, now, &expired, &paid) != BO_OK ||
        s_line_read(self, &line) != BO_OK)
        return BO_INTERNAL;
    int64_t window = now / policy->admit_interval_ms;
    int64_t used = line.admit_window == window ? line.admitted_in_window : 0;
    int64_t budget = policy->admit_batch - used;
    if (policy->max_active - line.active < budget)
        budget = policy->max_active - line.active;
    if (budget <= 0 || s_waiting(&line) == 0)
        return BO_OK;
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKENS_ADMIT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, bo_ceil_second(now) + policy->token_ttl_ms);
    sqlite3_bind_int64(stmt, 2, now);
    sqlite3_bind_int64(stmt, 3, budget);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *admitted = store_changes(self);
    stmt = store_stmt(self, SQL_LINE_ADMITTED);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, *admitted);
    sqlite3_bind_int64(stmt, 2, window);
    sqlite3_bind_int64(stmt, 3, used + *admitted);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    return s_line_compact_if_empty(self);
}

/* Waiters who stopped asking leave the line; their tickets go into the
   departure tree so everyone behind them moves up. */
static bo_status_t s_drop_silent_waiters(store_t *self, int64_t now, const store_policy_t *policy,
                                         int64_t *dropped)
{
    *dropped = 0;
    sqlite3_stmt *stmt = store_stmt(self, SQL_TOKENS_DROP_SILENT);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, now - policy->abandon_after_ms - s_seen_step(policy) - SEEN_LAG_MS);
    sqlite3_bind_int64(stmt, 3, EXPIRE_BATCH);
    /* SQLite applies the whole UPDATE on the first step; the RETURNING rows
       are then read back while the tree is written. */
    int rc;
    while ((rc = store_step(self, stmt)) == SQLITE_ROW) {
        if (s_departure_add(self, sqlite3_column_int64(stmt, 0)) != BO_OK) {
            sqlite3_reset(stmt);
            return BO_INTERNAL;
        }
        (*dropped)++;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return BO_INTERNAL;
    if (*dropped == 0)
        return BO_OK;
    if (s_run_with_count(self, SQL_LINE_ABANDONED, *dropped) != BO_OK)
        return BO_INTERNAL;
    return s_line_compact_if_empty(self);
}

static bo_status_t s_purge(store_t *self, const char *sql, int64_t before, int64_t limit,
                           int64_t *purged)
{
    sqlite3_stmt *stmt = store_stmt(self, sql);
    if (!stmt)
        return BO_INTERNAL;
    sqlite3_bind_int64(stmt, 1, before);
    sqlite3_bind_int64(stmt, 2, limit);
    if (store_run(self, stmt) != BO_OK)
        return BO_INTERNAL;
    *purged += store_changes(self);
    return BO_OK;
}

bo_status_t store_expire(store_t *self, int64_t now, const store_policy_t *policy,
                         store_expire_report_t *report)
{
    *report = (store_expire_report_t){0};
    if (s_flush_seen(self) != BO_OK ||
        s_expire_due_tokens(self, now, &report->tokens_expired, &report->tokens_paid) != BO_OK ||
        s_drop_silent_waiters(self, now, policy, &report->waiters_dropped) != BO_OK ||
        store_release_lapsed_holds(self, now, EXPIRE_BATCH, &report->holds_released) != BO_OK ||
        s_purge(self, SQL_TOKENS_PURGE, now - DAY_MS, EXPIRE_BATCH, &report->rows_purged) !=
            BO_OK ||
        s_purge(self, SQL_REPLIES_PURGE, now - BO_IDEMPOTENCY_TTL_MS, REPLIES_PURGE_BATCH,
                &report->rows_purged) != BO_OK)
        return BO_INTERNAL;
    return BO_OK;
}
