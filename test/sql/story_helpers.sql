\set ECHO none
-- Helpers of the story suites (sql/rules_behaviours, rules_accounts,
-- rules_merging, rules_bad_input, consent_ledger), which include this file
-- with \ir test/sql/story_helpers.sql right after their SET and \pset lines
-- (pg_regress feeds a suite to psql on stdin, so the path is relative to the
-- directory make runs in, the repository root). Quiet: ECHO is off until the
-- last line and the statements return no rows, so a suite's expected output
-- shows only the \ir line and the \set ECHO none above.
--
-- Profile and merge ids come from sequences every suite shares, so the story
-- suites print names instead of ids:
--   pg_temp.names        the names given so far (profile_id, account_id, name).
--   pg_temp.who(id, 'name')  names a profile the first time it sees it and
--       returns that first name ever after: an event that resolves to an
--       existing profile prints the existing profile's name, one that makes a
--       new profile prints the name proposed for it ('#n' is appended when the
--       account already has a profile of that name).
--   pg_temp.id(account, 'name')  gives the id back (an error if no such name).
--   pg_temp.show(detail)  prints a detail array one element per line (an
--       empty array as []), with other_profile named, the value of a
--       'profile' entry (a profile_hint) named, and merge_id as
--       'survivor <- merged' from the merges row it names.
CREATE TEMP TABLE names (profile_id bigint PRIMARY KEY, account_id bigint, name text NOT NULL,
                         UNIQUE (account_id, name));
CREATE FUNCTION pg_temp.who(id bigint, proposed text DEFAULT 'profile') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE known text; acct bigint;
BEGIN
    IF id IS NULL THEN RETURN NULL; END IF;
    SELECT n.name INTO known FROM pg_temp.names n WHERE n.profile_id = id;
    IF known IS NOT NULL THEN RETURN known; END IF;
    SELECT p.account_id INTO acct FROM profile_merge.profiles p WHERE p.profile_id = id;
    known := proposed;
    IF EXISTS (SELECT FROM pg_temp.names n WHERE n.account_id IS NOT DISTINCT FROM acct AND n.name = known) THEN
        known := known || '#' || (SELECT count(*) + 1 FROM pg_temp.names n
                                   WHERE n.account_id IS NOT DISTINCT FROM acct);
    END IF;
    INSERT INTO pg_temp.names VALUES (id, acct, known);
    RETURN known;
END $$;
CREATE FUNCTION pg_temp.id(account bigint, wanted text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE found bigint;
BEGIN
    SELECT n.profile_id INTO found FROM pg_temp.names n
     WHERE n.account_id = account AND n.name = wanted;
    IF found IS NULL THEN RAISE EXCEPTION 'no profile named % in account %', wanted, account; END IF;
    RETURN found;
END $$;
CREATE FUNCTION pg_temp.show(detail jsonb) RETURNS text
LANGUAGE sql STRICT AS $$
SELECT coalesce(string_agg((
         e || CASE WHEN e->>'kind' = 'profile' AND e->>'value' ~ '^[0-9]+$'
                   THEN jsonb_build_object('value', pg_temp.who((e->>'value')::bigint))
                   ELSE '{}' END
           || CASE WHEN jsonb_typeof(e->'other_profile') = 'number'
                   THEN jsonb_build_object('other_profile', pg_temp.who((e->>'other_profile')::bigint))
                   ELSE '{}' END
           || CASE WHEN e ? 'merge_id'
                   THEN jsonb_build_object('merge_id',
                          (SELECT pg_temp.who(m.survivor_id) || ' <- ' || pg_temp.who(m.merged_id)
                             FROM profile_merge.merges m WHERE m.merge_id = (e->>'merge_id')::bigint))
                   ELSE '{}' END)::text,
         E'\n' ORDER BY n), '[]')
  FROM jsonb_array_elements(detail) WITH ORDINALITY AS t(e, n)
$$;
\set ECHO all
