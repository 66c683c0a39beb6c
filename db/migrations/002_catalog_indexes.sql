-- 002: indexes that let concert.dates answer from the index alone.
--
-- A show's lowest price is then a single index seek rather than a walk over
-- its 50 seats, and its lapsed holds (held seats whose time has passed,
-- which count as free) a range of an index holding held seats only.

CREATE INDEX seats_price_by_schedule ON seats (schedule_id, price);
CREATE INDEX seats_held_by_expiry ON seats (schedule_id, hold_expires_at) WHERE status = 'held';
