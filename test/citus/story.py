#!/usr/bin/env python3
"""Turns a story suite (sql/rules_*.sql) into a script that runs on a Citus
coordinator and on one node alike: only its INSERT statements, each
INSERT ... RETURNING <list> written as
    WITH r AS (INSERT ... RETURNING *) SELECT <list> FROM r;
so that the suite's pg_temp helpers (test/sql/story_helpers.sql) run on the
coordinator over the returned rows instead of being sent to a worker, where
pg_temp does not exist. The state the suite inspects with SELECTs is compared
whole instead (test/citus/canon.sql).
Usage: story.py sql/rules_behaviours.sql > out.sql"""
import re
import sys

text = open(sys.argv[1]).read()
out = ["SET search_path = profile_merge, public;", "\\pset null '(null)'",
       "\\i test/sql/story_helpers.sql"]
# show() is an SQL function reading profile_merge.merges with its argument,
# which Citus cannot plan ("parameters in SQL functions", then "correlated
# subqueries ... set returning function"): the same result in PL/pgSQL, one
# element at a time, with the pg_temp helpers called on the coordinator
# only. Used on both sides.
out.append("DROP FUNCTION pg_temp.show(jsonb);")  # story_helpers.sql returns text now
out.append(r"""CREATE FUNCTION pg_temp.show(detail jsonb) RETURNS jsonb
LANGUAGE plpgsql STRICT AS $f$
DECLARE e jsonb; shown jsonb := '[]'; sv bigint; mg bigint;
BEGIN
    FOR e IN SELECT t.e FROM jsonb_array_elements(detail) WITH ORDINALITY AS t(e, n) ORDER BY t.n LOOP
        IF e->>'kind' = 'profile' AND e->>'value' ~ '^[0-9]+$' THEN
            e := e || jsonb_build_object('value', pg_temp.who((e->>'value')::bigint));
        END IF;
        IF jsonb_typeof(e->'other_profile') = 'number' THEN
            e := e || jsonb_build_object('other_profile', pg_temp.who((e->>'other_profile')::bigint));
        END IF;
        IF e ? 'merge_id' THEN
            SELECT m.survivor_id, m.merged_id INTO sv, mg FROM profile_merge.merges m
             WHERE m.merge_id = (e->>'merge_id')::bigint;
            e := e || jsonb_build_object('merge_id', CASE WHEN sv IS NOT NULL THEN pg_temp.who(sv) || ' <- ' || pg_temp.who(mg) END);
        END IF;
        shown := shown || jsonb_build_array(e);
    END LOOP;
    RETURN shown;
END $f$;""")
statement = []
for line in text.splitlines():
    if not statement and not line.startswith("INSERT INTO"):
        continue
    statement.append(line)
    if line.rstrip().endswith(";"):
        sql = "\n".join(statement).rstrip().rstrip(";")
        statement = []
        m = re.search(r"\bRETURNING\b", sql)
        if m:
            sql = "WITH r AS (%s RETURNING *)\nSELECT %s FROM r" % (sql[:m.start()].rstrip(), sql[m.end():].strip())
        out.append(sql + ";")
print("\n".join(out))
