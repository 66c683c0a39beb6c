-- 006: kept replies purged in the order they were written, not by an index.
--
-- Every write that carries a request_id keeps its reply, and the index by
-- age took one more entry (and one more page to undo and to log) for each.
-- Replies are appended, so their ids already follow the time they were
-- written: the expire job reads them from the oldest id up, and stops at
-- the first one still within its ten minutes.
DROP INDEX idempotent_replies_by_age;
