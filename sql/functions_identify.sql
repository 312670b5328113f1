-- identify(): inserts an event through the same trigger as a plain INSERT
-- and says what happened (DESIGN.md section 5). Account 500, 501.
-- Ids come from sequences other suites share: they are printed relatively
-- (through \gset variables and booleans), never raw.
SET search_path = profile_merge, public;
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

-- pg_temp.try(statement): 'ok', or the SQLSTATE and message it raised
\ir test/sql/try.sql

-- The signature: every argument named and defaulted, a table of three columns.
-- (one argument a line)
SELECT replace(pg_get_function_arguments('identify'::regproc), ', ', E',\n') AS arguments,
       pg_get_function_result('identify'::regproc) AS result;

------------------------------------------------------------------------------
-- Named arguments, the rest defaulted
------------------------------------------------------------------------------
SELECT event_id AS e1, profile_id AS p1, outcome
  FROM identify(account_id => 500, source => 'form', email => '  Ann.Lee@Example.ORG ',
                properties => '{"plan": "free"}', email_consent => true) \gset
\echo :outcome
-- the event row is stored, by the trigger, with what identify returned
SELECT e.account_id, e.source, e.email, e.email_normalized, e.phone_e164,
       e.profile_id = :p1 AS same_profile, e.outcome, e.outcome = :'outcome' AS same_outcome,
       e.properties, e.detail
  FROM events e WHERE e.account_id = 500 AND e.event_id = :e1;
-- and did what the trigger does: a profile, its identifier, the consent
SELECT email, phone, external_id, properties, merged_into FROM profiles
 WHERE account_id = 500 AND profile_id = :p1;
SELECT kind, value, source, event_id = :e1 AS by_e1, detached_at IS NULL AS attached
  FROM identifiers WHERE account_id = 500 AND profile_id = :p1;
SELECT channel, value, status, source, method, event_id = :e1 AS by_e1, profile_id = :p1 AS on_p1
  FROM consents WHERE account_id = 500;

-- Only account_id and phone: source defaults to 'api', properties to '{}';
-- phone_region is honoured (case-insensitive)
SELECT event_id AS e2, profile_id AS p2, outcome
  FROM identify(account_id => 500, phone => '020 7946 0018', phone_region => 'gb') \gset
\echo :outcome
SELECT source, phone, phone_region, phone_e164, properties, sms_consent, email_consent, profile_hint,
       profile_id = :p2 AS same_profile, outcome, detail
  FROM events WHERE account_id = 500 AND event_id = :e2;
SELECT :p2 > :p1 AS new_profile, :e2 > :e1 AS later_event;

------------------------------------------------------------------------------
-- Positional arguments, and SELECT * FROM identify(...) (the documented way)
------------------------------------------------------------------------------
SELECT event_id > :e2 AS later_event, profile_id = :p1 AS ann, outcome
  FROM identify(500, 'api', 'ann.lee@example.org', '+1 415 555 0132', 'A-1', '{"vip": true}',
                true, NULL, NULL, NULL);
SELECT email, phone, external_id, properties FROM profiles WHERE account_id = 500 AND profile_id = :p1;
-- the SMS consent went to the number (consent belongs to the identifier)
SELECT email, email_status, phone, sms_status FROM profile_consent
 WHERE account_id = 500 AND profile_id = :p1;

-- A profile hint alone, and a hint with nothing new: matched
SELECT profile_id = :p1 AS ann, outcome FROM identify(500, profile_hint => :p1);
-- the hint of a tombstone is not tested here (functions_merge); an unknown
-- hint is ignored and the event rejected, but still stored
SELECT event_id AS e3, profile_id IS NULL AS no_profile, outcome
  FROM identify(500, profile_hint => -1) \gset
\echo :no_profile :outcome
SELECT outcome, profile_id, detail FROM events WHERE account_id = 500 AND event_id = :e3;

-- Properties merged into the profile, the event's keys winning
SELECT profile_id = :p1 AS ann, outcome
  FROM identify(500, email => 'ANN.LEE@example.org', properties => '{"plan": "pro", "city": "Lyon"}');
SELECT properties FROM profiles WHERE account_id = 500 AND profile_id = :p1;
-- NULL properties mean none (identify passes '{}'), and nothing changes
SELECT profile_id = :p1 AS ann, outcome FROM identify(500, email => 'ann.lee@example.org', properties => NULL);

------------------------------------------------------------------------------
-- The same event inserted directly and through identify() ends the same way
------------------------------------------------------------------------------
-- (accounts 501 and 502 are empty: the same values in each)
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (501, 'checkout', 'bo@example.net', '(212) 555-0187', true)
RETURNING profile_id AS p3, outcome, detail \gset
\echo :outcome
SELECT event_id AS e6, profile_id AS p4, outcome
  FROM identify(502, 'checkout', email => 'bo@example.net', phone => '(212) 555-0187',
                sms_consent => true) \gset
\echo :outcome
-- (a query that calls identify() cannot see the row it inserts: read it after)
SELECT profile_id = :p4 AS same_profile, outcome, detail::text = :'detail' AS same_detail
  FROM events WHERE account_id = 502 AND event_id = :e6;
SELECT account_id, email, phone, properties FROM profiles
 WHERE (account_id, profile_id) IN ((501, :p3), (502, :p4)) ORDER BY account_id;
SELECT account_id, channel, value, status, source, method FROM consents
 WHERE account_id IN (501, 502) ORDER BY account_id;
-- identify() again in 501 finds the profile the INSERT made
SELECT profile_id = :p3 AS bo, outcome
  FROM identify(501, 'checkout', email => 'bo@example.net', phone => '(212) 555-0187');
-- a second number at checkout overrides the phone (checkout may_override phone)
SELECT profile_id = :p3 AS bo, outcome
  FROM identify(501, 'checkout', email => 'bo@example.net', phone => '(212) 555-0199');
SELECT kind, value, detached_at IS NULL AS attached, detach_reason
  FROM identifiers WHERE account_id = 501 ORDER BY identifier_id;

------------------------------------------------------------------------------
-- Rejected events are stored with their detail; nothing else changes
------------------------------------------------------------------------------
SELECT count(*) AS profiles_before FROM profiles WHERE account_id = 500 \gset
SELECT event_id AS e4, profile_id IS NULL AS no_profile, outcome
  FROM identify(500, email => 'not an email', phone => '12') \gset
\echo :no_profile :outcome
SELECT email, phone, email_normalized, phone_e164, outcome,
       (SELECT string_agg(e::text, E'\n' ORDER BY n)
          FROM jsonb_array_elements(detail) WITH ORDINALITY AS t(e, n)) AS detail  -- an element a line
  FROM events WHERE account_id = 500 AND event_id = :e4;
-- blank fields count as absent
SELECT profile_id IS NULL AS no_profile, outcome FROM identify(500, 'form', email => '', phone => '  ');
-- a kind the source does not accept
SELECT event_id AS e5, outcome FROM identify(500, 'sms_keyword', email => 'ann.lee@example.org') \gset
SELECT detail FROM events WHERE account_id = 500 AND event_id = :e5;
SELECT count(*) = :profiles_before AS no_new_profile FROM profiles WHERE account_id = 500;

------------------------------------------------------------------------------
-- Errors
------------------------------------------------------------------------------
-- unknown source: 22023, and no event is stored
SELECT count(*) AS events_before FROM events WHERE account_id = 500 \gset
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(500, 'newsletter', email => 'x@example.com')$$);
-- an account's own source is not another account's
INSERT INTO sources VALUES ('kiosk', '{phone}', false, '{}', '{phone}', 501);
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(500, 'kiosk', phone => '+1 212 555 0123')$$);
SELECT outcome FROM identify(501, 'kiosk', phone => '+1 212 555 0123');
SELECT count(*) = :events_before AS no_event_stored FROM events WHERE account_id = 500;
-- a NULL source is 23502, as for a plain INSERT (since 0.4.0)
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(500, NULL, email => 'cy@example.com')$$);
-- account_id must not be null
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(NULL::bigint, email => 'x@example.com')$$);

-- Works with any search_path (the function pins its own)
SET search_path = public;
SELECT profile_id = :p1 AS ann, outcome
  FROM profile_merge.identify(500, email => 'ann.lee@example.org');
SET search_path = profile_merge, public;

DELETE FROM sources WHERE account_id = 501;

-- The shared invariants (every count must be 0). pg_regress feeds this file
-- to psql on stdin, so \ir resolves against the working directory (the top
-- of the source tree). Their text is not echoed, only their results, so that
-- rewording them does not change this suite's expected output.
\set ECHO none
\ir test/sql/check_invariants.sql
\set ECHO all
