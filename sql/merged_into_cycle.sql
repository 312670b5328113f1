-- merged_into_cycle: a merged_into chain that never ends (state an admin's
-- UPDATE can make; the engine never does) is the same clear error, 'data
-- corrupted' (XX001), from resolve_profile(), from an event whose hint
-- leads into it (the trigger path) and from ingest(): each follows the chain
-- with one bound, core::kMaxMergedIntoHops.
-- Accounts 4901-4909 belong to this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\set VERBOSITY terse

INSERT INTO events (account_id, source, email) VALUES (4901, 'form', 'cy1@example.com'),
                                                      (4901, 'form', 'cy2@example.com');
SELECT min(profile_id) AS p1, max(profile_id) AS p2 FROM profiles WHERE account_id = 4901 \gset
-- two tombstones that name each other
UPDATE identifiers SET detached_at = now(), detach_reason = 'merged'
 WHERE account_id = 4901 AND detached_at IS NULL;
UPDATE profiles SET email = NULL, merged_into = CASE profile_id WHEN :p1 THEN :p2 ELSE :p1 END
 WHERE account_id = 4901;

-- The error's SQLSTATE and message, the suite's profile ids named p1 and p2.
CREATE FUNCTION pg_temp.error_of(statement text, p1 bigint, p2 bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(regexp_replace(SQLERRM, '\m' || p1 || '\M', 'p1', 'g'),
                                        '\m' || p2 || '\M', 'p2', 'g');
END $$;
CREATE TABLE public.test_staged (seq int, account_id bigint, source text, profile_hint bigint, email text);
INSERT INTO public.test_staged VALUES (1, 4901, 'api', :p2, 'cy4@example.com');
SET client_min_messages = warning;
SELECT pg_temp.error_of(format('SELECT profile_merge.resolve_profile(4901, %s)', :p1), :p1, :p2) AS resolve_profile;
SELECT pg_temp.error_of(format('INSERT INTO profile_merge.events (account_id, source, profile_hint, email)
                                VALUES (4901, %L, %s, %L)', 'api', :p1, 'cy3@example.com'), :p1, :p2) AS events_trigger;
SELECT pg_temp.error_of('SELECT profile_merge.ingest(''public.test_staged'', ''seq'')', :p1, :p2) AS ingest;
RESET client_min_messages;
SELECT count(*) AS events_of_4901 FROM events WHERE account_id = 4901;

-- put the two back as active profiles (the invariants below hold again)
UPDATE profiles SET merged_into = NULL WHERE account_id = 4901;
DROP TABLE public.test_staged;

\set VERBOSITY default
\ir test/sql/check_invariants.sql
