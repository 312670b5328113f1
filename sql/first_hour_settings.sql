-- Issue 13, item 1: a bad setting is never silently replaced by a default.
-- Postgres cannot check a setting of a library it has not loaded yet (SET in
-- a fresh session, ALTER DATABASE ... SET, postgresql.conf); when the
-- library loads it re-checks the value. A bad one is not swapped for the
-- default: every trigger and function that reads the setting raises 22023
-- naming the setting, the value and what is allowed, until it is fixed.
\set VERBOSITY default
SELECT current_database() AS db \gset

-- 'UK' is not an ISO 3166 code (the United Kingdom is GB): refused with a
-- hint, once the library is loaded (any call loads it).
SELECT profile_merge.normalize_phone('+14155550132') AS loaded;
SET profile_merge.default_region = 'UK';

------------------------------------------------------------------------------
-- ALTER DATABASE ... SET with an unknown region, read by a fresh session
------------------------------------------------------------------------------
-- with the library loaded ALTER DATABASE checks the value too
ALTER DATABASE :"db" SET profile_merge.default_region = 'UK';
-- a session that has not loaded it cannot: the value is stored unchecked
\c
ALTER DATABASE :"db" SET profile_merge.default_region = 'UK';
\c
SET search_path = public, profile_merge;
-- the load warns, then every reader of the setting refuses
SELECT normalize_phone('07911 123457');
SELECT try_normalize_phone('07911 123457');
SELECT normalize_event_phone('07911 123457');
SELECT * FROM phone_info('07911 123457');
INSERT INTO events (account_id, source, phone) VALUES (1301, 'sms_keyword', '07911 123457');
INSERT INTO consents (account_id, channel, value, status, source)
VALUES (1301, 'sms', '07911 123457', 'subscribed', 'sms_keyword');
-- nothing was stored
SELECT count(*) AS events FROM events WHERE account_id = 1301;
-- what does not read the setting still works: an explicit region, e-mail
SELECT normalize_phone('07911 123457', 'GB') AS explicit_region;
SELECT outcome FROM identify(1301, 'form', email => 'uk@example.com');
-- an event whose phone carries its own region reads no setting either
SELECT event_id AS gb_event FROM identify(1301, 'sms_keyword', phone => '07911 123457', phone_region => 'GB') \gset
SELECT outcome, phone_e164 FROM events WHERE account_id = 1301 AND event_id = :gb_event;
-- fixing the setting in the session ends the refusal
SET profile_merge.default_region = 'GB';
SELECT normalize_phone('07911 123457') AS fixed_in_session;
INSERT INTO events (account_id, source, phone) VALUES (1301, 'sms_keyword', '07911 123458')
RETURNING outcome, phone_e164;
ALTER DATABASE :"db" RESET profile_merge.default_region;

------------------------------------------------------------------------------
-- phone_accept = 'maybe' set before the library loads
------------------------------------------------------------------------------
\c
SET profile_merge.phone_accept = 'maybe';
SHOW profile_merge.phone_accept;
SELECT profile_merge.try_normalize_phone('+44 7700 900123');
INSERT INTO profile_merge.events (account_id, source, phone) VALUES (1302, 'sms_keyword', '+44 7700 900123');
SELECT count(*) AS events FROM profile_merge.events WHERE account_id = 1302;
SET profile_merge.phone_accept = 'possible';
SELECT profile_merge.try_normalize_phone('+44 7700 900123') AS fixed_possible;

------------------------------------------------------------------------------
-- An unknown region set by SET before the library loads, then RESET
------------------------------------------------------------------------------
\c
SET profile_merge.default_region = 'XX';
SELECT profile_merge.try_normalize_phone('(650) 253-0000');
RESET profile_merge.default_region;
SELECT profile_merge.try_normalize_phone('(650) 253-0000') AS after_reset;

------------------------------------------------------------------------------
-- A good value set before the library loads is still applied
------------------------------------------------------------------------------
\c
SET profile_merge.default_region = 'gb';
SELECT profile_merge.normalize_phone('07911 123457') AS good_value_applied;
SHOW profile_merge.default_region;
