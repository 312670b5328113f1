-- Issue 13, item 9: the README's facts, as the README states them.
SET search_path = public, profile_merge;

-- The first normalizer example, as printed in the README (and the spelling
-- with a space after mailto:, which is refused on purpose).
SELECT normalize_email('mailto:Ana.Silva+News@Bücher.Example');
SELECT try_normalize_email('mailto: Ana.Silva+News@Bücher.Example') IS NULL AS space_after_mailto_refused;

-- SELECT (identify(...)).*: identify returns a set (RETURNS TABLE), which
-- PostgreSQL evaluates once per row even when the select list names each
-- column; it inserts one event. Counted here on the running version.
SELECT count(*) AS before FROM events WHERE account_id = 1330;
SELECT (identify(1330, 'form', email => 'star@example.com')).* \gset star_
SELECT :'star_outcome' AS outcome;
SELECT count(*) AS events_inserted FROM events WHERE account_id = 1330;
SELECT outcome FROM identify(1330, 'form', email => 'star2@example.com');
SELECT count(*) AS events_after_select_star FROM events WHERE account_id = 1330;

-- SET search_path = public, profile_merge (the README's recommendation):
-- the user's own tables land in public, not in the extension's schema.
SET search_path = public, profile_merge;
CREATE TABLE first_hour_mine (id int);
SELECT relnamespace::regnamespace AS created_in FROM pg_class WHERE relname = 'first_hour_mine';
DROP TABLE first_hour_mine;
-- and PUBLIC cannot create anything in the extension's schema
SELECT has_schema_privilege('public', 'profile_merge', 'CREATE') AS public_may_create;
