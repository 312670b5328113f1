-- distribute() (issue 14, DESIGN.md section 5) on a server without Citus:
-- 55000 with a HINT saying what to do, and nothing changed. The Citus side
-- is test/citus/run.sh. The configuration tables' triggers, rewritten to
-- act on their own placement under Citus, still upsert on one node.
SET search_path = profile_merge, public;
\set SHOW_CONTEXT never
-- the SQLSTATE from psql's variable: VERBOSITY verbose would also print
-- the server's source line, which differs between versions
SELECT distribute();
\echo :LAST_ERROR_SQLSTATE
SELECT distribute(shard_count => 8);
\echo :LAST_ERROR_SQLSTATE
-- the error is checked before the arguments: a bad shard_count says Citus too
SELECT distribute(0);
-- nothing was distributed or changed
SELECT count(*) AS tables FROM pg_class
 WHERE relnamespace = 'profile_merge'::regnamespace AND relkind = 'r';
-- nobody but the owner may call it or the sequence helper
SELECT has_function_privilege('public', 'profile_merge.distribute(integer)', 'EXECUTE') AS public_may_distribute,
       has_function_privilege('public', 'profile_merge._node_sequence_ranges()', 'EXECUTE') AS public_may_set_ranges;
-- without Citus the sequence helper changes nothing
SELECT _node_sequence_ranges() AS sequences_changed;
-- sources_upsert and blocked_values_zz_skip_duplicate on the table itself
BEGIN;
INSERT INTO sources (source, identify_by, merges, accepts, account_id) VALUES ('dwc', '{email}', false, '{email}', 7);
INSERT INTO sources (source, identify_by, merges, accepts, account_id) VALUES ('dwc', '{email,phone}', true, '{email,phone}', 7);
SELECT source, identify_by, merges FROM sources WHERE account_id = 7;
INSERT INTO blocked_values (kind, value, account_id) VALUES ('email', ' Junk@Example.COM', 7);
INSERT INTO blocked_values (kind, value, account_id) VALUES ('email', 'junk@example.com', 7);
SELECT kind, value FROM blocked_values WHERE account_id = 7;
ROLLBACK;
