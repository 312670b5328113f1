-- junk_values: identifiers that applications send when a field is missing
-- never glue strangers together (DESIGN.md section 3, the default junk).
-- Each event below would, if its junk value were an identifier, land on
-- the profile of the person before it (or replace her email and phone).
-- Accounts 5001-5009 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\pset columns 160
\x auto
\set VERBOSITY terse

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- external_id placeholders, in any case, through api and import (5001)
------------------------------------------------------------------------------
CREATE TEMP TABLE junk_ids (n int, id text);
INSERT INTO junk_ids VALUES (1, 'null'), (2, 'NULL'), (3, 'undefined'), (4, '0'), (5, 'N/A'),
    (6, 'None'), (7, '-1'), (8, 'NaN'), (9, '[object Object]'), (10, 'nil'), (11, 'na'),
    (12, 'anonymous'), (13, 'Unknown'), (14, 'test'), (15, 'TRUE'), (16, 'false');
-- two strangers per placeholder: with the placeholder as an identifier the
-- second would take over the first one's profile
INSERT INTO events (account_id, source, external_id, email, phone)
SELECT 5001, CASE WHEN n % 2 = 0 THEN 'api' ELSE 'import' END, id, 'alice' || n || '@example.com',
       '+1415555' || lpad((1000 + n)::text, 4, '0')
  FROM junk_ids ORDER BY n;
INSERT INTO events (account_id, source, external_id, email, phone)
SELECT 5001, 'api', id, 'bob' || n || '@example.com', '+1415555' || lpad((2000 + n)::text, 4, '0')
  FROM junk_ids ORDER BY n;
SELECT count(*) AS profiles, count(DISTINCT email) AS emails, count(external_id) AS with_external_id
  FROM profiles WHERE account_id = 5001 AND merged_into IS NULL;
SELECT e.external_id, count(*) AS events, string_agg(DISTINCT e.outcome, ',') AS outcomes,
       string_agg(DISTINCT d->>'action', ',') AS said, string_agg(DISTINCT d->>'reason', ',') AS reason
  FROM events e, jsonb_array_elements(e.detail) d
 WHERE e.account_id = 5001 AND d->>'kind' = 'external_id'
 GROUP BY e.external_id ORDER BY e.external_id COLLATE "C";

------------------------------------------------------------------------------
-- Placeholder phone numbers of other regions (5002): each two strangers
-- keep their own profiles, and the number is said to be a placeholder
------------------------------------------------------------------------------
CREATE TEMP TABLE junk_phones (n int, phone text, region text);
INSERT INTO junk_phones VALUES (1, '+44 20 0000 0000', NULL), (2, '020 0000 0000', 'GB'),
    (3, '+33 1 00 00 00 00', NULL), (4, '01 00 00 00 00', 'FR'), (5, '+49 30 000000', NULL),
    (6, '+39 06 0000000', NULL), (7, '+44 7777 777777', NULL), (8, '+61 2 0000 0000', NULL);
INSERT INTO events (account_id, source, email, phone, phone_region)
SELECT 5002, 'form', who || n || '@example.com', phone, region
  FROM junk_phones, (VALUES ('carol'), ('dave')) AS w(who) ORDER BY n, who;
SELECT count(*) AS profiles, count(phone) AS with_phone FROM profiles
 WHERE account_id = 5002 AND merged_into IS NULL;
SELECT j.phone AS typed, e.outcome, d->>'value' AS value, d->>'action' AS action, d->>'reason' AS reason
  FROM junk_phones j
  JOIN events e ON e.account_id = 5002 AND e.phone = j.phone AND e.email LIKE 'carol%'
  CROSS JOIN LATERAL jsonb_array_elements(e.detail) d
 WHERE d->>'kind' = 'phone' ORDER BY j.n;
-- the same numbers with a real subscriber part are people's numbers
INSERT INTO events (account_id, source, email, phone)
VALUES (5002, 'form', 'erin@example.com', '+44 20 7946 0958')
RETURNING pg_temp.who(profile_id, 'erin') AS profile, outcome, phone_e164;

------------------------------------------------------------------------------
-- Placeholder addresses (5003): local part equal to the domain's first
-- label, and the classic ones listed in blocked_values
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone)
VALUES (5003, 'form', 'x@x.com', '+14155553001'), (5003, 'form', 'x@x.com', '+14155553002'),
       (5003, 'form', 'Fake@Fake.com', '+14155553003'), (5003, 'form', 'fake@fake.com', '+14155553004'),
       (5003, 'form', 'your@email.com', '+14155553005'), (5003, 'form', 'your@email.com', '+14155553006');
SELECT count(*) AS profiles, count(email) AS with_email FROM profiles
 WHERE account_id = 5003 AND merged_into IS NULL;
SELECT e.email AS typed, d->>'action' AS action, d->>'reason' AS reason
  FROM events e CROSS JOIN LATERAL jsonb_array_elements(e.detail) d
 WHERE e.account_id = 5003 AND d->>'kind' = 'email' ORDER BY e.event_id;
-- an address merely like its domain is someone's
INSERT INTO events (account_id, source, email) VALUES (5003, 'form', 'fake@fakes.com')
RETURNING pg_temp.who(profile_id, 'fay') AS profile, outcome;

-- an admin's own external_id is stored folded, and blocks every spelling
INSERT INTO blocked_values (kind, value, account_id) VALUES ('external_id', ' GuestUser ', 5004);
SELECT value FROM blocked_values WHERE account_id = 5004;
INSERT INTO events (account_id, source, external_id, email) VALUES (5004, 'api', 'GUESTUSER', 'hugo@example.com')
RETURNING outcome, pg_temp.show(detail) AS detail;
-- an admin may take a default back: deleting the row unblocks the value
DELETE FROM blocked_values WHERE account_id = 0 AND kind = 'external_id' AND value = 'test';
INSERT INTO events (account_id, source, external_id, email) VALUES (5004, 'api', 'test', 'gil@example.com')
RETURNING pg_temp.who(profile_id, 'gil') AS profile, outcome;
INSERT INTO blocked_values (kind, value) VALUES ('external_id', 'test');

------------------------------------------------------------------------------
-- blocked_patterns (5005, 5006): regular expressions on the normalized
-- value, for one account or for all (account 0)
------------------------------------------------------------------------------
-- the default: zeros and dashes (a nil UUID's shape) are no one's id
INSERT INTO events (account_id, source, external_id, email)
VALUES (5005, 'api', '0000-0000-0000', 'hal@example.com')
RETURNING outcome, pg_temp.show(detail) AS detail;
-- an account's own pattern, with its reason; account 5006 is not affected
INSERT INTO blocked_patterns (account_id, kind, pattern, reason)
VALUES (5005, 'email', '^guest[0-9]*@', 'guest checkout address'),
       (5005, 'phone', '^\+1415555019', NULL);
INSERT INTO events (account_id, source, email, phone)
VALUES (5005, 'form', 'Guest17@shop.example', '(415) 555-0199')
RETURNING outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email) VALUES (5006, 'form', 'guest17@shop.example')
RETURNING outcome, pg_temp.show(detail) AS detail;
-- account 0's pattern applies to every account, from the next event on
INSERT INTO blocked_patterns (kind, pattern, reason) VALUES ('email', '@mailinator\.com$', 'disposable');
INSERT INTO events (account_id, source, email) VALUES (5006, 'form', 'ivan@mailinator.com')
RETURNING outcome, pg_temp.show(detail) AS detail;
DELETE FROM blocked_patterns WHERE account_id = 0 AND pattern = '@mailinator\.com$';
INSERT INTO events (account_id, source, email) VALUES (5006, 'form', 'ivan@mailinator.com')
RETURNING outcome;
-- a pattern that does not compile is refused when inserted; so is a kind
-- whose name no identifier_kinds row could have
\set VERBOSITY sqlstate
INSERT INTO blocked_patterns (kind, pattern) VALUES ('email', '(unclosed');
INSERT INTO blocked_patterns (kind, pattern) VALUES ('Fax', '^1');
\set VERBOSITY terse
DELETE FROM blocked_patterns WHERE account_id = 5005;

\set VERBOSITY default
\ir test/sql/check_invariants.sql
