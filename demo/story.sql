-- profile_merge demo: what `make demo` shows.
SET search_path = profile_merge, public;
\pset null '∅'

\echo
\echo '== 1. Identifiers as people type them, normalized'
SELECT raw, normalize_email(raw) AS canonical
  FROM (VALUES ('  Ana.Silva@Example.COM '), ('mailto:ana.silva+news@gmail.com'),
               ('Jose@Bücher.Example')) AS t(raw);

SELECT raw, region, normalize_phone(raw, region) AS e164
  FROM (VALUES ('(415) 555-0132', 'US'), ('415.555.0132', 'us'), ('+44 20 7946 0018', 'US'),
               ('020 7946 0018', 'GB'), ('00 49 30 901820', 'GB'), ('011 33 1 42 68 53 00', 'US'),
               ('030 901820', 'DE'), ('(11) 91234-5678', 'BR')) AS t(raw, region);

SELECT raw, try_normalize_email(raw) AS email_or_null FROM (VALUES ('ana@@example.com'), ('no-at-sign'), ('"quoted"@example.com')) AS t(raw);
SELECT * FROM phone_info('+1 415 555 0132');

\echo
\echo '== 2. The seed story (account 42)'
\echo '-- an email subscriber signs up through a form'
INSERT INTO events (account_id, source, email, email_consent, properties)
VALUES (42, 'form', ' Ana.Silva@Example.com ', true, '{"first_name": "Ana"}')
RETURNING event_id, profile_id, outcome, detail;

\echo '-- she texts a keyword from her phone: a number nobody holds makes its own profile'
INSERT INTO events (account_id, source, phone, sms_consent)
VALUES (42, 'sms_keyword', '(415) 555-0132', true)
RETURNING event_id, profile_id, outcome, detail;

SELECT profile_id, email, phone, properties FROM profiles WHERE account_id = 42 ORDER BY profile_id;

\echo '-- she checks out with her email and that number: a checkout never glues a'
\echo '-- phone-only profile to an email profile; the number keeps its consent'
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (42, 'checkout', 'ana.silva@example.com', '415 555 0132', true)
RETURNING event_id, profile_id, outcome, detail;

SELECT * FROM profile_consent WHERE account_id = 42 ORDER BY profile_id;

\echo '-- Bob subscribes by SMS through a form, then checks out with a new number:'
\echo '-- the new number replaces the old one, and SMS consent must be regained'
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (42, 'form', 'bob@example.com', '+1 (646) 555-0101', true)
RETURNING event_id, profile_id, outcome;
INSERT INTO events (account_id, source, email, phone)
VALUES (42, 'checkout', 'bob@example.com', '646-555-0199')
RETURNING event_id, profile_id, outcome, detail;

SELECT kind, value, detached_at IS NOT NULL AS detached, detach_reason
  FROM identifiers WHERE account_id = 42 AND value LIKE '+1646%' ORDER BY identifier_id;
SELECT * FROM profile_consent WHERE account_id = 42 AND email = 'bob@example.com';
SELECT channel, value, status, source FROM consents WHERE account_id = 42 ORDER BY consent_id;

\echo '-- Carla texts first, then signs up by email: two profiles...'
INSERT INTO events (account_id, source, phone) VALUES (42, 'click_to_text', '312-555-0147')
RETURNING event_id, profile_id, outcome;
INSERT INTO events (account_id, source, email) VALUES (42, 'form', 'carla@example.com')
RETURNING event_id, profile_id, outcome;
\echo '-- ...until a form with both connects them: the older profile survives'
INSERT INTO events (account_id, source, email, phone, properties)
VALUES (42, 'form', 'carla@example.com', '(312) 555-0147', '{"city": "Chicago"}')
RETURNING event_id, profile_id, outcome, detail;

SELECT profile_id, email, phone, properties, merged_into FROM profiles
 WHERE account_id = 42 ORDER BY profile_id;
SELECT merge_id, survivor_id, merged_id, event_id, reason FROM merges WHERE account_id = 42;

\echo '-- junk never glues strangers: a blocked address is dropped and said so'
INSERT INTO events (account_id, source, email, phone)
VALUES (42, 'form', 'test@test.com', 'not a number')
RETURNING event_id, profile_id, outcome, detail;

\echo
\echo '== 3. Every event says what happened'
SELECT event_id, source, coalesce(email, phone) AS typed, profile_id, outcome
  FROM events WHERE account_id = 42 ORDER BY event_id;

\echo
\echo '== 4. Why is Carla one profile? Explain it, draw it, and undo the merge'
SELECT profile_merge.find_profile(42, email => 'Carla@Example.com') AS carla \gset
SELECT step, profile_id, kind, value, source, event_id, merge_id, detail
  FROM explain_profile(42, :carla);
SELECT profile_graph(42, :carla);
SELECT merge_id AS carla_merge FROM merges WHERE account_id = 42 AND survivor_id = :carla \gset
SELECT unmerge(42, :carla_merge) AS split_off;
SELECT profile_id, email, phone, properties, merged_into FROM profiles
 WHERE account_id = 42 AND profile_id IN (SELECT profile_id FROM identifiers
                                           WHERE account_id = 42 AND value IN ('carla@example.com', '+13125550147'))
 ORDER BY profile_id;
