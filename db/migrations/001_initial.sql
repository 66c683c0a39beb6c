-- 001: the first schema of boxoffice.
--
-- Times are INTEGER milliseconds since the Unix epoch, UTC. Money and points
-- are INTEGER. CHECK constraints and the partial unique indexes below hold
-- the invariants even against a buggy writer: a seat is held or sold by at
-- most one reservation, a user has at most one live queue token, balances
-- never go negative.

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    point      INTEGER NOT NULL DEFAULT 0 CHECK (point BETWEEN 0 AND 9007199254740991),
    -- Bumped by every change of point: the optimistic lock of point.charge.
    version    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE concerts (
    id        INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    performer TEXT NOT NULL
);

CREATE TABLE concert_schedules (
    id                INTEGER PRIMARY KEY,
    concert_id        INTEGER NOT NULL REFERENCES concerts (id),
    show_time         INTEGER NOT NULL,
    reservation_start INTEGER NOT NULL,
    reservation_end   INTEGER NOT NULL,
    -- Always equal to the number of this show's seats whose status is 'free'.
    left_tickets      INTEGER NOT NULL CHECK (left_tickets >= 0)
);
CREATE INDEX concert_schedules_by_concert ON concert_schedules (concert_id, show_time);

CREATE TABLE reservations (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    schedule_id     INTEGER NOT NULL REFERENCES concert_schedules (id),
    seat_id         INTEGER NOT NULL REFERENCES seats (id),
    status          TEXT    NOT NULL CHECK (status IN ('reserved', 'paid', 'cancelled')),
    price           INTEGER NOT NULL CHECK (price >= 0),
    -- Only an open hold has an expiry.
    hold_expires_at INTEGER CHECK ((status = 'reserved') = (hold_expires_at IS NOT NULL)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- The heart of the booking invariant: one live reservation per seat.
CREATE UNIQUE INDEX reservations_one_live_per_seat
    ON reservations (seat_id) WHERE status IN ('reserved', 'paid');
CREATE INDEX reservations_by_user ON reservations (user_id, status);
CREATE INDEX reservations_open_by_expiry
    ON reservations (hold_expires_at) WHERE status = 'reserved';

CREATE TABLE seats (
    id              INTEGER PRIMARY KEY,
    schedule_id     INTEGER NOT NULL REFERENCES concert_schedules (id),
    number          INTEGER NOT NULL CHECK (number BETWEEN 1 AND 50),
    price           INTEGER NOT NULL CHECK (price >= 0),
    status          TEXT    NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'held', 'sold')),
    reservation_id  INTEGER REFERENCES reservations (id),
    hold_expires_at INTEGER,
    UNIQUE (schedule_id, number),
    CHECK ((status = 'free') = (reservation_id IS NULL)),
    CHECK ((status = 'held') = (hold_expires_at IS NOT NULL))
);

CREATE TABLE point_ledger (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('charge', 'use', 'refund')),
    -- Signed, so a user's entries sum to the balance: a use is negative.
    amount         INTEGER NOT NULL,
    balance_after  INTEGER NOT NULL CHECK (balance_after >= 0),
    reservation_id INTEGER REFERENCES reservations (id),
    at             INTEGER NOT NULL
);
CREATE INDEX point_ledger_by_user ON point_ledger (user_id, id);

CREATE TABLE queue_tokens (
    id           INTEGER PRIMARY KEY,
    token        TEXT    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    status       TEXT    NOT NULL CHECK (status IN ('wait', 'active', 'expired')),
    -- The ticket number taken on entering: the line is ordered by it.
    seq          INTEGER NOT NULL,
    expires_at   INTEGER CHECK ((status = 'wait') = (expires_at IS NULL) OR status = 'expired'),
    last_seen_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX queue_tokens_one_live_per_user
    ON queue_tokens (user_id) WHERE status IN ('wait', 'active');
CREATE INDEX queue_tokens_waiting_by_seq ON queue_tokens (seq) WHERE status = 'wait';
CREATE INDEX queue_tokens_waiting_by_last_seen
    ON queue_tokens (last_seen_at) WHERE status = 'wait';
CREATE INDEX queue_tokens_active_by_expiry ON queue_tokens (expires_at) WHERE status = 'active';
CREATE INDEX queue_tokens_expired_by_age ON queue_tokens (updated_at) WHERE status = 'expired';

-- The line's counters, so a position costs the same whatever its length.
-- Every ticket number below next_seq has left the line (admitted or
-- abandoned) or is still waiting; admission takes the lowest numbers first,
-- so a waiter's position is
--     seq - admitted - (abandoned tickets numbered below seq)
-- and the last term is a prefix sum over queue_departures, a Fenwick tree.
CREATE TABLE queue_line (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    next_seq           INTEGER NOT NULL,
    admitted           INTEGER NOT NULL,
    abandoned          INTEGER NOT NULL,
    active             INTEGER NOT NULL CHECK (active >= 0),
    -- Admission budget: admitted_in_window of admit_batch used in the
    -- interval numbered admit_window (now / admit_interval_ms).
    admit_window       INTEGER NOT NULL,
    admitted_in_window INTEGER NOT NULL
);
INSERT INTO queue_line VALUES (1, 1, 0, 0, 0, 0, 0);

-- Sparse Fenwick tree over ticket numbers of abandoned waiters: a missing
-- node counts 0. Cleared whenever the line empties.
CREATE TABLE queue_departures (
    node  INTEGER PRIMARY KEY,
    count INTEGER NOT NULL
);

-- Replies kept for retried writes, keyed by who asked and their request_id
-- (user_id 0 for user.create). Purged after ten minutes.
CREATE TABLE idempotent_replies (
    user_id     INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    reply       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, request_id)
) WITHOUT ROWID;
CREATE INDEX idempotent_replies_by_age ON idempotent_replies (created_at);
