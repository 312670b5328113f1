-- Invariants beyond test/sql/check_invariants.sql, for the shell tests. Each
-- query returns one row, one column named after the check: the number of
-- violations, 0 being the only right answer.

-- a profile holds at most one attached value of each kind whose limit is 1
-- (test/sql/check_invariants.sql checks every limit)
SELECT count(*) AS profiles_with_two_values_of_a_limit_1_kind FROM (
    SELECT i.account_id, i.profile_id, i.kind FROM profile_merge.identifiers i
     WHERE i.detached_at IS NULL
       AND coalesce((SELECT k.max_per_profile FROM profile_merge.identifier_kinds k
                      WHERE k.account_id IN (0, i.account_id) AND k.kind = i.kind
                      ORDER BY k.account_id DESC LIMIT 1), 1) = 1
     GROUP BY 1, 2, 3 HAVING count(*) > 1) d;

-- every event has an outcome; a rejected event has no profile, any other has one
SELECT count(*) AS events_without_outcome FROM profile_merge.events WHERE outcome IS NULL;
SELECT count(*) AS rejected_events_with_profile
  FROM profile_merge.events WHERE outcome = 'rejected' AND profile_id IS NOT NULL;

-- an active profile holds at least one identifier (profiles are only created
-- for a value; a claim lost to a concurrent session must not leave an empty one)
SELECT count(*) AS active_profiles_without_identifiers
  FROM profile_merge.profiles p
 WHERE p.merged_into IS NULL
   AND NOT EXISTS (SELECT FROM profile_merge.identifiers i
                    WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                      AND i.detached_at IS NULL);

-- identifiers belong to a profile of their own account
SELECT count(*) AS identifiers_of_missing_profile
  FROM profile_merge.identifiers i
 WHERE NOT EXISTS (SELECT FROM profile_merge.profiles p
                    WHERE p.account_id = i.account_id AND p.profile_id = i.profile_id);

-- every merged_into chain ends at an active profile within 1000 hops
WITH RECURSIVE walk(account_id, start_id, at_id, hops) AS (
    SELECT account_id, profile_id, merged_into, 1
      FROM profile_merge.profiles WHERE merged_into IS NOT NULL
    UNION ALL
    SELECT w.account_id, w.start_id, p.merged_into, w.hops + 1
      FROM walk w JOIN profile_merge.profiles p
        ON p.account_id = w.account_id AND p.profile_id = w.at_id
     WHERE p.merged_into IS NOT NULL AND w.hops < 1000)
SELECT count(*) AS tombstones_not_reaching_active_profile
  FROM (SELECT account_id, start_id, max(hops) AS hops FROM walk GROUP BY 1, 2) w
 WHERE w.hops >= 1000;

-- nothing half-merged: a merge in place names a tombstone merged into its
-- survivor, and the survivor exists in the same account
SELECT count(*) AS merges_not_matching_tombstone
  FROM profile_merge.merges m
  LEFT JOIN profile_merge.profiles t
         ON t.account_id = m.account_id AND t.profile_id = m.merged_id
 WHERE m.unmerged_at IS NULL AND t.merged_into IS DISTINCT FROM m.survivor_id;

SELECT count(*) AS merges_with_missing_survivor
  FROM profile_merge.merges m
 WHERE m.survivor_id = m.merged_id
    OR NOT EXISTS (SELECT FROM profile_merge.profiles s
                    WHERE s.account_id = m.account_id AND s.profile_id = m.survivor_id);

-- every tombstone was made by a merge that is still in place
SELECT count(*) AS tombstones_without_merge
  FROM profile_merge.profiles t
 WHERE t.merged_into IS NOT NULL
   AND NOT EXISTS (SELECT FROM profile_merge.merges m
                    WHERE m.account_id = t.account_id AND m.merged_id = t.profile_id
                      AND m.survivor_id = t.merged_into AND m.unmerged_at IS NULL);

-- the identifiers a merge moved are detached, their copies are on the survivor
SELECT count(*) AS merge_copies_not_on_survivor
  FROM profile_merge.merges m
  CROSS JOIN LATERAL unnest(m.added_identifiers) AS a(identifier_id)
  JOIN profile_merge.identifiers i ON i.account_id = m.account_id AND i.identifier_id = a.identifier_id
 WHERE m.unmerged_at IS NULL AND (i.profile_id <> m.survivor_id OR i.merge_id IS DISTINCT FROM m.merge_id);

SELECT count(*) AS merge_moved_rows_still_attached
  FROM profile_merge.merges m
  CROSS JOIN LATERAL unnest(m.moved_identifiers) AS a(identifier_id)
  JOIN profile_merge.identifiers i ON i.account_id = m.account_id AND i.identifier_id = a.identifier_id
 WHERE m.unmerged_at IS NULL AND i.detached_at IS NULL;

-- consent rows tied to a profile name one of their own account
SELECT count(*) AS consents_of_missing_profile
  FROM profile_merge.consents c
 WHERE c.profile_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM profile_merge.profiles p
                    WHERE p.account_id = c.account_id AND p.profile_id = c.profile_id);

-- consent rows written for an event name an event of their own account
SELECT count(*) AS consents_of_missing_event
  FROM profile_merge.consents c
 WHERE c.event_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM profile_merge.events e
                    WHERE e.account_id = c.account_id AND e.event_id = c.event_id);
