-- direct_writes: the rows an event writes (a new profile, its claimed
-- identifiers, its consent rows, the update of its profile) go in through
-- the executor's row-level routines, not SQL statements (README, "The hot
-- writes without SQL either"). What a planned INSERT or UPDATE checks and
-- fires must still happen: CHECK constraints an admin adds (picked up at
-- the next event, and forgotten once dropped), defaults of columns the
-- engine does not name, dropped columns, row triggers an admin adds; and
-- for ingest()'s rows, written the same way in batches.
-- Accounts 4701-4709 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\set VERBOSITY terse

\ir test/sql/story_helpers.sql

------------------------------------------------------------------------------
-- A CHECK added by an admin holds for each table the events write, from
-- the next event on; once dropped, the same event goes in (account 4701)
------------------------------------------------------------------------------
ALTER TABLE consents ADD CONSTRAINT test_no_import_consent CHECK (source <> 'import');
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4701, 'import', 'ines@example.com', true);
ALTER TABLE consents DROP CONSTRAINT test_no_import_consent;
INSERT INTO events (account_id, source, email, email_consent)
VALUES (4701, 'import', 'ines@example.com', true)
RETURNING pg_temp.who(profile_id, 'ines') AS profile, outcome;

ALTER TABLE identifiers ADD CONSTRAINT test_no_blocked_test CHECK (value NOT LIKE '%@blocked.test');
INSERT INTO events (account_id, source, email) VALUES (4701, 'form', 'ines@blocked.test');
-- an existing profile's new value is a claim too
INSERT INTO events (account_id, source, external_id, email)
VALUES (4701, 'api', 'ines-1', 'ines@blocked.test');
ALTER TABLE identifiers DROP CONSTRAINT test_no_blocked_test;
INSERT INTO events (account_id, source, email) VALUES (4701, 'form', 'bo@blocked.test')
RETURNING pg_temp.who(profile_id, 'bo') AS profile, outcome;

ALTER TABLE profiles ADD CONSTRAINT test_small_properties CHECK (length(properties::text) < 40);
-- a new profile
INSERT INTO events (account_id, source, email, properties)
VALUES (4701, 'form', 'cy@example.com', '{"note": "a note far longer than forty characters"}');
-- an existing profile's update
INSERT INTO events (account_id, source, email, properties)
VALUES (4701, 'form', 'ines@example.com', '{"note": "a note far longer than forty characters"}');
INSERT INTO events (account_id, source, email, properties)
VALUES (4701, 'form', 'ines@example.com', '{"plan": "pro"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
ALTER TABLE profiles DROP CONSTRAINT test_small_properties;
INSERT INTO events (account_id, source, email, properties)
VALUES (4701, 'form', 'ines@example.com', '{"note": "a note far longer than forty characters"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
SELECT pg_temp.who(profile_id) AS profile, email, properties
  FROM profiles WHERE account_id = 4701 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Columns an admin adds get their defaults on the rows the engine writes,
-- an update keeps what the admin set, and rows written after the columns
-- are dropped are whole (account 4702)
------------------------------------------------------------------------------
ALTER TABLE profiles ADD COLUMN test_tier text DEFAULT 'bronze';
ALTER TABLE identifiers ADD COLUMN test_note text DEFAULT 'auto';
ALTER TABLE consents ADD COLUMN test_origin text DEFAULT 'ledger';
INSERT INTO events (account_id, source, email, phone, sms_consent)
VALUES (4702, 'form', 'dee@example.com', '(415) 555-0101', true)
RETURNING pg_temp.who(profile_id, 'dee') AS profile, outcome;
SELECT pg_temp.who(profile_id) AS profile, email, phone, test_tier FROM profiles WHERE account_id = 4702;
SELECT kind, value, test_note FROM identifiers WHERE account_id = 4702 ORDER BY identifier_id;
SELECT channel, value, status, test_origin FROM consents WHERE account_id = 4702 ORDER BY consent_id;
UPDATE profiles SET test_tier = 'gold' WHERE account_id = 4702;
INSERT INTO events (account_id, source, email, external_id, properties)
VALUES (4702, 'api', 'dee@example.com', 'dee-7', '{"city": "Lisbon"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, properties, test_tier
  FROM profiles WHERE account_id = 4702;
ALTER TABLE profiles DROP COLUMN test_tier;
ALTER TABLE identifiers DROP COLUMN test_note;
ALTER TABLE consents DROP COLUMN test_origin;
INSERT INTO events (account_id, source, email, phone, email_consent, properties)
VALUES (4702, 'form', 'eli@example.com', '(415) 555-0102', true, '{"city": "Porto"}')
RETURNING pg_temp.who(profile_id, 'eli') AS profile, outcome;
INSERT INTO events (account_id, source, email, properties)
VALUES (4702, 'form', 'eli@example.com', '{"city": "Faro"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
SELECT pg_temp.who(profile_id) AS profile, external_id, email, phone, properties
  FROM profiles WHERE account_id = 4702 ORDER BY profile_id;
SELECT kind, value, pg_temp.who(profile_id) AS profile
  FROM identifiers WHERE account_id = 4702 ORDER BY identifier_id;
SELECT channel, value, status, pg_temp.who(profile_id) AS profile
  FROM consents WHERE account_id = 4702 ORDER BY consent_id;

------------------------------------------------------------------------------
-- Row triggers an admin adds fire for the engine's rows: AFTER INSERT on
-- profiles, identifiers and consents, BEFORE UPDATE on profiles (which may
-- change the row, as in an UPDATE statement) (account 4703)
------------------------------------------------------------------------------
CREATE TABLE public.test_audit (n bigserial, tbl text, op text, what text);
CREATE FUNCTION public.test_audit_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    r jsonb := to_jsonb(NEW);
BEGIN
    INSERT INTO public.test_audit (tbl, op, what) VALUES (TG_TABLE_NAME, TG_OP,
        CASE TG_TABLE_NAME
            WHEN 'events' THEN (r->>'outcome') || ' ' || coalesce(r->>'email', '-')
            WHEN 'profiles' THEN coalesce(r->>'email', '-') || ' ' || (r->'properties')::text
            WHEN 'identifiers' THEN (r->>'kind') || ' ' || (r->>'value')
            ELSE (r->>'channel') || ' ' || (r->>'value') || ' ' || (r->>'status') END);
    RETURN NEW;
END $$;
CREATE FUNCTION public.test_stamp_properties() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    NEW.properties := NEW.properties || '{"stamped": true}';
    RETURN NEW;
END $$;
CREATE TRIGGER test_audit AFTER INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit AFTER INSERT ON identifiers FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit AFTER INSERT ON consents FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit_update AFTER UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_stamp BEFORE UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION public.test_stamp_properties();
INSERT INTO events (account_id, source, email, phone, sms_consent, email_consent)
VALUES (4703, 'form', 'fay@example.com', '(415) 555-0103', true, true)
RETURNING pg_temp.who(profile_id, 'fay') AS profile, outcome;
INSERT INTO events (account_id, source, email, properties)
VALUES (4703, 'form', 'fay@example.com', '{"plan": "pro"}')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
-- nothing changes: no update, no trigger
INSERT INTO events (account_id, source, email)
VALUES (4703, 'form', 'fay@example.com')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
SELECT tbl, op, what FROM public.test_audit ORDER BY n;
SELECT pg_temp.who(profile_id) AS profile, email, properties FROM profiles WHERE account_id = 4703;
DROP TRIGGER test_audit ON profiles;
DROP TRIGGER test_audit ON identifiers;
DROP TRIGGER test_audit ON consents;
DROP TRIGGER test_audit_update ON profiles;
DROP TRIGGER test_stamp ON profiles;
DROP FUNCTION public.test_stamp_properties();
-- test_audit_row() and its table serve the ingest() section below too

------------------------------------------------------------------------------
-- A BEFORE INSERT trigger that skips a profile the event must create is a
-- clear error (SQLSTATE 09000), not a foreign-key error on its identifiers
-- further on (account 4704)
------------------------------------------------------------------------------
CREATE FUNCTION public.test_skip_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER test_skip BEFORE INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION public.test_skip_row();
\set VERBOSITY sqlstate
INSERT INTO events (account_id, source, email) VALUES (4704, 'form', 'gil@example.com');
\set VERBOSITY terse
INSERT INTO events (account_id, source, email) VALUES (4704, 'form', 'gil@example.com');
DROP TRIGGER test_skip ON profiles;
DROP FUNCTION public.test_skip_row();
SELECT count(*) AS profiles_of_4704 FROM profiles WHERE account_id = 4704;

------------------------------------------------------------------------------
-- ingest() writes its batches the same way: an admin's row triggers fire
-- for every row it writes, once each, and an admin's CHECK refuses a row
-- with the ingest's whole batch (account 4705)
------------------------------------------------------------------------------
CREATE TABLE public.test_staged (seq int, account_id bigint, source text, email text, phone text,
                                 sms_consent boolean);
INSERT INTO public.test_staged VALUES
    (1, 4705, 'form', 'hal@example.com', '(415) 555-0105', true),
    (2, 4705, 'sms_keyword', NULL, '(415) 555-0106', true),
    (3, 4705, 'form', 'hal@example.com', '(415) 555-0106', NULL);
TRUNCATE public.test_audit;
CREATE TRIGGER test_audit AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit AFTER INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit AFTER INSERT ON identifiers FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
CREATE TRIGGER test_audit AFTER INSERT ON consents FOR EACH ROW EXECUTE FUNCTION public.test_audit_row();
-- the admin's CHECK refuses the second number: nothing of the ingest stays
ALTER TABLE identifiers ADD CONSTRAINT test_no_0106 CHECK (value <> '+14155550106');
\set VERBOSITY sqlstate
SELECT ingest('public.test_staged', 'seq');
\set VERBOSITY default
SELECT count(*) AS rows_of_4705 FROM events WHERE account_id = 4705;
ALTER TABLE identifiers DROP CONSTRAINT test_no_0106;
SET client_min_messages = warning;  -- the progress NOTICE carries a rate
SELECT ingest('public.test_staged', 'seq');
RESET client_min_messages;
SELECT tbl, op, what FROM public.test_audit ORDER BY n;
SELECT pg_temp.who(profile_id, 'hal') AS profile, email, phone, merged_into IS NOT NULL AS merged
  FROM profiles WHERE account_id = 4705 ORDER BY profile_id;
DROP TRIGGER test_audit ON events;
DROP TRIGGER test_audit ON profiles;
DROP TRIGGER test_audit ON identifiers;
DROP TRIGGER test_audit ON consents;
DROP FUNCTION public.test_audit_row();
DROP TABLE public.test_audit, public.test_staged;

\set VERBOSITY default
-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in: the repository root.
\ir test/sql/check_invariants.sql
