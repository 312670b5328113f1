-- rules_merging: when profiles merge and when they may not (DESIGN.md
-- section 4, step 4): incompatible profiles never merge, the older profile
-- survives, the tombstone keeps merged_into and no identifiers, identifiers
-- move with their history, a merges row records it, hints follow tombstones,
-- and properties combine as specified. Accounts 4301-4309 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- Incompatible profiles never merge: conflict, and each keeps its values
-- (account 4301)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone)
VALUES (4301, 'form', 'dan@example.com', '(212) 555-0143')
RETURNING pg_temp.who(profile_id, 'dan') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (4301, 'form', 'Daniel@Work.Example', '(212) 555-0144')
RETURNING pg_temp.who(profile_id, 'daniel_work') AS profile, outcome, pg_temp.show(detail) AS detail;

-- a form (which merges) ties Dan's email to the work number: two emails and
-- two numbers between them, so they are not the same person
INSERT INTO events (account_id, source, email, phone)
VALUES (4301, 'form', 'dan@example.com', '212.555.0144')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- the same through an api event with Dan's profile as hint
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (4301, 'api', pg_temp.id(4301, 'dan'), 'daniel@work.example')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

-- different external ids make profiles incompatible even for a source that
-- does not accept external ids
INSERT INTO events (account_id, source, external_id, email)
VALUES (4301, 'import', 'CUST-1001', 'frank@example.com')
RETURNING pg_temp.who(profile_id, 'frank') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, external_id, phone)
VALUES (4301, 'import', 'CUST-2002', '(718) 555-0110')
RETURNING pg_temp.who(profile_id, 'frank_store') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (4301, 'form', 'frank@example.com', '718-555-0110')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, merged_into
  FROM profiles WHERE account_id = 4301 ORDER BY profile_id;
SELECT count(*) AS merges FROM merges WHERE account_id = 4301;

------------------------------------------------------------------------------
-- The older profile survives, whichever side the event's subject is on
-- (account 4302)
------------------------------------------------------------------------------
-- (a) the subject is the newer profile: Carla texts first, signs up by email
-- later, and a form with both merges the email profile into the phone profile
INSERT INTO events (account_id, source, phone, properties)
VALUES (4302, 'click_to_text', '312-555-0147', '{"city": "Springfield", "keyword": "JOIN"}')
RETURNING pg_temp.who(profile_id, 'carla_phone') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4302, 'form', 'Carla@Example.com', '{"first_name": "Carla", "city": "Chicago"}')
RETURNING pg_temp.who(profile_id, 'carla_email') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (4302, 'form', 'carla@example.com', '(312) 555-0147')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

-- the survivor holds everything; on merge the survivor's keys win ("city"
-- stays Springfield), keys only the merged profile had are kept
SELECT pg_temp.who(profile_id) AS profile, email, phone,
       CASE WHEN merged_into IS NULL THEN properties END AS properties, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4302 ORDER BY profile_id;
-- the tombstone holds no identifier; its rows were detached as 'merged' by
-- the event, and copies attached to the survivor carry the merge
SELECT kind, value, pg_temp.who(profile_id) AS profile,
       detached_at IS NOT NULL AS detached, detach_reason,
       detached_by_event = (SELECT max(event_id) FROM events WHERE account_id = 4302) AS by_merge_event,
       merge_id = (SELECT merge_id FROM merges WHERE account_id = 4302) AS by_merge
  FROM identifiers WHERE account_id = 4302 ORDER BY identifier_id;
SELECT pg_temp.who(survivor_id) AS survivor, pg_temp.who(merged_id) AS merged,
       event_id = (SELECT max(event_id) FROM events WHERE account_id = 4302) AS by_last_event,
       reason, unmerged_at IS NULL AS in_force
  FROM merges WHERE account_id = 4302 ORDER BY merge_id;
-- the event's detail names the same merge
SELECT (detail->0->>'merge_id')::bigint = (SELECT merge_id FROM merges WHERE account_id = 4302) AS detail_names_the_merge
  FROM events WHERE account_id = 4302 AND outcome = 'merged';

-- event properties win over the profile's
INSERT INTO events (account_id, source, email, properties)
VALUES (4302, 'form', 'carla@example.com', '{"city": "Evanston"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, properties FROM profiles
 WHERE account_id = 4302 AND merged_into IS NULL;

-- (b) the subject is the older profile: Dan signed up by email first, texts
-- later; the form with both merges the phone profile into his. In the same
-- event: survivor's keys beat the merged profile's, the event's beat both.
INSERT INTO events (account_id, source, email, properties)
VALUES (4302, 'form', 'dan@example.com', '{"first_name": "Dan", "city": "Queens"}')
RETURNING pg_temp.who(profile_id, 'dan') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, phone, properties)
VALUES (4302, 'sms_keyword', '(212) 555-0143', '{"city": "Brooklyn", "keyword": "DEALS", "zip": "11201"}')
RETURNING pg_temp.who(profile_id, 'dan_sms') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone, properties)
VALUES (4302, 'form', 'dan@example.com', '212-555-0143', '{"zip": "10001"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, phone,
       CASE WHEN merged_into IS NULL THEN properties END AS properties, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4302 AND profile_id IN (pg_temp.id(4302, 'dan'), pg_temp.id(4302, 'dan_sms'))
 ORDER BY profile_id;
SELECT pg_temp.who(survivor_id) AS survivor, pg_temp.who(merged_id) AS merged
  FROM merges WHERE account_id = 4302 ORDER BY merge_id;

------------------------------------------------------------------------------
-- A hint naming a tombstone follows merged_into, through a chain of merges
-- (account 4303)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, external_id)
VALUES (4303, 'import', 'CUST-3003')
RETURNING pg_temp.who(profile_id, 'gus_crm') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, phone)
VALUES (4303, 'sms_keyword', '(305) 555-0120')
RETURNING pg_temp.who(profile_id, 'gus_sms') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email)
VALUES (4303, 'form', 'gus@example.com')
RETURNING pg_temp.who(profile_id, 'gus_email') AS profile, outcome, pg_temp.show(detail) AS detail;
-- gus_email merges into the older gus_sms ...
INSERT INTO events (account_id, source, email, phone)
VALUES (4303, 'form', 'Gus@Example.com', '305.555.0120')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- ... and gus_sms into the still older gus_crm
INSERT INTO events (account_id, source, external_id, phone)
VALUES (4303, 'import', 'CUST-3003', '+1 305 555 0120')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4303 ORDER BY profile_id;

-- an old cookie still names gus_email: the event lands on gus_crm
INSERT INTO events (account_id, source, profile_hint, properties)
VALUES (4303, 'api', pg_temp.id(4303, 'gus_email'), '{"vip": true}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- a hint naming gus_sms with a new email: attached to (replacing on) gus_crm
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (4303, 'api', pg_temp.id(4303, 'gus_sms'), 'gus.w@example.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, properties
  FROM profiles WHERE account_id = 4303 AND merged_into IS NULL;

------------------------------------------------------------------------------
-- One event may merge several profiles; the oldest survives (account 4304)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, phone)
VALUES (4304, 'sms_keyword', '(617) 555-0155')
RETURNING pg_temp.who(profile_id, 'hana_sms') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email)
VALUES (4304, 'form', 'hana@example.com')
RETURNING pg_temp.who(profile_id, 'hana_email') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, external_id)
VALUES (4304, 'import', 'CUST-4004')
RETURNING pg_temp.who(profile_id, 'hana_crm') AS profile, outcome, pg_temp.show(detail) AS detail;
-- the app knows all three: external_id picks hana_crm, which merges into
-- hana_email, which merges into hana_sms
INSERT INTO events (account_id, source, external_id, email, phone)
VALUES (4304, 'api', 'CUST-4004', 'HANA@example.com', '617-555-0155')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4304 ORDER BY profile_id;
SELECT pg_temp.who(survivor_id) AS survivor, pg_temp.who(merged_id) AS merged, reason
  FROM merges WHERE account_id = 4304 ORDER BY merge_id;
SELECT kind, value, pg_temp.who(profile_id) AS profile FROM identifiers
 WHERE account_id = 4304 AND detached_at IS NULL ORDER BY kind;

------------------------------------------------------------------------------
-- Properties that are not a JSON object are ignored, with a detail entry
-- (account 4305)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '{"first_name": "Ivy"}')
RETURNING pg_temp.who(profile_id, 'ivy') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '["newsletter"]')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '"vip"')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', 'null')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- SQL NULL, an empty object and the same key and value change nothing
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', NULL)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '{}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '{"first_name": "Ivy"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- a new key is an update
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'ivy@example.com', '{"last_name": "Chen"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- a new profile from an event with a list for properties starts empty
INSERT INTO events (account_id, source, email, properties)
VALUES (4305, 'form', 'jay@example.com', '[1, 2]')
RETURNING pg_temp.who(profile_id, 'jay') AS profile, outcome, pg_temp.show(detail) AS detail;

SELECT pg_temp.who(profile_id) AS profile, email, properties FROM profiles
 WHERE account_id = 4305 ORDER BY profile_id;

------------------------------------------------------------------------------
-- A value the merge brought may be replaced by the same event (accounts 4306
-- and 4307, rolled back so that what they leave cannot disturb other
-- suites' invariant checks). Step 4 takes the event's identifiers in
-- identify_by order: for 'api' the email merges first, then the phone, and
-- 'api' may override a phone. Afterwards the survivor holds exactly one
-- phone, the event's; the number the merged profile brought is detached,
-- its history kept.
------------------------------------------------------------------------------
BEGIN;
-- (a) the subject (carla_app, by external_id) is the newer profile and is
-- merged into carla_email; the number carla_app brought is replaced
INSERT INTO events (account_id, source, email)
VALUES (4306, 'form', 'carla@example.com')
RETURNING pg_temp.who(profile_id, 'carla_email') AS profile, outcome;
INSERT INTO events (account_id, source, external_id, phone)
VALUES (4306, 'api', 'C-1', '(312) 555-0147')
RETURNING pg_temp.who(profile_id, 'carla_app') AS profile, outcome;
INSERT INTO events (account_id, source, external_id, email, phone)
VALUES (4306, 'api', 'C-1', 'carla@example.com', '(312) 555-0199')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4306 ORDER BY profile_id;
SELECT kind, array_agg(value ORDER BY value) AS attached_values
  FROM identifiers WHERE account_id = 4306 AND profile_id = pg_temp.id(4306, 'carla_email')
   AND detached_at IS NULL
 GROUP BY kind ORDER BY kind;
SELECT count(*) FILTER (WHERE detached_at IS NULL) AS old_number_attached,
       count(*) FILTER (WHERE detached_at IS NOT NULL) > 0 AS old_number_in_history
  FROM identifiers WHERE account_id = 4306 AND kind = 'phone' AND value = '+13125550147';

-- (b) the subject (dan_crm, by external_id) is the older profile and
-- absorbs dan_form, whose number the event then replaces
INSERT INTO events (account_id, source, external_id)
VALUES (4307, 'import', 'CUST-7007')
RETURNING pg_temp.who(profile_id, 'dan_crm') AS profile, outcome;
INSERT INTO events (account_id, source, email, phone)
VALUES (4307, 'form', 'dan@example.com', '(212) 555-0143')
RETURNING pg_temp.who(profile_id, 'dan_form') AS profile, outcome;
INSERT INTO events (account_id, source, external_id, email, phone)
VALUES (4307, 'api', 'CUST-7007', 'dan@example.com', '(212) 555-0199')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, pg_temp.who(merged_into) AS merged_into
  FROM profiles WHERE account_id = 4307 ORDER BY profile_id;
SELECT kind, array_agg(value ORDER BY value) AS attached_values
  FROM identifiers WHERE account_id = 4307 AND profile_id = pg_temp.id(4307, 'dan_crm')
   AND detached_at IS NULL
 GROUP BY kind ORDER BY kind;
SELECT count(*) FILTER (WHERE detached_at IS NULL) AS old_number_attached,
       count(*) FILTER (WHERE detached_at IS NOT NULL) > 0 AS old_number_in_history
  FROM identifiers WHERE account_id = 4307 AND kind = 'phone' AND value = '+12125550143';
ROLLBACK;

------------------------------------------------------------------------------
-- Beyond the shared invariants: no active profile of this suite's accounts
-- (every limit at 1) holds two attached values of one kind
-- (profiles.email/phone/external_id hold one value each)
------------------------------------------------------------------------------
SELECT count(*) AS profiles_with_two_values_of_a_kind FROM (
    SELECT account_id, profile_id, kind FROM identifiers
     WHERE detached_at IS NULL AND account_id BETWEEN 4301 AND 4309
     GROUP BY 1, 2, 3 HAVING count(*) > 1) d;

-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the repository root), not against sql/
\ir test/sql/check_invariants.sql
