-- The boundary between C++ and Postgres (DESIGN.md sections 6 and 7b):
-- errors raised in C++ reach the client as Postgres errors with the right
-- SQLSTATE and message; Postgres errors raised under C++ frames come back
-- out with their own SQLSTATE; a session survives thousands of them without
-- growing; every function of the extension has a pinned search_path (but
-- the exceptions DESIGN.md section 6 allows, test/sql/search_path_exceptions.sql).
SET search_path = profile_merge, public;
\pset null '<NULL>'
-- other suites share the database: counts below are relative to these
SELECT (SELECT count(*) FROM events) AS events0, (SELECT count(*) FROM consents) AS consents0,
       (SELECT count(*) FROM profiles) AS profiles0, (SELECT count(*) FROM identifiers) AS identifiers0 \gset

------------------------------------------------------------------------------
-- Errors raised in C++: SQLSTATE and message as the client sees them
------------------------------------------------------------------------------
SELECT normalize_email('no-at-sign');
\echo :LAST_ERROR_SQLSTATE
\echo :LAST_ERROR_MESSAGE
SELECT normalize_phone('no number');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone('+1 555 555 5555', 'US');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone('(650) 253-0000', 'XX');
\echo :LAST_ERROR_SQLSTATE
-- from the C++ triggers (an unknown source; an invalid consent value)
INSERT INTO events (source, email) VALUES ('no_such_source', 'ana@example.com');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO consents (channel, value, status) VALUES ('email', 'not an address', 'subscribed');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO consents (channel, value, status) VALUES ('sms', 'not a number', 'subscribed');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) - :events0 AS events, (SELECT count(*) FROM consents) - :consents0 AS consents FROM events;

-- the raw input quoted in a message is data, never a format string
SELECT normalize_email('%s%n%x@%d%n.com');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone('%s%n%s%n', 'US');
SELECT normalize_phone('650 253 0000', '%n');

-- a failing row makes the whole statement roll back: the rows before it
-- (already resolved by the trigger) leave nothing behind
INSERT INTO events (source, email) VALUES
    ('api', 'first.row@example.com'), ('api', 'second.row@example.com'), ('no_such_source', 'third.row@example.com');
SELECT (SELECT count(*) FROM events) - :events0 AS events, (SELECT count(*) FROM profiles) - :profiles0 AS profiles,
       (SELECT count(*) FROM identifiers) - :identifiers0 AS identifiers;

-- errors can be caught by name in PL/pgSQL
DO $$
BEGIN
    PERFORM profile_merge.normalize_email('x@');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END $$;

-- a savepoint rolls the error back and the transaction goes on
BEGIN;
SAVEPOINT before_error;
SELECT normalize_phone('garbage', 'US');
ROLLBACK TO SAVEPOINT before_error;
SELECT normalize_phone('(650) 253-0000', 'US');
COMMIT;

------------------------------------------------------------------------------
-- Postgres errors raised inside the C++ trigger's SPI calls keep their
-- SQLSTATE, message, detail and hint, and roll the whole statement back.
-- (The error context would show the extension's internal SQL: hidden.)
------------------------------------------------------------------------------
\set SHOW_CONTEXT never
CREATE FUNCTION public.boundary_refuse_profile() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'profile refused by a site trigger'
        USING ERRCODE = 'P0042', DETAIL = 'raised under the C++ trigger', HINT = 'drop the trigger';
END $$;
CREATE TRIGGER boundary_refuse_profile BEFORE INSERT ON profile_merge.profiles
    FOR EACH ROW EXECUTE FUNCTION public.boundary_refuse_profile();

INSERT INTO events (source, email) VALUES ('api', 'boundary@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM events) - :events0 AS events, (SELECT count(*) FROM profiles) - :profiles0 AS profiles,
       (SELECT count(*) FROM identifiers) - :identifiers0 AS identifiers;

-- thousands of them in one session
DO $$
DECLARE caught int := 0;
BEGIN
    FOR i IN 1..2000 LOOP
        BEGIN
            INSERT INTO profile_merge.events (source, email, phone)
            VALUES ('api', 'boundary' || i || '@example.com', '+1650253' || lpad(i::text, 4, '0'));
        EXCEPTION WHEN SQLSTATE 'P0042' THEN
            caught := caught + 1;
        END;
    END LOOP;
    RAISE NOTICE 'caught % errors raised under the trigger', caught;
END $$;
DROP TRIGGER boundary_refuse_profile ON profile_merge.profiles;
DROP FUNCTION public.boundary_refuse_profile();

-- a standard error from deeper down: division by zero in a trigger on identifiers
CREATE FUNCTION public.boundary_divide() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN PERFORM 1 / 0; RETURN NEW; END $$;
CREATE TRIGGER boundary_divide BEFORE INSERT ON profile_merge.identifiers
    FOR EACH ROW EXECUTE FUNCTION public.boundary_divide();
INSERT INTO events (source, email) VALUES ('api', 'divide@example.com');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER boundary_divide ON profile_merge.identifiers;
DROP FUNCTION public.boundary_divide();

-- once the site triggers are gone, the same event works
SELECT (SELECT count(*) FROM events) - :events0 AS events, (SELECT count(*) FROM profiles) - :profiles0 AS profiles;
INSERT INTO events (source, email) VALUES ('api', 'boundary@example.com')
RETURNING outcome, email_normalized;
\set SHOW_CONTEXT errors

------------------------------------------------------------------------------
-- A query cancel (statement_timeout) while C++ code runs: 57014, and the
-- session goes on
------------------------------------------------------------------------------
SET statement_timeout = '200ms';
-- (generate_series in the select list streams; in FROM it would be
-- materialized first, and the cancel would land there)
SELECT count(try_normalize_phone(g::text, 'US')) FROM (SELECT generate_series(1, 1000000000) AS g) s;
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT never
INSERT INTO events (source, email, phone)
SELECT 'api', 'timeout' || g || '@example.com', '+1650' || lpad(g::text, 7, '0')
  FROM (SELECT generate_series(1, 100000000) AS g) s;
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
RESET statement_timeout;
SELECT count(*) AS timeout_events FROM events WHERE email LIKE 'timeout%';

------------------------------------------------------------------------------
-- Thousands of errors in a row: the session keeps working
------------------------------------------------------------------------------
DO $$
DECLARE caught int := 0;
BEGIN
    FOR i IN 1..5000 LOOP
        BEGIN
            PERFORM profile_merge.normalize_email('bad address number ' || i);
        EXCEPTION WHEN invalid_parameter_value THEN
            caught := caught + 1;
        END;
    END LOOP;
    RAISE NOTICE 'caught % invalid_parameter_value errors', caught;
END $$;
SELECT normalize_email(' Still.Works@Example.com ');

SELECT count(*) AS calls, count(*) FILTER (WHERE try_normalize_phone('bad number ' || g) IS NULL) AS nulls
  FROM generate_series(1, 20000) g;
SELECT try_normalize_phone('(650) 253-0000');

------------------------------------------------------------------------------
-- ... and does not grow: backend memory before and after 20000 errors
-- (after a warm-up loop, so that one-time caches are not counted)
------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.error_loop(n int, salt text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE caught int := 0;
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            PERFORM profile_merge.normalize_phone(salt || ' not a number ' || i, 'US');
        EXCEPTION WHEN invalid_parameter_value THEN
            caught := caught + 1;
        END;
        BEGIN
            PERFORM profile_merge.normalize_email(salt || ' not an address ' || i);
        EXCEPTION WHEN invalid_parameter_value THEN
            caught := caught + 1;
        END;
    END LOOP;
    RETURN caught;
END $$;
SELECT pg_temp.error_loop(1000, 'warm-up') AS warm_up_errors;
CREATE TEMP TABLE memory_before AS SELECT sum(total_bytes) AS bytes FROM pg_backend_memory_contexts;
SELECT pg_temp.error_loop(10000, 'measured') AS measured_errors;
SELECT (SELECT sum(total_bytes) FROM pg_backend_memory_contexts) - bytes < 1024 * 1024 AS growth_under_1mb
  FROM memory_before;

-- the same for Postgres errors caught and rethrown by the C++ trigger
CREATE FUNCTION public.boundary_refuse_identifier() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'identifier refused' USING ERRCODE = 'P0043';
END $$;
CREATE TRIGGER boundary_refuse_identifier BEFORE INSERT ON profile_merge.identifiers
    FOR EACH ROW EXECUTE FUNCTION public.boundary_refuse_identifier();
CREATE FUNCTION pg_temp.trigger_error_loop(n int, salt text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE caught int := 0;
BEGIN
    FOR i IN 1..n LOOP
        BEGIN
            INSERT INTO profile_merge.events (source, email) VALUES ('api', salt || i || '@example.com');
        EXCEPTION WHEN SQLSTATE 'P0043' THEN
            caught := caught + 1;
        END;
    END LOOP;
    RETURN caught;
END $$;
SELECT pg_temp.trigger_error_loop(500, 'warmup') AS warm_up_errors;
TRUNCATE memory_before;
INSERT INTO memory_before SELECT sum(total_bytes) FROM pg_backend_memory_contexts;
SELECT pg_temp.trigger_error_loop(5000, 'measured') AS measured_errors;
SELECT (SELECT sum(total_bytes) FROM pg_backend_memory_contexts) - bytes < 1024 * 1024 AS growth_under_1mb
  FROM memory_before;
DROP TRIGGER boundary_refuse_identifier ON profile_merge.identifiers;
DROP FUNCTION public.boundary_refuse_identifier();
INSERT INTO events (source, email) VALUES ('api', 'after.errors@example.com') RETURNING outcome;

------------------------------------------------------------------------------
-- Every function of the extension has a pinned search_path, but the
-- exceptions (sql/security_search_path checks what they are)
------------------------------------------------------------------------------
CREATE TEMP VIEW extension_functions AS
SELECT p.oid::regprocedure AS function, p.proconfig,
       (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c
         WHERE c LIKE 'search_path=%') AS search_path
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
 WHERE e.extname = 'profile_merge';

SELECT count(*) >= 8 AS has_functions FROM extension_functions;
-- none without a search_path but the exceptions
\ir test/sql/search_path_exceptions.sql
SELECT function, proconfig FROM extension_functions
 WHERE search_path IS NULL AND function NOT IN (SELECT function FROM search_path_exceptions)
 ORDER BY 1::text;
-- none whose search_path reaches a schema that others can write to
-- ($user, public), and pg_temp always named last (else it is searched first)
SELECT function, search_path FROM extension_functions
 WHERE search_path ~ '(\$user|public)' OR search_path !~ 'pg_temp$'
 ORDER BY 1::text;
