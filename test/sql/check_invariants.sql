-- The invariants every suite ends with (DESIGN.md sections 3 and 6). Each
-- query prints the number of violations: 0 is the only right answer.
-- Included by the pg_regress suites with \ir test/sql/check_invariants.sql
-- (pg_regress feeds a suite to psql on stdin, so the path is relative to the
-- directory make runs in, the repository root).

-- no identifier attached to two active profiles (the unique index makes this
-- impossible; checked anyway) and none attached to a tombstone
SELECT count(*) AS identifiers_on_two_profiles FROM (
    SELECT account_id, kind, value FROM profile_merge.identifiers
     WHERE detached_at IS NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d;

SELECT count(*) AS identifiers_on_tombstones
  FROM profile_merge.identifiers i
  JOIN profile_merge.profiles p USING (account_id, profile_id)
 WHERE i.detached_at IS NULL AND p.merged_into IS NOT NULL;

SELECT count(*) AS tombstones_holding_values
  FROM profile_merge.profiles
 WHERE merged_into IS NOT NULL AND num_nonnulls(email, phone, external_id) > 0;

-- no profile holds two attached values of one kind
SELECT count(*) AS profiles_with_two_values_of_a_kind FROM (
    SELECT account_id, profile_id, kind FROM profile_merge.identifiers
     WHERE detached_at IS NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d;

-- profiles.email/phone/external_id equal the attached identifiers
SELECT count(*) AS columns_not_matching_identifiers
  FROM profile_merge.profiles p
  LEFT JOIN LATERAL (
        SELECT max(value) FILTER (WHERE kind = 'email') AS email,
               max(value) FILTER (WHERE kind = 'phone') AS phone,
               max(value) FILTER (WHERE kind = 'external_id') AS external_id
          FROM profile_merge.identifiers i
         WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
           AND i.detached_at IS NULL) a ON true
 WHERE p.merged_into IS NULL
   AND (p.email, p.phone, p.external_id) IS DISTINCT FROM (a.email, a.phone, a.external_id);

-- every event not rejected points to an existing profile of its own account
SELECT count(*) AS events_without_profile
  FROM profile_merge.events e
 WHERE e.outcome <> 'rejected'
   AND NOT EXISTS (SELECT FROM profile_merge.profiles p
                    WHERE p.account_id = e.account_id AND p.profile_id = e.profile_id);

-- merged_into never crosses accounts and never points at itself
SELECT count(*) AS bad_tombstones
  FROM profile_merge.profiles p
 WHERE p.merged_into = p.profile_id
    OR (p.merged_into IS NOT NULL AND NOT EXISTS (
        SELECT FROM profile_merge.profiles s
         WHERE s.account_id = p.account_id AND s.profile_id = p.merged_into));
