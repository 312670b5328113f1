-- rules_bad_input: what applications really send (DESIGN.md sections 3, 4
-- step 1 and 6): blocked junk never glues strangers, invalid values are said
-- and dropped, empty fields are absent, unknown sources are errors, kinds a
-- source does not accept are ignored, and multi-row INSERT and COPY resolve
-- row by row. Accounts 4401-4409 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- Blocked values never glue strangers (account 4401)
------------------------------------------------------------------------------
-- the default list has the placeholders people type when a form insists
SELECT kind, value FROM blocked_values
 WHERE account_id = 0 AND value IN ('test@test.com', '+10000000000', '+12345678900')
 ORDER BY kind, value;

-- two strangers type test@test.com: each keeps only their own number
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'Test@Test.com', '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', ' test@test.com ', '+1 (646) 555-0101')
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;

-- two strangers type the counting number (234) 567-8900, a valid US number
-- on the default list: each keeps only their own email
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'carla@example.com', '(234) 567-8900')
RETURNING pg_temp.who(profile_id, 'carla') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'checkout', 'dan@example.com', '234.567.8900')
RETURNING pg_temp.who(profile_id, 'dan') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a blocked value alone: nothing usable
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (4401, 'sms_keyword', '+1 234 567 8900', true)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

-- 000-000-0000 is not a valid number, so it is invalid before it can be
-- blocked; where merely possible numbers are accepted, the list blocks it
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'ana.silva@example.com', '+1 000 000 0000')
RETURNING pg_temp.who(profile_id, 'ana_email') AS profile, outcome, pg_temp.show(detail) AS detail;
SET profile_merge.phone_accept = 'possible';
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'ana.silva@example.com', '+1 000 000 0000')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
RESET profile_merge.phone_accept;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4401 ORDER BY profile_id;
SELECT count(*) AS blocked_values_held FROM identifiers
 WHERE account_id = 4401 AND value IN ('test@test.com', '+12345678900', '+10000000000');
SELECT count(*) AS merges FROM merges WHERE account_id = 4401;
SELECT count(*) AS consents FROM consents WHERE account_id = 4401;

-- an admin blocks the bakery's shared order address and shop phone for
-- account 4401, typed as people type them: stored normalized
INSERT INTO events (account_id, source, email)
VALUES (4401, 'form', 'Orders@Bobs-Bakery.example')
RETURNING pg_temp.who(profile_id, 'bakery') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO blocked_values (kind, value, account_id)
VALUES ('email', '  Orders@Bobs-Bakery.EXAMPLE ', 4401), ('phone', '+1 (415) 555-0100', 4401)
RETURNING kind, value, account_id;

-- from now on the address glues nobody, though the profile that had it keeps it
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'orders@bobs-bakery.example', '(415) 555-0101')
RETURNING pg_temp.who(profile_id, 'baker_1') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (4401, 'form', 'orders@bobs-bakery.example', '415-555-0100')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4401 AND profile_id IN (pg_temp.id(4401, 'bakery'), pg_temp.id(4401, 'baker_1'))
 ORDER BY profile_id;

-- the block is the account's own: account 4402 may use the address
INSERT INTO events (account_id, source, email, phone)
VALUES (4402, 'form', 'orders@bobs-bakery.example', '(415) 555-0100')
RETURNING pg_temp.who(profile_id, 'bakery_4402') AS profile, outcome, pg_temp.show(detail) AS detail;

------------------------------------------------------------------------------
-- An event with only invalid identifiers is stored as 'rejected' with
-- 'invalid' detail entries (account 4403)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4403, 'form', 'ana.silva@', '555-0132', true)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;
-- +44 7700 900123 is in Ofcom's range for drama: possible, never valid
INSERT INTO events (account_id, source, phone)
VALUES (4403, 'api', '+44 7700 900123')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
SELECT source, email, phone, profile_id, outcome FROM events
 WHERE account_id = 4403 ORDER BY event_id;
SELECT count(*) AS profiles FROM profiles WHERE account_id = 4403;
SELECT count(*) AS consents FROM consents WHERE account_id = 4403;

-- where possible numbers are accepted, the same number makes a profile
SET profile_merge.phone_accept = 'possible';
INSERT INTO events (account_id, source, phone)
VALUES (4403, 'api', '+44 7700 900123')
RETURNING pg_temp.who(profile_id, 'uk_drama') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
RESET profile_merge.phone_accept;

------------------------------------------------------------------------------
-- A partly valid event keeps the valid part and says what it dropped
-- (account 4404)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4404, 'form', '  Ana.Silva@Example.COM ', '(415) 555-01', true)
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;
INSERT INTO events (account_id, source, email, phone)
VALUES (4404, 'form', 'bob@example', '+1 (646) 555-0101')
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;

-- a London number written nationally needs its region: the event's
-- phone_region (any case), else profile_merge.default_region (US here)
INSERT INTO events (account_id, source, email, phone, phone_region)
VALUES (4404, 'form', 'fay@example.co.uk', '020 7946 0018', 'GB')
RETURNING pg_temp.who(profile_id, 'fay') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
INSERT INTO events (account_id, source, email, phone)
VALUES (4404, 'form', 'gil@example.co.uk', '020 7946 0019')
RETURNING pg_temp.who(profile_id, 'gil') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
INSERT INTO events (account_id, source, email, phone, phone_region)
VALUES (4404, 'form', 'gil@example.co.uk', '020 7946 0019', 'gb')
RETURNING pg_temp.who(profile_id, 'gil') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
INSERT INTO events (account_id, source, email, phone, phone_region)
VALUES (4404, 'form', 'hal@example.com', '(415) 555-0133', 'XX')
RETURNING pg_temp.who(profile_id, 'hal') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4404 ORDER BY profile_id;
SELECT count(*) AS consents FROM consents WHERE account_id = 4404;

------------------------------------------------------------------------------
-- Empty and white-space-only fields count as absent, not invalid
-- (account 4405)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, phone_region)
VALUES (4405, 'form', '', '   ', '')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;
INSERT INTO events (account_id, source, external_id, email, phone)
VALUES (4405, 'api', ' ', E'\t', E' \n ')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- a blank phone_region is absent too: the default region applies
INSERT INTO events (account_id, source, email, phone, phone_region)
VALUES (4405, 'form', ' ', '(415) 555-0132', '  ')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail, phone_e164;
INSERT INTO events (account_id, source, email, phone)
VALUES (4405, 'form', 'ana.silva@example.com', '415 555 0132')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
-- an empty phone does not take hers away
INSERT INTO events (account_id, source, email, phone)
VALUES (4405, 'form', 'ana.silva@example.com', '')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4405 ORDER BY profile_id;

------------------------------------------------------------------------------
-- An unknown source is an ERROR: the caller still holds its data
-- (accounts 4406, 4407)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email)
VALUES (4406, 'webhook', 'ana.silva@example.com');
\set VERBOSITY sqlstate
INSERT INTO events (account_id, source, email)
VALUES (4406, 'webhook', 'ana.silva@example.com');
\set VERBOSITY default
-- one bad row fails the whole statement
INSERT INTO events (account_id, source, email)
VALUES (4406, 'form', 'ana.silva@example.com'), (4406, 'Form', 'bob@example.com');
SELECT count(*) AS events_4406 FROM events WHERE account_id = 4406;
SELECT count(*) AS profiles_4406 FROM profiles WHERE account_id = 4406;
-- a source another account defined is unknown here
INSERT INTO sources VALUES ('webhook', '{email}', false, '{}', '{email}', 4407);
INSERT INTO events (account_id, source, email)
VALUES (4406, 'webhook', 'ana.silva@example.com');
INSERT INTO events (account_id, source, email)
VALUES (4407, 'webhook', 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id, 'ana_4407') AS profile, outcome, pg_temp.show(detail) AS detail;

------------------------------------------------------------------------------
-- A kind the source does not accept is 'ignored' (account 4408)
------------------------------------------------------------------------------
-- an SMS keyword takes the number only
INSERT INTO events (account_id, source, external_id, email, phone)
VALUES (4408, 'sms_keyword', 'CUST-1001', 'Ana.Silva@Example.com', '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'ana_sms') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a form takes no external_id
INSERT INTO events (account_id, source, external_id, email)
VALUES (4408, 'form', 'CUST-1001', 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a checkout takes no profile_hint
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (4408, 'checkout', pg_temp.id(4408, 'ana_sms'), 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- a value that is not accepted is ignored whatever it is (invalid, blocked)
INSERT INTO events (account_id, source, email, phone)
VALUES (4408, 'sms_keyword', 'not an address', '415.555.0132')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- nothing accepted: rejected
INSERT INTO events (account_id, source, email)
VALUES (4408, 'click_to_text', 'test@test.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone FROM profiles
 WHERE account_id = 4408 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Several events in one statement are resolved row by row, later rows
-- seeing the profiles earlier rows made (account 4409)
------------------------------------------------------------------------------
-- Kim texts a keyword, signs up by email, then a form connects both: all in
-- one INSERT. The three rows share one transaction (one created_at), so the
-- smaller profile id, the first made, is the older and survives.
INSERT INTO events (account_id, source, email, phone, sms_consent) VALUES
    (4409, 'sms_keyword', NULL, '(503) 555-0172', true),
    (4409, 'form', 'Kim@Example.com', NULL, NULL),
    (4409, 'form', 'kim@example.com', '503.555.0172', NULL)
RETURNING pg_temp.who(profile_id, CASE WHEN email IS NULL THEN 'kim_sms' ELSE 'kim_email' END) AS profile,
          outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4409 ORDER BY profile_id;

-- COPY of an export: Lee, written four ways
COPY events (account_id, source, email, phone, phone_region, sms_consent) FROM stdin WITH (FORMAT csv);
4409,form,lee@example.com,,,
4409,form,LEE@example.com,020 7946 0018,GB,true
4409,sms_keyword,,+44 20 7946 0018,,true
4409,import, lee@example.com ,0044 20 7946 0018,gb,
\.
SELECT source, email AS email_typed, phone AS phone_typed,
       pg_temp.who(profile_id, 'lee') AS profile, outcome, pg_temp.show(detail) AS detail
  FROM events WHERE account_id = 4409 AND (email ILIKE '%lee%' OR phone LIKE '%7946%')
 ORDER BY event_id;
SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4409 AND profile_id = pg_temp.id(4409, 'lee');
SELECT channel, value, status, source, pg_temp.who(profile_id) AS profile FROM consents
 WHERE account_id = 4409 ORDER BY consent_id;

-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the repository root), not against sql/
\ir test/sql/check_invariants.sql
