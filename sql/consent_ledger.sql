-- consent_ledger: consent belongs to the identifier and is an append-only
-- ledger (DESIGN.md section 3, consents and profile_consent; section 4 step
-- 5): rows an application inserts directly, rows events write, and flags
-- that cannot be recorded. Accounts 4501-4509 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- An SMS STOP reply inserted directly changes profile_consent.sms_status;
-- the value is normalized (account 4501)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent, email_consent)
VALUES (4501, 'form', '  Ana.Silva@Example.COM ', '(415) 555-0132', true, true)
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4501;

-- she replies STOP; the SMS gateway writes the number as it received it
INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
VALUES (4501, 'sms', '(415) 555-0132', 'unsubscribed', 'sms_keyword', 'sms_reply')
RETURNING channel, value, status, source, method, pg_temp.who(profile_id) AS profile, event_id;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4501;

-- a double opt-in confirmation for her address, typed as she typed it
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4501, 'email', ' ANA.Silva@example.com ', 'subscribed', 'form', 'double_opt_in')
RETURNING channel, value, status, source, method, pg_temp.who(profile_id) AS profile, event_id;

-- she texts START from the number written internationally: the latest row
-- (highest consent_id) is the status
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4501, 'sms', '+1 415-555-0132', 'subscribed', 'sms_keyword', 'sms_reply')
RETURNING channel, value, status, pg_temp.who(profile_id) AS profile;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4501;

SELECT channel, value, status, source, method, pg_temp.who(profile_id) AS profile,
       event_id IS NOT NULL AS from_event
  FROM consents WHERE account_id = 4501 ORDER BY consent_id;
-- the direct rows changed no profile and made no event
SELECT count(*) AS profiles FROM profiles WHERE account_id = 4501;
SELECT count(*) AS events FROM events WHERE account_id = 4501;

------------------------------------------------------------------------------
-- An invalid consent value is an ERROR 22023; nothing is appended
-- (account 4502)
------------------------------------------------------------------------------
-- the gateway files the reply's text where the number belongs
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4502, 'sms', 'STOP', 'unsubscribed', 'sms_keyword', 'sms_reply');
\set VERBOSITY sqlstate
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4502, 'sms', 'STOP', 'unsubscribed', 'sms_keyword', 'sms_reply');
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4502, 'sms', '555-0132', 'unsubscribed', 'sms_keyword', 'sms_reply');
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4502, 'email', '   ', 'subscribed', 'form', 'double_opt_in');
-- a consent from an unknown source is refused the same way
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4502, 'sms', '(415) 555-0132', 'subscribed', 'webhook', 'sms_reply');
\set VERBOSITY default

-- the application can catch it by its SQLSTATE and keep its data
DO $$
BEGIN
    INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
    VALUES (4502, 'email', 'ana.silva@', 'subscribed', 'form', 'double_opt_in');
    RAISE NOTICE 'not reached';
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'caught SQLSTATE %', SQLSTATE;
END $$;

SELECT count(*) AS consents FROM consents WHERE account_id = 4502;
SELECT count(*) AS profiles FROM profiles WHERE account_id = 4502;

------------------------------------------------------------------------------
-- A direct consent for a value nobody holds creates a profile by the
-- source's rules (accounts 4503, 4504)
------------------------------------------------------------------------------
-- Carla texts JOIN from a number the account has never seen
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4503, 'sms', '312-555-0147', 'subscribed', 'sms_keyword', 'sms_reply')
RETURNING channel, value, status, pg_temp.who(profile_id, 'carla_sms') AS profile;
SELECT pg_temp.who(profile_id) AS profile, email, phone, external_id FROM profiles
 WHERE account_id = 4503 ORDER BY profile_id;
SELECT kind, value, pg_temp.who(profile_id) AS profile, source, detached_at IS NOT NULL AS detached
  FROM identifiers WHERE account_id = 4503 ORDER BY identifier_id;
SELECT pg_temp.who(profile_id) AS profile, phone, sms_status FROM profile_consent
 WHERE account_id = 4503 ORDER BY profile_id;
-- the same number again: the same profile, one more row
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4503, 'sms', '(312) 555-0147', 'subscribed', 'sms_keyword', 'sms_reply')
RETURNING channel, value, status, pg_temp.who(profile_id, 'carla_sms') AS profile;

-- a double opt-in for an address nobody holds, from a form: an email profile
-- of its own (nothing connects it to the number)
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4503, 'email', 'Carla@Example.com', 'subscribed', 'form', 'double_opt_in')
RETURNING channel, value, status, pg_temp.who(profile_id, 'carla_email') AS profile;

-- a source that does not accept the kind creates nothing; the row is kept,
-- held by nobody, and the address's status shows once a profile holds it
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4503, 'email', 'Dan@Example.com', 'subscribed', 'sms_keyword', 'sms_reply')
RETURNING channel, value, status, pg_temp.who(profile_id) AS profile;
INSERT INTO events (account_id, source, email)
VALUES (4503, 'form', 'dan@example.com')
RETURNING pg_temp.who(profile_id, 'dan') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4503 ORDER BY profile_id;
SELECT count(*) AS merges FROM merges WHERE account_id = 4503;

-- the same number in another account is another account's business
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4504, 'sms', '312-555-0147', 'unsubscribed', 'sms_keyword', 'sms_reply')
RETURNING account_id, channel, value, status, pg_temp.who(profile_id, 'carla_sms_4504') AS profile;
SELECT account_id, pg_temp.who(profile_id) AS profile, phone, sms_status FROM profile_consent
 WHERE account_id IN (4503, 4504) AND phone IS NOT NULL ORDER BY account_id, profile_id;

------------------------------------------------------------------------------
-- Every consent flag appends a row, even when the status does not change;
-- consent does not change an event's outcome (account 4505)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4505, 'form', 'bob@example.com', '+1 (646) 555-0101', true)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4505, 'checkout', 'Bob@Example.com', '646-555-0101', true)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (4505, 'sms_keyword', '(646) 555-0101', true)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (4505, 'sms', '6465550101', 'subscribed', 'click_to_text', 'banner')
RETURNING channel, value, status, pg_temp.who(profile_id, 'bob') AS profile;
-- email consent given, then withdrawn, through events
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4505, 'form', 'bob@example.com', true)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4505, 'form', 'bob@example.com', false)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT channel, value, status, source, method, pg_temp.who(profile_id) AS profile,
       event_id IS NOT NULL AS from_event
  FROM consents WHERE account_id = 4505 ORDER BY consent_id;
-- rows made by events carry their event
SELECT count(*) AS event_rows_pointing_at_their_event
  FROM consents c JOIN events e USING (account_id, event_id)
 WHERE c.account_id = 4505 AND c.source = e.source AND c.profile_id = e.profile_id;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4505;

------------------------------------------------------------------------------
-- A consent flag without a usable identifier of its channel records nothing
-- and says so in detail ('ignored') (account 4506)
------------------------------------------------------------------------------
-- no phone at all
INSERT INTO events (account_id, source, email, sms_consent)
VALUES (4506, 'form', 'carla@example.com', true)
RETURNING pg_temp.who(profile_id, 'carla') AS profile, outcome, pg_temp.show(detail) AS detail;
-- an invalid phone
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4506, 'form', 'carla@example.com', '555-01', true)
RETURNING pg_temp.who(profile_id, 'carla') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a blocked phone
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4506, 'form', 'carla@example.com', '(234) 567-8900', true)
RETURNING pg_temp.who(profile_id, 'carla') AS profile, outcome, pg_temp.show(detail) AS detail;
-- an email the source does not accept
INSERT INTO events (account_id, source, email, phone, email_consent)
VALUES (4506, 'sms_keyword', 'carla@example.com', '312-555-0147', true)
RETURNING pg_temp.who(profile_id, 'carla_sms') AS profile, outcome, pg_temp.show(detail) AS detail;
-- blank fields: nothing usable at all
INSERT INTO events (account_id, source, email, phone, sms_consent, email_consent)
VALUES (4506, 'form', ' ', '', false, false)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT count(*) AS consents FROM consents WHERE account_id = 4506;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4506 ORDER BY profile_id;

-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the repository root), not against sql/
\ir test/sql/check_invariants.sql
