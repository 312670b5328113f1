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
# which Citus cannot plan ("parameters in SQL functions"): the same body as
# PL/pgSQL, on both sides.
helpers = open("test/sql/story_helpers.sql").read()
body = re.search(r"CREATE FUNCTION pg_temp\.show\(detail jsonb\) RETURNS jsonb\s+LANGUAGE sql STRICT AS \$\$(.*?)\$\$;",
                 helpers, re.S).group(1)
out.append("CREATE OR REPLACE FUNCTION pg_temp.show(detail jsonb) RETURNS jsonb LANGUAGE plpgsql STRICT AS $f$\n"
           "BEGIN RETURN (%s); END $f$;" % body.strip())
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
