-- 007: a payment ends its token without rewriting the token's row.
--
-- Ending a token at payment rewrote its row and moved it between three
-- partial indexes (live per user, active by expiry, expired by age): about
-- a quarter of what a payment's commit wrote to the log, because tokens
-- paid together lie on different pages. The payment already rewrites its user's row (the
-- balance), so the end is written there instead: a token whose id is at or
-- below its user's ended_token counts as expired from ended_token_at on,
-- for every check that reads it. The same payment appends the token to
-- token_ends, in order, and both jobs drain that table, rewriting
-- the token rows together and returning their slots to the admission
-- budget, as a lapsed token's are.
ALTER TABLE users ADD COLUMN ended_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN ended_token_at INTEGER;

CREATE TABLE token_ends (
    id       INTEGER PRIMARY KEY,
    token_id INTEGER NOT NULL,
    at       INTEGER NOT NULL
);
