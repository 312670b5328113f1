\set try_saved_echo :ECHO
\set ECHO none
-- pg_temp.try(statement [, literal, name, ...]): runs the statement and
-- returns 'ok', or the SQLSTATE and the message it raised: '22023: invalid
-- ...'. The optional (literal, name) pairs replace raw ids in the message,
-- so that ids from sequences other suites share print relatively. A message
-- longer than 300 characters would itself be a failure (hostile input
-- echoed back at length): it is replaced by its length. The text is
-- finished by pg_temp.try_text(message, hint), which here leaves the hint
-- out (some hints quote the server's configuration);
-- test/sql/named_ids.sql redefines it to add the hint and name ids.
--
-- The one copy of the helper, included by the pg_regress suites with
-- \ir test/sql/try.sql (by named_ids.sql too). Quiet, and leaves ECHO as
-- it found it.
CREATE FUNCTION pg_temp.try_text(msg text, hint text) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT msg $$;
CREATE FUNCTION pg_temp.try(stmt text, VARIADIC subst text[] DEFAULT '{}') RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg   text;
    hint  text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    IF length(msg) > 300 THEN
        msg := 'a message of ' || length(msg) || ' characters';
    END IF;
    FOR i IN 1 .. coalesce(array_length(subst, 1), 0) / 2 LOOP
        msg := regexp_replace(msg, '\m' || subst[2 * i - 1] || '\M', subst[2 * i], 'g');
    END LOOP;
    RETURN state || ': ' || pg_temp.try_text(msg, hint);
END $$;
\set ECHO :try_saved_echo
