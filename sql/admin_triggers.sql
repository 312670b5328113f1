-- admin_triggers: rows that an admin's own trigger inserts into events or
-- consents while the engine writes (an audit trigger on identifiers that
-- records a consent, say) are the admin's rows. Under the events trigger
-- they are resolved like any other: normalized and tied to the profile that
-- holds the value. ingest() refuses them (0A000): it draws ids ahead of the
-- sequences and keeps the touched profiles in memory, so a row resolved
-- behind its back would take an id it is about to use. The engine's own
-- rows never reach the events and consents triggers (write targets leave
-- them out), so nothing passes through those triggers unresolved.
-- Accounts 4801-4809 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\set VERBOSITY terse

\ir test/sql/story_helpers.sql

-- For every phone the engine attaches, the admin records an SMS opt-in
-- of the number as the application typed it in its own table.
CREATE TABLE public.test_typed (account_id bigint, e164 text, typed text);
CREATE FUNCTION public.test_consent_on_attach() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF NEW.kind = 'phone' THEN
        INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
        SELECT NEW.account_id, 'sms', t.typed, 'subscribed', 'api', 'admin trigger'
          FROM public.test_typed t
         WHERE t.account_id = NEW.account_id AND t.e164 = NEW.value;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER test_consent_on_attach AFTER INSERT ON identifiers
    FOR EACH ROW EXECUTE FUNCTION public.test_consent_on_attach();

------------------------------------------------------------------------------
-- Through the events trigger (account 4801)
------------------------------------------------------------------------------
INSERT INTO public.test_typed VALUES (4801, '+14155550181', '(415) 555-0181');
INSERT INTO events (account_id, source, email, phone)
VALUES (4801, 'form', 'ava@example.com', '(415) 555-0181')
RETURNING pg_temp.who(profile_id, 'ava') AS profile, outcome;
SELECT value, status, method, pg_temp.who(profile_id) AS profile
  FROM consents WHERE account_id = 4801 ORDER BY consent_id;

------------------------------------------------------------------------------
-- Through ingest(): refused with the whole load, not stored as typed with
-- no profile (account 4802)
------------------------------------------------------------------------------
INSERT INTO public.test_typed VALUES (4802, '+14155550182', '(415) 555-0182');
CREATE TABLE public.test_staged (seq int, account_id bigint, source text, email text, phone text);
INSERT INTO public.test_staged VALUES (1, 4802, 'form', 'bea@example.com', '(415) 555-0182');
\set VERBOSITY default
SET client_min_messages = warning;
SELECT ingest('public.test_staged', 'seq');
RESET client_min_messages;
\set VERBOSITY terse
SELECT (SELECT count(*) FROM profiles WHERE account_id = 4802) AS profiles,
       (SELECT count(*) FROM events WHERE account_id = 4802) AS events,
       (SELECT count(*) FROM consents WHERE account_id = 4802) AS consents;
-- without the admin's trigger the same load goes in
DROP TRIGGER test_consent_on_attach ON identifiers;
SET client_min_messages = warning;  -- the progress NOTICE carries a rate
SELECT ingest('public.test_staged', 'seq');
RESET client_min_messages;
SELECT pg_temp.who(profile_id, 'bea') AS profile, email, phone
  FROM profiles WHERE account_id = 4802 ORDER BY profile_id;

DROP FUNCTION public.test_consent_on_attach();
DROP TABLE public.test_typed, public.test_staged;

------------------------------------------------------------------------------
-- A stored generated column an admin adds follows the columns it is made
-- of when the engine updates the row, as after an UPDATE (account 4803)
------------------------------------------------------------------------------
ALTER TABLE profiles ADD COLUMN test_email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;
INSERT INTO events (account_id, source, external_id, email) VALUES (4803, 'api', 'cy-1', 'cy@old.example')
RETURNING pg_temp.who(profile_id, 'cy') AS profile, outcome;
-- api may replace the email: the engine updates the profile row
INSERT INTO events (account_id, source, external_id, email) VALUES (4803, 'api', 'cy-1', 'cy@new.example')
RETURNING pg_temp.who(profile_id) AS profile, outcome;
SELECT pg_temp.who(profile_id) AS profile, email, test_email_domain FROM profiles WHERE account_id = 4803;
ALTER TABLE profiles DROP COLUMN test_email_domain;

\set VERBOSITY default
\ir test/sql/check_invariants.sql
