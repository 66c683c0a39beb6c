-- 005: a user's reservations indexed by user alone.
--
-- The index carried the status too, so every payment, cancellation and
-- lapsed hold moved the reservation's entry within it (a delete and an
-- insert). A user has a handful of reservations: finding the open ones
-- reads them all at no cost, and the entries, ordered by user and then
-- reservation id, give the newest first without a sort.
DROP INDEX reservations_by_user;
CREATE INDEX reservations_by_user ON reservations (user_id);
