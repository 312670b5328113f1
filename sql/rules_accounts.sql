-- rules_accounts: an account is a tenant (DESIGN.md sections 3 and 4):
-- nothing is matched or merged across accounts, a sources row of the event's
-- own account overrides account 0's, and a profile_hint naming another
-- account's profile is ignored and said so. Accounts 4201-4209 belong to
-- this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- The same person in two accounts is two profiles (accounts 4201, 4202)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4201, 'form', '  Ana.Silva@Example.COM ', '(415) 555-0132', true)
RETURNING pg_temp.who(profile_id, 'ana_4201') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same email in another account: not matched, a new profile there
INSERT INTO events (account_id, source, email)
VALUES (4202, 'form', 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id, 'ana_4202') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same number in the other account: nobody holds it there
INSERT INTO events (account_id, source, phone)
VALUES (4202, 'sms_keyword', '+1 415-555-0132')
RETURNING pg_temp.who(profile_id, 'ana_sms_4202') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a form with both merges the two profiles of account 4202 only
INSERT INTO events (account_id, source, email, phone)
VALUES (4202, 'form', 'Ana.Silva@example.com', '415.555.0132')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT account_id, pg_temp.who(profile_id) AS profile, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id IN (4201, 4202) ORDER BY account_id, profile_id;
SELECT account_id, kind, value, pg_temp.who(profile_id) AS profile, detached_at IS NOT NULL AS detached
  FROM identifiers WHERE account_id IN (4201, 4202) ORDER BY account_id, identifier_id;
SELECT account_id, pg_temp.who(survivor_id) AS survivor, pg_temp.who(merged_id) AS merged
  FROM merges WHERE account_id IN (4201, 4202) ORDER BY merge_id;
-- consent is per account too: only account 4201 was told "subscribed"
SELECT account_id, pg_temp.who(profile_id) AS profile, email_status, phone, sms_status
  FROM profile_consent WHERE account_id IN (4201, 4202) ORDER BY account_id, profile_id;

------------------------------------------------------------------------------
-- Behaviour 3: an SMS-only account's own 'api' row overrides account 0's and
-- identifies by phone alone (account 4203)
------------------------------------------------------------------------------
-- before the account has a row of its own, its 'api' events follow account 0
INSERT INTO events (account_id, source, email, phone)
VALUES (4203, 'api', 'ana.silva@example.com', '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'ana') AS profile, outcome, pg_temp.show(detail) AS detail;

-- the account becomes SMS-only (a positional INSERT of the first five columns
-- and the account)
INSERT INTO sources VALUES ('api', '{phone}', false, '{}', '{phone}', 4203);
SELECT account_id, source, identify_by, merges, may_override, accepts FROM sources
 WHERE source = 'api' AND account_id IN (0, 4203) ORDER BY account_id;

-- Ana's email with a new number: under account 0's 'api' the number would
-- replace hers; here the number is all that identifies, so it is someone new
INSERT INTO events (account_id, source, email, phone)
VALUES (4203, 'api', 'ana.silva@example.com', '(415) 555-0199')
RETURNING pg_temp.who(profile_id, 'new_number') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the hint is not accepted either: her number still finds her
INSERT INTO events (account_id, source, profile_hint, phone)
VALUES (4203, 'api', pg_temp.id(4203, 'new_number'), '415 555 0132')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- sources the account did not override still come from account 0: a form
-- identifies by email
INSERT INTO events (account_id, source, email, phone)
VALUES (4203, 'form', 'ANA.SILVA@EXAMPLE.COM', '(415) 555-0132')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4203 ORDER BY profile_id;

-- another account's 'api' still follows account 0: the number replaces hers
INSERT INTO events (account_id, source, email, phone)
VALUES (4201, 'api', 'ana.silva@example.com', '(415) 555-0199')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

-- the account's row removed, account 0's applies again: an email identifies
DELETE FROM sources WHERE account_id = 4203 AND source = 'api';
INSERT INTO events (account_id, source, email)
VALUES (4203, 'api', 'ana.silva@example.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

------------------------------------------------------------------------------
-- An SMS-only account that keeps emails without identifying by them (account
-- 4204): identify_by {phone}, accepts {phone,email}. Section 4 step 3 picks
-- the subject by identify_by only, so an email never chooses the profile.
------------------------------------------------------------------------------
INSERT INTO sources VALUES ('api', '{phone}', false, '{}', '{phone,email}', 4204);

-- Bob texts in; the app sends his email too, which is stored on his profile
INSERT INTO events (account_id, source, email, phone)
VALUES (4204, 'api', 'bob@example.com', '+1 (646) 555-0101')
RETURNING pg_temp.who(profile_id, 'bob') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same email from another number: another profile, which may not take
-- the email from Bob
INSERT INTO events (account_id, source, email, phone)
VALUES (4204, 'api', 'Bob@Example.com', '646-555-0199')
RETURNING pg_temp.who(profile_id, 'bob_other_phone') AS profile, outcome, pg_temp.show(detail) AS detail;

-- Ana signed up by email through a form (account 0's form)
INSERT INTO events (account_id, source, email)
VALUES (4204, 'form', '  Ana.Silva@Example.COM ')
RETURNING pg_temp.who(profile_id, 'ana_email') AS profile, outcome, pg_temp.show(detail) AS detail;
-- then someone texts from a new number and the app sends Ana's email: the
-- number identifies nobody, and the email may not choose the profile
-- (identify_by is {phone}), so this is a new phone profile; whether the
-- email then stands as a conflict is left open here
INSERT INTO events (account_id, source, email, phone)
VALUES (4204, 'api', 'ana.silva@example.com', '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'new_sms') AS profile, outcome IN ('created', 'conflict') AS new_profile_outcome;

SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 4204 ORDER BY profile_id;

------------------------------------------------------------------------------
-- A profile_hint naming another account's profile is ignored and said so
-- (account 4205; the hints name account 4201's and 4202's profiles)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, profile_hint, email, properties)
VALUES (4205, 'api', pg_temp.id(4201, 'ana_4201'), 'ana.silva@example.com', '{"plan": "gold"}')
RETURNING pg_temp.who(profile_id, 'ana_4205') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a hint alone that names another account's profile: nothing usable
INSERT INTO events (account_id, source, profile_hint, properties)
VALUES (4205, 'api', pg_temp.id(4201, 'ana_4201'), '{"plan": "platinum"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- another account's tombstone is not followed either
INSERT INTO events (account_id, source, profile_hint, phone)
VALUES (4205, 'api', pg_temp.id(4202, 'ana_4202'), '(415) 555-0132')
RETURNING pg_temp.who(profile_id, 'ana_sms_4205') AS profile, outcome, pg_temp.show(detail) AS detail;

-- account 4201's profile is untouched: no property, no new identifier
SELECT account_id, pg_temp.who(profile_id) AS profile, email, phone, properties
  FROM profiles WHERE account_id IN (4201, 4205) ORDER BY account_id, profile_id;
SELECT count(*) AS merges_4205 FROM merges WHERE account_id = 4205;

------------------------------------------------------------------------------
-- Nothing this suite did crossed an account
------------------------------------------------------------------------------
SELECT count(*) AS identifiers_on_other_accounts_profiles
  FROM identifiers i
 WHERE i.account_id BETWEEN 4201 AND 4209
   AND NOT EXISTS (SELECT FROM profiles p WHERE p.account_id = i.account_id AND p.profile_id = i.profile_id);
SELECT count(*) AS consents_on_other_accounts_profiles
  FROM consents c
 WHERE c.account_id BETWEEN 4201 AND 4209 AND c.profile_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM profiles p WHERE p.account_id = c.account_id AND p.profile_id = c.profile_id);

-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the repository root), not against sql/
\ir test/sql/check_invariants.sql
