-- Issue 13, items 2 to 6: what a new user trips over with ordinary input.
SET search_path = public, profile_merge;
\pset null '<NULL>'
\set VERBOSITY default

------------------------------------------------------------------------------
-- Item 2: ingest() refuses the extension's own tables (22023), which would
-- replay the inbox into itself.
------------------------------------------------------------------------------
SELECT outcome FROM identify(1310, 'form', email => 'ina@example.com');
SELECT ingest('profile_merge.events');
SELECT ingest('profile_merge.profiles');
SELECT ingest('profile_merge.profile_consent');
SELECT count(*) AS events_1310 FROM events WHERE account_id = 1310;
-- a staging table of one's own still works
CREATE TABLE public.first_hour_staged (account_id bigint, source text, email text,
                                       occurred_at timestamptz);
INSERT INTO public.first_hour_staged VALUES (1310, 'form', 'ina@example.com', NULL);
SET client_min_messages = warning;  -- the progress NOTICE holds a rate
SELECT ingest('public.first_hour_staged');
RESET client_min_messages;

------------------------------------------------------------------------------
-- Item 3: find_profile() with an unknown region is 22023, as in
-- normalize_phone(), not a NULL that makes the application create a duplicate.
------------------------------------------------------------------------------
SELECT profile_id AS tom FROM identify(1311, 'sms_keyword', phone => '+14155550132') \gset
SELECT find_profile(1311, phone => '+14155550132', phone_region => 'UK');
SELECT find_profile(1311, phone => '(415) 555-0132', phone_region => 'XX');
SELECT find_profile(1311, phone => '+14155550132', phone_region => 'us') = :tom AS found_in_us;
-- a blank region is absent, as in events: the default region applies
SELECT find_profile(1311, phone => '(415) 555-0132', phone_region => ' ') = :tom AS blank_region;
-- an invalid number is still just not found
SELECT find_profile(1311, phone => 'call me maybe') AS invalid_number;

------------------------------------------------------------------------------
-- Item 4: a NULL source or consent value gives the NOT NULL column's error
-- (23502), whichever way it comes in.
------------------------------------------------------------------------------
SELECT * FROM identify(1312, NULL, email => 'nul@example.com');
INSERT INTO events (account_id, source, email) VALUES (1312, NULL, 'nul@example.com');
INSERT INTO consents (account_id, channel, value, status, source)
VALUES (1312, 'email', 'nul@example.com', 'subscribed', NULL);
INSERT INTO consents (account_id, channel, value, status, source)
VALUES (1312, 'email', NULL, 'subscribed', 'form');
-- an empty value is still the 22023 of a bad value
INSERT INTO consents (account_id, channel, value, status, source)
VALUES (1312, 'email', '  ', 'subscribed', 'form');
SELECT count(*) AS events_1312 FROM events WHERE account_id = 1312;

------------------------------------------------------------------------------
-- Item 5: an explicit NULL occurred_at is the time of the insert, as the
-- column's default says; the column is NOT NULL.
------------------------------------------------------------------------------
BEGIN;
INSERT INTO events (account_id, source, email, occurred_at, email_consent)
VALUES (1313, 'form', 'orm@example.com', NULL, true)
RETURNING occurred_at = now() AS occurred_now;
SELECT recorded_at = now() AS consent_recorded_now FROM consents WHERE account_id = 1313;
COMMIT;
SELECT count(*) AS untimed FROM events WHERE occurred_at IS NULL;
SELECT attnotnull AS occurred_at_not_null FROM pg_attribute
 WHERE attrelid = 'profile_merge.events'::regclass AND attname = 'occurred_at';
-- ingest() does the same for a staged NULL (the row staged above)
SELECT count(*) AS ingested_untimed FROM events WHERE account_id = 1310 AND occurred_at IS NULL;
SELECT step, detail FROM explain_profile(1313, (SELECT profile_id FROM events WHERE account_id = 1313))
 WHERE at IS NULL;
DROP TABLE public.first_hour_staged;

------------------------------------------------------------------------------
-- Item 6: blocking a phone. A number in its + form is stored in E.164
-- whatever the session's settings; a national spelling is refused with a
-- HINT that shows the E.164 form (read in profile_merge.default_region).
------------------------------------------------------------------------------
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '555-555-5555', 1314);
SET profile_merge.default_region = 'GB';
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '07700 900000', 1314);
RESET profile_merge.default_region;
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', 'not a number', 1314);
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '+1 23', 1314);
-- the + form: the same stored value under either phone_accept
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '+1 555-555-5555', 1314);
SET profile_merge.phone_accept = 'possible';
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '+1 (555) 555-5556', 1314);
RESET profile_merge.phone_accept;
INSERT INTO blocked_values (kind, value, account_id) VALUES ('phone', '+44 7700 900000', 1314);
SELECT value FROM blocked_values WHERE account_id = 1314 ORDER BY value;
-- and it blocks what an event sends
SET profile_merge.phone_accept = 'possible';
SELECT event_id AS blocked_event FROM identify(1314, 'sms_keyword', phone => '555-555-5555') \gset
SELECT outcome, detail ->> 0 AS first_detail FROM events WHERE account_id = 1314 AND event_id = :blocked_event;
RESET profile_merge.phone_accept;
