-- 003: fewer pages written per request.
--
-- Every page a transaction touches is written to the log at its commit, so
-- a batch of requests costs about one page per (index, neighbourhood) it
-- changes. Two structures cost a page per request for little in return.

-- Held seats whose time has passed are found through their reservations
-- (reservations_open_by_expiry), so seats need no index of their own held
-- seats: each hold, payment and release rewrote a page of it.
DROP INDEX seats_held_by_expiry;

-- Kept replies were a WITHOUT ROWID table keyed by (user_id, request_id):
-- rows of a few hundred bytes scattered by user, so each request rewrote a
-- page somewhere in the table. Now the rows are appended in the order they
-- are written, and only a narrow index entry lands by user.
CREATE TABLE idempotent_replies_003 (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    reply       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
INSERT INTO idempotent_replies_003 (user_id, request_id, fingerprint, reply, created_at)
    SELECT user_id, request_id, fingerprint, reply, created_at
    FROM idempotent_replies ORDER BY created_at;
DROP TABLE idempotent_replies;
ALTER TABLE idempotent_replies_003 RENAME TO idempotent_replies;
CREATE UNIQUE INDEX idempotent_replies_by_request ON idempotent_replies (user_id, request_id);
CREATE INDEX idempotent_replies_by_age ON idempotent_replies (created_at);
