-- 004: CHECK constraints that cost nothing to check.
--
-- SQLite tests `x IN ('a', 'b', 'c')` (three values or more) by building a
-- small temporary index every time a row is written; written with OR, the
-- same test is three comparisons. That was about 1.5 µs a write, four
-- writes a payment. The constraints mean exactly what they meant, so the
-- tables' text is edited in place, as SQLite documents for changing CHECK
-- constraints, rather than the tables rebuilt; the migration runner bumps
-- schema_version after every migration, so every connection reads the new
-- text.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''reserved'', ''paid'', ''cancelled''))',
    'CHECK (status = ''reserved'' OR status = ''paid'' OR status = ''cancelled'')')
    WHERE type = 'table' AND name = 'reservations';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''free'', ''held'', ''sold''))',
    'CHECK (status = ''free'' OR status = ''held'' OR status = ''sold'')')
    WHERE type = 'table' AND name = 'seats';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (''charge'', ''use'', ''refund''))',
    'CHECK (kind = ''charge'' OR kind = ''use'' OR kind = ''refund'')')
    WHERE type = 'table' AND name = 'point_ledger';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''wait'', ''active'', ''expired''))',
    'CHECK (status = ''wait'' OR status = ''active'' OR status = ''expired'')')
    WHERE type = 'table' AND name = 'queue_tokens';
PRAGMA writable_schema = OFF;
