-- The invariants every suite ends with (DESIGN.md sections 3 and 6), as one
-- line: 'all hold', or the name and count of each violated invariant.
-- Included by the pg_regress suites with \ir test/sql/check_invariants.sql
-- (pg_regress feeds a suite to psql on stdin, so the path is relative to the
-- directory make runs in, the repository root). Quiet, so that adding a check
-- here changes no suite's expected output.
\set ECHO none
WITH checks (invariant, violations) AS (
    -- an attached value has one owner (the unique index; checked anyway)
    SELECT 'identifier on two profiles', count(*) FROM (
        SELECT 1 FROM profile_merge.identifiers WHERE detached_at IS NULL
         GROUP BY account_id, kind, value HAVING count(*) > 1) d
    UNION ALL
    SELECT 'identifier on a tombstone', count(*)
      FROM profile_merge.identifiers i
      JOIN profile_merge.profiles p USING (account_id, profile_id)
     WHERE i.detached_at IS NULL AND p.merged_into IS NOT NULL
    UNION ALL
    SELECT 'tombstone holding values', count(*)
      FROM profile_merge.profiles
     WHERE merged_into IS NOT NULL AND num_nonnulls(email, phone, external_id) > 0
    UNION ALL
    SELECT 'two values of a kind on one profile', count(*) FROM (
        SELECT 1 FROM profile_merge.identifiers WHERE detached_at IS NULL
         GROUP BY account_id, profile_id, kind HAVING count(*) > 1) d
    UNION ALL
    -- profiles.email/phone/external_id equal the attached identifiers
    SELECT 'columns not matching identifiers', count(*)
      FROM profile_merge.profiles p
      LEFT JOIN LATERAL (
            SELECT max(value) FILTER (WHERE kind = 'email') AS email,
                   max(value) FILTER (WHERE kind = 'phone') AS phone,
                   max(value) FILTER (WHERE kind = 'external_id') AS external_id
              FROM profile_merge.identifiers i
             WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
               AND i.detached_at IS NULL) a ON true
     WHERE p.merged_into IS NULL
       AND (p.email, p.phone, p.external_id) IS DISTINCT FROM (a.email, a.phone, a.external_id)
    UNION ALL
    -- every event not rejected points to a profile of its own account
    SELECT 'event without its profile', count(*)
      FROM profile_merge.events e
     WHERE e.outcome <> 'rejected'
       AND NOT EXISTS (SELECT FROM profile_merge.profiles p
                        WHERE p.account_id = e.account_id AND p.profile_id = e.profile_id)
    UNION ALL
    -- merged_into stays in the account and never points at itself
    SELECT 'bad tombstone', count(*)
      FROM profile_merge.profiles p
     WHERE p.merged_into = p.profile_id
        OR (p.merged_into IS NOT NULL AND NOT EXISTS (
            SELECT FROM profile_merge.profiles s
             WHERE s.account_id = p.account_id AND s.profile_id = p.merged_into))
    UNION ALL
    -- a merge in place has made its merged profile a tombstone of its survivor
    SELECT 'merge not reflected in profiles', count(*)
      FROM profile_merge.merges g
     WHERE g.unmerged_at IS NULL
       AND NOT EXISTS (SELECT FROM profile_merge.profiles p
                        WHERE p.account_id = g.account_id AND p.profile_id = g.merged_id
                          AND p.merged_into IS NOT NULL)
)
SELECT coalesce(string_agg(invariant || ': ' || violations, ', '), 'all hold') AS invariants
  FROM checks WHERE violations > 0;
\set ECHO all
