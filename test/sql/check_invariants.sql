-- The invariants every suite ends with (DESIGN.md sections 3 and 6). Each
-- query prints the number of violations: 0 is the only right answer.
-- Included by the pg_regress suites with \ir ../test/sql/check_invariants.sql

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

-- profiles.email/phone/external_id equal the attached identifiers
SELECT count(*) AS columns_not_matching_identifiers
  FROM profile_merge.profiles p
 WHERE p.merged_into IS NULL AND (
       p.email IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i
                                  WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                                    AND i.kind = 'email' AND i.detached_at IS NULL)
    OR p.phone IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i
                                  WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                                    AND i.kind = 'phone' AND i.detached_at IS NULL)
    OR p.external_id IS DISTINCT FROM (SELECT value FROM profile_merge.identifiers i
                                  WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                                    AND i.kind = 'external_id' AND i.detached_at IS NULL));

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
