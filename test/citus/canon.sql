-- The state of profile_merge, table by table, with every id replaced by its
-- rank within the account (ids come from the range of the node that drew
-- them, so only their order within an account is comparable; an id not of
-- the account, such as a hint naming another account's profile, is "?").
-- Run on plain PostgreSQL: a single node fed the stream, or a mirror of a
-- Citus cluster's tables (test/citus/lib.sh mirror_state). One line a row.
\pset footer off
\pset tuples_only on
\pset format unaligned
CREATE TEMP TABLE pr AS SELECT account_id, profile_id AS id,
       row_number() OVER (PARTITION BY account_id ORDER BY profile_id) AS n FROM profile_merge.profiles;
CREATE TEMP TABLE mr AS SELECT account_id, merge_id AS id,
       row_number() OVER (PARTITION BY account_id ORDER BY merge_id) AS n FROM profile_merge.merges;
CREATE TEMP TABLE er AS SELECT account_id, event_id AS id,
       row_number() OVER (PARTITION BY account_id ORDER BY event_id) AS n FROM profile_merge.events;
CREATE TEMP TABLE ir AS SELECT account_id, identifier_id AS id,
       row_number() OVER (PARTITION BY account_id ORDER BY identifier_id) AS n FROM profile_merge.identifiers;
CREATE TEMP TABLE cr AS SELECT account_id, consent_id AS id,
       row_number() OVER (PARTITION BY account_id ORDER BY consent_id) AS n FROM profile_merge.consents;
CREATE INDEX ON pr (account_id, id);
CREATE INDEX ON mr (account_id, id);
CREATE INDEX ON er (account_id, id);
CREATE INDEX ON ir (account_id, id);
ANALYZE pr; ANALYZE mr; ANALYZE er; ANALYZE ir; ANALYZE cr;

CREATE FUNCTION pg_temp.p(acc bigint, id bigint) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT CASE WHEN $2 IS NULL THEN NULL ELSE coalesce('p' || (SELECT n FROM pr WHERE account_id = $1 AND pr.id = $2), '?') END $$;
CREATE FUNCTION pg_temp.m(acc bigint, id bigint) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT CASE WHEN $2 IS NULL THEN NULL ELSE coalesce('m' || (SELECT n FROM mr WHERE account_id = $1 AND mr.id = $2), '?') END $$;
CREATE FUNCTION pg_temp.e(acc bigint, id bigint) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT CASE WHEN $2 IS NULL THEN NULL ELSE coalesce('e' || (SELECT n FROM er WHERE account_id = $1 AND er.id = $2), '?') END $$;
CREATE FUNCTION pg_temp.i(acc bigint, ids bigint[]) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT string_agg(coalesce('i' || (SELECT n FROM ir WHERE account_id = $1 AND ir.id = x), '?'), ',' ORDER BY o)
       FROM unnest($2) WITH ORDINALITY AS t(x, o) $$;
CREATE FUNCTION pg_temp.detail(acc bigint, d jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_agg(x.e
           || CASE WHEN jsonb_typeof(x.e->'other_profile') = 'number'
                   THEN jsonb_build_object('other_profile', pg_temp.p($1, (x.e->>'other_profile')::bigint)) ELSE '{}' END
           || CASE WHEN jsonb_typeof(x.e->'merge_id') = 'number'
                   THEN jsonb_build_object('merge_id', pg_temp.m($1, (x.e->>'merge_id')::bigint)) ELSE '{}' END
           || CASE WHEN x.e->>'kind' = 'profile' AND x.e->>'value' ~ '^[0-9]+$'
                   THEN jsonb_build_object('value', pg_temp.p($1, (x.e->>'value')::bigint)) ELSE '{}' END
           ORDER BY x.o)
    FROM jsonb_array_elements($2) WITH ORDINALITY AS x(e, o) $$;

SELECT 'profile', p.account_id, pg_temp.p(p.account_id, p.profile_id), p.external_id, p.email, p.phone,
       p.properties, pg_temp.p(p.account_id, p.merged_into)
  FROM profile_merge.profiles p ORDER BY p.account_id, p.profile_id;
SELECT 'identifier', i.account_id, pg_temp.i(i.account_id, ARRAY[i.identifier_id]), i.kind, i.value,
       pg_temp.p(i.account_id, i.profile_id), i.source, pg_temp.e(i.account_id, i.event_id),
       pg_temp.m(i.account_id, i.merge_id), i.detached_at IS NOT NULL, i.detach_reason,
       pg_temp.e(i.account_id, i.detached_by_event)
  FROM profile_merge.identifiers i ORDER BY i.account_id, i.identifier_id;
SELECT 'event', v.account_id, pg_temp.e(v.account_id, v.event_id), v.source, v.email_normalized, v.phone_e164,
       pg_temp.p(v.account_id, v.profile_id), v.outcome, pg_temp.detail(v.account_id, v.detail)
  FROM profile_merge.events v ORDER BY v.account_id, v.event_id;
SELECT 'consent', c.account_id, c.channel, c.value, c.status, c.source, c.method,
       pg_temp.e(c.account_id, c.event_id), pg_temp.p(c.account_id, c.profile_id)
  FROM profile_merge.consents c ORDER BY c.account_id, c.consent_id;
SELECT 'merge', g.account_id, pg_temp.m(g.account_id, g.merge_id), pg_temp.p(g.account_id, g.survivor_id),
       pg_temp.p(g.account_id, g.merged_id), pg_temp.e(g.account_id, g.event_id), g.reason,
       g.unmerged_at IS NOT NULL, g.survivor_before - 'updated_at', g.merged_before - 'updated_at',
       pg_temp.i(g.account_id, g.moved_identifiers), pg_temp.i(g.account_id, g.added_identifiers)
  FROM profile_merge.merges g ORDER BY g.account_id, g.merge_id;
