-- rules_behaviours: the nine numbered behaviours of DESIGN.md section 4, one
-- block each, in the seed's stories (Ana, Bob, Carla) with raw values as
-- people type them. Accounts 4101-4112 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- Behaviour 1: an email subscriber who later gives a phone number gets it on
-- the same profile; no duplicate. (account 4101)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, email_consent, properties)
VALUES (4101, 'form', '  Ana.Silva@Example.COM ', true, '{"first_name": "Ana"}')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;

-- weeks later she gives her number on another form, typed her way
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4101, 'form', 'ana.silva@example.com', '(415) 555-0132', true)
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail,
          email_normalized, phone_e164;

SELECT pg_temp.who(profile_id) AS profile, email, phone, external_id, properties, merged_into
  FROM profiles WHERE account_id = 4101 ORDER BY profile_id;
SELECT kind, value, pg_temp.who(profile_id) AS profile, source, detached_at IS NOT NULL AS detached
  FROM identifiers WHERE account_id = 4101 ORDER BY identifier_id;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4101 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Behaviour 2: a phone-only profile and an email-only profile are merged by
-- an event that connects the email and the number.
------------------------------------------------------------------------------
-- 2a, a form with both (account 4102). Carla texts a keyword from a banner
-- first, then signs up by email: two profiles.
INSERT INTO events (account_id, source, phone, properties)
VALUES (4102, 'click_to_text', '312-555-0147', '{"keyword": "JOIN"}')
RETURNING pg_temp.who(profile_id, 'carla_phone') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4102, 'form', 'Carla@Example.com', '{"first_name": "Carla"}')
RETURNING pg_temp.who(profile_id, 'carla_email') AS profile, outcome, pg_temp.show(detail) AS detail;

-- a form with both connects them: merged, the older (phone) profile survives
INSERT INTO events (account_id, source, email, phone, properties)
VALUES (4102, 'form', ' carla@example.com', '(312) 555-0147', '{"city": "Chicago"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, properties, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4102 ORDER BY profile_id;
SELECT pg_temp.who(survivor_id) AS survivor, pg_temp.who(merged_id) AS merged,
       event_id = (SELECT max(event_id) FROM events WHERE account_id = 4102) AS by_last_event,
       reason, unmerged_at IS NULL AS in_force
  FROM merges WHERE account_id = 4102 ORDER BY merge_id;

-- 2b, an api event whose profile_hint is the phone-only profile (account
-- 4112): the app knows the visitor's profile from a cookie set by an SMS link.
INSERT INTO events (account_id, source, phone)
VALUES (4112, 'sms_keyword', '+1 415 555 0177')
RETURNING pg_temp.who(profile_id, 'eli_phone') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email)
VALUES (4112, 'form', 'Eli.Park@Example.org')
RETURNING pg_temp.who(profile_id, 'eli_email') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (4112, 'api', pg_temp.id(4112, 'eli_phone'), 'eli.park@example.org ')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4112 ORDER BY profile_id;
SELECT count(*) AS active_profiles FROM profiles WHERE account_id = 4112 AND merged_into IS NULL;

------------------------------------------------------------------------------
-- Behaviour 3: an SMS-only account identifies profiles by phone alone
-- (account 4103 overrides account 0's 'api' row; more in rules_accounts).
------------------------------------------------------------------------------
INSERT INTO sources VALUES ('api', '{phone}', false, '{}', '{phone}', 4103);
SELECT source, identify_by, merges, may_override, accepts FROM sources
 WHERE source = 'api' AND account_id IN (0, 4103) ORDER BY account_id;

-- Ana texts from her phone; the app sends the email it has on file too
INSERT INTO events (account_id, source, email, phone)
VALUES (4103, 'api', 'ana.silva@example.com', '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'ana_4103') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same number, typed differently: the same profile
INSERT INTO events (account_id, source, phone)
VALUES (4103, 'api', '415.555.0132')
RETURNING pg_temp.who(profile_id, 'ana_4103') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same email with another number: another person as far as this account knows
INSERT INTO events (account_id, source, email, phone)
VALUES (4103, 'api', 'ana.silva@example.com', '(415) 555-0133')
RETURNING pg_temp.who(profile_id, 'other_4103') AS profile, outcome, pg_temp.show(detail) AS detail;
-- an email alone identifies nobody here
INSERT INTO events (account_id, source, email)
VALUES (4103, 'api', 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4103 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Behaviour 4: an SMS opt-in with a new number and no email creates a new
-- phone-only profile, even if that person is an email subscriber. (account 4104)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, email_consent, properties)
VALUES (4104, 'form', '  Ana.Silva@Example.COM ', true, '{"first_name": "Ana"}')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
-- she texts a keyword from her phone
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (4104, 'sms_keyword', '(415) 555-0132', true)
RETURNING pg_temp.who(profile_id, 'ana_sms') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, properties FROM profiles
 WHERE account_id = 4104 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Behaviour 5: then a checkout with the existing email and the same number,
-- SMS consent given, does not merge the two: outcome conflict, two active
-- profiles, and the number's consent is recorded for the number. (account 4104)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4104, 'checkout', 'ANA.SILVA@example.com', '415 555 0132', true)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, merged_into FROM profiles
 WHERE account_id = 4104 ORDER BY profile_id;
SELECT count(*) AS merges FROM merges WHERE account_id = 4104;
-- both opt-ins are in the ledger, each for +14155550132, tied to its holder
SELECT channel, value, status, source, method, pg_temp.who(profile_id) AS profile,
       event_id IS NOT NULL AS from_event
  FROM consents WHERE account_id = 4104 ORDER BY consent_id;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4104 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Behaviour 6: a subscribed customer who checks out with a different number:
-- the new number replaces the old on the profile; the old number is
-- detached. (account 4106)
------------------------------------------------------------------------------
-- Bob subscribes by SMS through a form
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4106, 'form', 'bob@example.com', '+1 (646) 555-0101', true)
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
-- he checks out with his new number, no SMS consent on the checkout page
INSERT INTO events (account_id, source, email, phone)
VALUES (4106, 'checkout', 'Bob@Example.com', '646-555-0199')
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4106 ORDER BY profile_id;
SELECT kind, value, pg_temp.who(profile_id) AS profile, source,
       detached_at IS NOT NULL AS detached, detach_reason,
       detached_by_event = (SELECT max(event_id) FROM events WHERE account_id = 4106) AS by_checkout
  FROM identifiers WHERE account_id = 4106 ORDER BY identifier_id;

------------------------------------------------------------------------------
-- Behaviour 7: with no consent for the new number, the profile's sms_status
-- is no longer 'subscribed', while the ledger still shows the old number's
-- consent; consent must be regained for the new number. (account 4106)
------------------------------------------------------------------------------
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4106 ORDER BY profile_id;
SELECT channel, value, status, source, pg_temp.who(profile_id) AS profile
  FROM consents WHERE account_id = 4106 ORDER BY consent_id;

-- he opts in again with the new number: subscribed
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (4106, 'sms_keyword', '(646) 555-0199', true)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, phone, sms_status
  FROM profile_consent WHERE account_id = 4106 ORDER BY profile_id;
SELECT channel, value, status, source, pg_temp.who(profile_id) AS profile
  FROM consents WHERE account_id = 4106 ORDER BY consent_id;

------------------------------------------------------------------------------
-- Behaviour 8: a number added by an SMS keyword or a click-to-text banner
-- makes its own profile when the number is new, and never merges with an
-- email profile. (account 4108)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4108, 'form', 'carla@example.com', true)
RETURNING pg_temp.who(profile_id, 'carla') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the click-to-text banner: a new number, its own profile
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (4108, 'click_to_text', '312-555-0147', true)
RETURNING pg_temp.who(profile_id, 'carla_ctt') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a keyword from another new number, even though the app also sends Carla's
-- email: the email is not accepted, so nothing can glue the two
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4108, 'sms_keyword', 'carla@example.com', '(312) 555-0148', true)
RETURNING pg_temp.who(profile_id, 'carla_kw') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a keyword from a number already known: that number's profile, nothing new
INSERT INTO events (account_id, source, email, phone)
VALUES (4108, 'sms_keyword', 'carla@example.com', '+1 312 555 0147')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, merged_into FROM profiles
 WHERE account_id = 4108 ORDER BY profile_id;
SELECT count(*) AS merges FROM merges WHERE account_id = 4108;

------------------------------------------------------------------------------
-- Behaviour 9: an SMS subscribe link from a campaign makes a new profile even
-- when the event carries the clicking profile as its hint. (account 4109)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4109, 'form', '  Ana.Silva@Example.COM ', true)
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;
-- she clicks the link in the campaign email: the app passes her profile as hint
INSERT INTO events (account_id, source, profile_hint, phone, sms_consent)
VALUES (4109, 'sms_subscribe_link', pg_temp.id(4109, 'ana'), '(415) 555-0132', true)
RETURNING pg_temp.who(profile_id, 'ana_link') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone, merged_into FROM profiles
 WHERE account_id = 4109 ORDER BY profile_id;
SELECT pg_temp.who(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 4109 ORDER BY profile_id;

------------------------------------------------------------------------------
-- The suite's events, in order: every one stored with its outcome
------------------------------------------------------------------------------
SELECT account_id, source, coalesce(email, '') AS email_typed, coalesce(phone, '') AS phone_typed,
       pg_temp.who(profile_id) AS profile, outcome
  FROM events WHERE account_id BETWEEN 4101 AND 4112 ORDER BY event_id;

-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the repository root), not against sql/
\ir test/sql/check_invariants.sql
