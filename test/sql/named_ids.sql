\set ECHO none
-- Helpers of the function suites (sql/functions_merge, functions_unmerge,
-- functions_explain), which include this file with
-- \ir test/sql/named_ids.sql (pg_regress feeds a suite to psql on stdin, so
-- the path is relative to the repository root). Quiet, like
-- story_helpers.sql: ECHO is off until the last line and the statements
-- return no rows.
--
-- Ids by name, to print them relatively: ns is 'profile', 'merge', 'event',
-- 'identifier' or 'consent'.
CREATE TEMP TABLE names (ns text NOT NULL, id bigint NOT NULL, name text NOT NULL,
                         PRIMARY KEY (ns, id));
CREATE FUNCTION pg_temp.n(id bigint, ns text DEFAULT 'profile') RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN $1 IS NOT NULL THEN
           coalesce((SELECT name FROM names WHERE names.ns = $2 AND names.id = $1), 'unnamed') END
$$;
-- Text with the raw ids it names (in context: "profile 12", "merge 3",
-- "event 7", P12, I40) replaced by names, and timestamps by <time>.
CREATE FUNCTION pg_temp.rel(t text) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM names WHERE ns IN ('profile', 'merge', 'event', 'identifier')
              ORDER BY length(id::text) DESC, ns, id LOOP
        t := regexp_replace(t,
                 CASE r.ns
                     WHEN 'profile' THEN '(\m[Pp]rofiles? |\mand |\minto |\mfrom |\mwith |\(|\mP)'
                     WHEN 'merge' THEN '(\m[Mm]erges? |\mmerge id |\munmerge\(\d+, )'
                     WHEN 'event' THEN '(\m[Ee]vents? )'
                     WHEN 'identifier' THEN '(\mI)' END || r.id || '\M',
                 '\1' || r.name, 'g');
    END LOOP;
    -- timestamps, ISO or Postgres style (pg_regress sets DateStyle Postgres)
    t := regexp_replace(t, '\d{4}-\d\d-\d\d[ T][0-9:.+-]+', '<time>', 'g');
    RETURN regexp_replace(t, '[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d? [0-9:.]+ \d{4}( [A-Z]+)?', '<time>', 'g');
END $$;
-- pg_temp.try(statement): 'ok', or the SQLSTATE, message and hint it
-- raised (test/sql/try.sql), ids named and times hidden by rel(); the hint
-- on a line of its own
\ir try.sql
CREATE OR REPLACE FUNCTION pg_temp.try_text(msg text, hint text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT pg_temp.rel(msg) || coalesce(E'\nHINT: ' || pg_temp.rel(nullif(hint, '')), '')
$$;
\set ECHO all
