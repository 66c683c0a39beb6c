-- Demo data for `boxofficed --seed-demo`: concerts, shows, 50 seats each in
-- two price tiers, and demo users. Times are relative to the moment of
-- seeding, which the store provides as temp.seed_clock(now_ms), so a fresh
-- demo always has shows open for reservation.
--
-- The store runs this only when the database holds no concerts, inside one
-- transaction.

CREATE TEMP TABLE seed_days AS
    SELECT (now_ms / 86400000) * 86400000 AS today, now_ms AS now FROM temp.seed_clock;

INSERT INTO concerts (id, title, performer) VALUES
    (1, '봄날의 재즈 — Spring Jazz Night', '서울 재즈 트리오'),
    (2, '베토벤 교향곡 9번 〈합창〉', '부산 필하모닉 오케스트라'),
    (3, 'Neon Nights Tour', 'The Midnight Arcade'),
    (4, '한여름 밤의 록 페스티벌', '파란하늘 밴드');

-- (schedule, concert, show day, reservation window start/end in days from
-- today). Shows start at 10:00 UTC (19:00 in Seoul).
CREATE TEMP TABLE seed_shows (id, concert_id, show_day, open_day, close_day, note);
INSERT INTO temp.seed_shows VALUES
    (1, 1, 14, -1, 13, 'open'),
    (2, 1, 15, -1, 14, 'open'),
    (3, 2, 20, -2, 19, 'open'),
    (4, 2, 3, -30, -1, 'closed: the window ended yesterday'),
    (5, 3, 30, -1, 29, 'open'),
    (6, 3, 7, -10, 6, 'sold out'),
    (7, 4, 40, 10, 39, 'not open yet'),
    (8, 4, 41, -1, 40, 'open');

INSERT INTO concert_schedules (id, concert_id, show_time, reservation_start, reservation_end,
                               left_tickets)
SELECT s.id, s.concert_id,
       d.today + s.show_day * 86400000 + 10 * 3600000,
       d.today + s.open_day * 86400000,
       d.today + s.close_day * 86400000 + 86399000,
       50
FROM temp.seed_shows s, temp.seed_days d;

-- Two tiers: seats 1-20 (the front two rows) and 21-50.
CREATE TEMP TABLE seed_prices (concert_id, front, back);
INSERT INTO temp.seed_prices VALUES
    (1, 120000, 80000), (2, 150000, 90000), (3, 99000, 66000), (4, 110000, 77000);

INSERT INTO seats (schedule_id, number, price, status)
WITH RECURSIVE numbers (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 50)
SELECT cs.id, numbers.n, CASE WHEN numbers.n <= 20 THEN p.front ELSE p.back END, 'free'
FROM concert_schedules cs
JOIN temp.seed_prices p ON p.concert_id = cs.concert_id
CROSS JOIN numbers
ORDER BY cs.id, numbers.n;

-- Demo users, each balance backed by a ledger entry.
CREATE TEMP TABLE seed_users (name, point, role);
INSERT INTO temp.seed_users VALUES
    ('민지', 500000, 'demo'),
    ('Alex', 200000, 'demo'),
    ('서연', 0, 'demo'),
    ('Box office (sold-out demo)', 0, 'buyer');

INSERT INTO users (name, point, created_at, updated_at)
SELECT u.name, u.point, d.now, d.now FROM temp.seed_users u, temp.seed_days d ORDER BY u.rowid;

INSERT INTO point_ledger (user_id, kind, amount, balance_after, at)
SELECT users.id, 'charge', u.point, u.point, d.now
FROM temp.seed_users u JOIN users ON users.name = u.name, temp.seed_days d
WHERE u.point > 0 AND users.id = (SELECT MAX(id) FROM users WHERE name = u.name);

-- Show 6 is sold out: the box-office user bought every seat, so the seats,
-- reservations, ledger and left_tickets all agree.
CREATE TEMP TABLE seed_buyer AS
    SELECT MAX(id) AS id FROM users WHERE name = 'Box office (sold-out demo)';

INSERT INTO reservations (user_id, schedule_id, seat_id, status, price, hold_expires_at,
                          created_at, updated_at)
SELECT b.id, s.schedule_id, s.id, 'paid', s.price, NULL, d.now, d.now
FROM seats s, temp.seed_buyer b, temp.seed_days d
WHERE s.schedule_id = 6 ORDER BY s.number;

UPDATE seats SET status = 'sold',
    reservation_id = (SELECT r.id FROM reservations r
                      WHERE r.seat_id = seats.id AND r.status = 'paid')
WHERE schedule_id = 6;
UPDATE concert_schedules SET left_tickets = 0 WHERE id = 6;

INSERT INTO point_ledger (user_id, kind, amount, balance_after, at)
SELECT b.id, 'charge', SUM(s.price), SUM(s.price), d.now
FROM seats s, temp.seed_buyer b, temp.seed_days d WHERE s.schedule_id = 6;

INSERT INTO point_ledger (user_id, kind, amount, balance_after, reservation_id, at)
SELECT b.id, 'use', -r.price,
       (SELECT SUM(price) FROM seats WHERE schedule_id = 6)
           - SUM(r.price) OVER (ORDER BY r.id),
       r.id, d.now
FROM reservations r, temp.seed_buyer b, temp.seed_days d
WHERE r.schedule_id = 6 ORDER BY r.id;

DROP TABLE temp.seed_days;
DROP TABLE temp.seed_shows;
DROP TABLE temp.seed_prices;
DROP TABLE temp.seed_users;
DROP TABLE temp.seed_buyer;
