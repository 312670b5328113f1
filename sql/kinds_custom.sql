-- kinds_custom: custom kinds of identifier (DESIGN.md section 3,
-- identifier_kinds and events.identifiers): an anonymous web visitor
-- stitched to the person who signs up, a source that does not accept the
-- kind, junk of a custom kind, and every bad shape of events.identifiers
-- (an unknown kind, a value that is not a string, not an object, 10,000
-- keys, a 1 MB value), each stored with its detail. Accounts 5201-5209
-- belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- identifier_kinds refuses what it cannot mean (23514, the constraint named)
------------------------------------------------------------------------------
SELECT account_id, kind, normalizer, max_per_profile FROM identifier_kinds WHERE account_id = 0 ORDER BY kind;
\set VERBOSITY terse
INSERT INTO identifier_kinds VALUES (5209, 'Email', 'email', 2);
INSERT INTO identifier_kinds VALUES (5209, '1x', 'text', 1);
INSERT INTO identifier_kinds VALUES (5209, 'profile', 'text', 1);
INSERT INTO identifier_kinds VALUES (5209, 'k' || repeat('x', 63), 'text', 1);
INSERT INTO identifier_kinds VALUES (5209, 'loyalty', 'uuid', 1);
INSERT INTO identifier_kinds VALUES (5209, 'loyalty', 'text', 0);
INSERT INTO identifier_kinds VALUES (5209, 'loyalty', 'text', 101);
INSERT INTO identifier_kinds VALUES (5209, 'email', 'text', 2);
UPDATE identifier_kinds SET normalizer = 'email' WHERE account_id = 0 AND kind = 'phone';
-- a name of 63 characters is a kind; a source may not override 'profile'
INSERT INTO identifier_kinds VALUES (5209, 'k' || repeat('x', 62), 'text', 1);
INSERT INTO sources VALUES ('bad', '{profile,email}', true, '{profile}', '{profile,email}', 5209);
INSERT INTO sources VALUES ('bad', '{profile,Email}', true, '{}', '{profile,email}', 5209);
\set VERBOSITY default
DELETE FROM identifier_kinds WHERE account_id = 5209;

------------------------------------------------------------------------------
-- Account 5201: anonymous_id, up to three a profile (three devices)
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5201, 'anonymous_id', 'text', 3);
-- the account's web tracker identifies by the anonymous id before the email
INSERT INTO sources (source, identify_by, merges, may_override, accepts, account_id)
VALUES ('web', '{profile,anonymous_id,external_id,email,phone}', true, '{phone}',
        '{profile,anonymous_id,external_id,email,phone}', 5201);

-- a visitor browses twice before she signs up
INSERT INTO events (account_id, source, identifiers, properties)
VALUES (5201, 'web', '{"anonymous_id": "a1f3"}', '{"page": "/pricing"}')
RETURNING pg_temp.who(profile_id, 'visitor') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, identifiers)
VALUES (5201, 'web', '{"anonymous_id": " a1f3 "}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- she signs up: the same profile gets her address
INSERT INTO events (account_id, source, email, identifiers, properties)
VALUES (5201, 'web', 'Eve@Example.com', '{"anonymous_id": "a1f3"}', '{"plan": "trial"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- on her phone, another anonymous id with her address: attached to her
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5201, 'web', 'eve@example.com', '{"anonymous_id": "b7c9"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- the phone's later visits find her by that id alone
INSERT INTO events (account_id, source, identifiers)
VALUES (5201, 'web', '{"anonymous_id": "b7c9"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, kind, value, is_primary, status, source
  FROM profile_identifiers WHERE account_id = 5201 ORDER BY kind, value;
SELECT pg_temp.who(profile_id) AS profile, email, properties FROM profiles WHERE account_id = 5201;

-- a source whose accepts does not name the kind ignores it
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5201, 'form', 'zoe@example.com', '{"anonymous_id": "c0d1"}')
RETURNING pg_temp.who(profile_id, 'zoe') AS profile, outcome, pg_temp.show(detail) AS detail;

-- a second visitor with an anonymous id and an address that Eve holds: the
-- anonymous ids of the two fit the limit, so they are one person
INSERT INTO events (account_id, source, identifiers)
VALUES (5201, 'web', '{"anonymous_id": "d2e3"}')
RETURNING pg_temp.who(profile_id, 'visitor_2') AS profile, outcome;
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5201, 'web', 'eve@example.com', '{"anonymous_id": "d2e3"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, kind, value
  FROM profile_identifiers WHERE account_id = 5201 ORDER BY profile, kind, value;

------------------------------------------------------------------------------
-- Account 5202: junk of a custom kind (blocked_values folded as text,
-- blocked_patterns on the normalized value)
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5202, 'device_id', 'text', 2);
INSERT INTO sources (source, identify_by, merges, may_override, accepts, account_id)
VALUES ('app', '{profile,device_id,email}', true, '{}', '{profile,device_id,email}', 5202);
INSERT INTO blocked_values (kind, value, account_id) VALUES ('device_id', 'UNKNOWN-DEVICE', 5202);
SELECT kind, value FROM blocked_values WHERE account_id = 5202;
INSERT INTO blocked_patterns (account_id, kind, pattern, reason)
VALUES (5202, 'device_id', '^0+$', 'a device id of zeros');
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5202, 'app', 'amy@example.com', '{"device_id": ["unknown-device", "0000", "D-42"]}')
RETURNING pg_temp.who(profile_id, 'amy') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5202, 'app', 'bob@example.com', '{"device_id": "Unknown-Device"}')
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;

------------------------------------------------------------------------------
-- Account 5203: events.identifiers that are not what they should be
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5203, 'anonymous_id', 'text', 1);
INSERT INTO sources (source, identify_by, merges, may_override, accepts, account_id)
VALUES ('web', '{profile,anonymous_id,email}', true, '{}', '{profile,anonymous_id,email}', 5203);
-- an unknown kind, a kind of another account, and values that are not strings
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5203, 'web', 'kim@example.com',
        '{"loyalty": "L-1", "device_id": "D-1", "anonymous_id": [7, null, {"a": 1}, ["x"], "k1"], "email": true}')
RETURNING pg_temp.who(profile_id, 'kim') AS profile, outcome, pg_temp.show(detail) AS detail;
-- blank values are absent, as in the columns
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5203, 'web', 'kim@example.com', '{"anonymous_id": ["", "  "], "email": []}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- not an object: the event is stored, rejected, and says why
INSERT INTO events (account_id, source, email, identifiers, email_consent)
VALUES (5203, 'web', 'kim@example.com', '["k1"]', true)
RETURNING profile_id, outcome, detail -> 0 ->> 'action' AS action, detail -> 0 ->> 'kind' AS kind,
          detail -> 0 ->> 'reason' AS reason;
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5203, 'web', 'kim@example.com', '"k1"')
RETURNING profile_id, outcome, detail -> 0 ->> 'action' AS action, detail -> 0 ->> 'kind' AS kind,
          detail -> 0 ->> 'reason' AS reason;
-- 10,000 keys: the first values are read, the rest said in one entry
INSERT INTO events (account_id, source, email, identifiers)
SELECT 5203, 'web', 'kim@example.com', jsonb_object_agg('k' || g, 'v' || g)
  FROM generate_series(1, 10000) g
RETURNING pg_temp.who(profile_id) AS profile, outcome, jsonb_array_length(detail) AS entries,
          detail -> -1 ->> 'action' AS last_action, detail -> -1 ->> 'reason' AS last_reason;
-- a 1 MB value: invalid, and only its first 256 bytes are kept in detail
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5203, 'web', 'kim@example.com', jsonb_build_object('anonymous_id', repeat('x', 1000000)))
RETURNING pg_temp.who(profile_id) AS profile, outcome, detail -> 0 ->> 'action' AS action,
          detail -> 0 ->> 'reason' AS reason, length(detail -> 0 ->> 'value') AS value_bytes;
SELECT count(*) AS stored, count(*) FILTER (WHERE identifiers IS NOT NULL) AS with_identifiers
  FROM events WHERE account_id = 5203;

-- through ingest(): the same results as the trigger
CREATE TABLE pg_temp.staged AS
SELECT 5203::bigint AS account_id, 'web'::text AS source, e.email, e.identifiers, e.event_id AS seq
  FROM events e WHERE e.account_id = 5203;
CREATE TABLE pg_temp.trickled AS
SELECT e.event_id, e.outcome, e.detail FROM events e WHERE e.account_id = 5203;
UPDATE identifier_kinds SET account_id = 5204 WHERE account_id = 5203;
UPDATE sources SET account_id = 5204 WHERE account_id = 5203;
UPDATE pg_temp.staged SET account_id = 5204;
SET client_min_messages = warning;  -- ingest()'s NOTICE says how fast it went
SELECT ingest('pg_temp.staged', 'seq') AS ingested;
RESET client_min_messages;
SELECT count(*) AS same_outcome_and_detail
  FROM (SELECT row_number() OVER (ORDER BY event_id) AS n, outcome, detail FROM pg_temp.trickled) t
  JOIN (SELECT row_number() OVER (ORDER BY event_id) AS n, outcome, detail FROM events
         WHERE account_id = 5204) b USING (n)
 WHERE t.outcome = b.outcome
   AND regexp_replace(t.detail::text, '"other_profile": [0-9]+', '', 'g')
     = regexp_replace(b.detail::text, '"other_profile": [0-9]+', '', 'g');

------------------------------------------------------------------------------
-- Account 5205: suspect_values finds what glues strangers, and only that
------------------------------------------------------------------------------
-- an app that sends 'N/A-0' when it has no customer id: 6 shoppers glued
INSERT INTO events (account_id, source, external_id, email)
SELECT 5205, 'api', 'N/A-0', 'shopper' || g || '@example.com' FROM generate_series(1, 6) g;
-- not suspect: a real customer who changed her address three times
-- (four addresses, one event each)
INSERT INTO events (account_id, source, external_id, email)
SELECT 5205, 'api', 'C-77', 'liv' || g || '@example.com' FROM generate_series(1, 4) g;
-- not suspect either: a family's shared number given on forms with 5
-- addresses glued no one (each address got a profile of its own, in
-- conflict with the number's); suspect_values lists what glued strangers
INSERT INTO events (account_id, source, email, phone)
SELECT 5205, 'form', 'kid' || g || '@example.com', '(415) 555-0177' FROM generate_series(1, 5) g;
SELECT kind, value, profiles, events, first_seen <= last_seen AS ordered
  FROM suspect_values WHERE account_id = 5205;
-- blocked, it glues no one any more
INSERT INTO blocked_values (kind, value, account_id) VALUES ('external_id', 'N/A-0', 5205);
INSERT INTO events (account_id, source, external_id, email) VALUES (5205, 'api', 'N/A-0', 'shopper7@example.com')
RETURNING outcome, detail -> 0 ->> 'action' AS action, detail -> 0 ->> 'kind' AS kind;

\ir test/sql/check_invariants.sql
