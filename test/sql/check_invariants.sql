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
    -- no profile holds more values of a kind than the kind's limit
    -- (identifier_kinds: the account's row, else account 0's, else 1)
    SELECT 'more values of a kind than its limit', count(*) FROM (
        SELECT 1 FROM profile_merge.identifiers i WHERE detached_at IS NULL
         GROUP BY account_id, profile_id, kind
        HAVING count(*) > coalesce(
            (SELECT k.max_per_profile FROM profile_merge.identifier_kinds k
              WHERE k.account_id IN (0, i.account_id) AND k.kind = i.kind
              ORDER BY k.account_id DESC LIMIT 1), 1)) d
    UNION ALL
    -- profiles.email/phone/external_id hold each kind's primary among the
    -- attached identifiers (DESIGN.md 4b: the values whose latest consent
    -- is 'subscribed' first, then the most recently attached, then the
    -- highest identifier id), NULL when none is attached
    SELECT 'columns not the primary identifiers', count(*)
      FROM profile_merge.profiles p
      LEFT JOIN LATERAL (
            SELECT (array_agg(value ORDER BY subscribed DESC, attached_at DESC, identifier_id DESC)
                      FILTER (WHERE kind = 'email'))[1] AS email,
                   (array_agg(value ORDER BY subscribed DESC, attached_at DESC, identifier_id DESC)
                      FILTER (WHERE kind = 'phone'))[1] AS phone,
                   (array_agg(value ORDER BY attached_at DESC, identifier_id DESC)
                      FILTER (WHERE kind = 'external_id'))[1] AS external_id
              FROM (SELECT i.*, coalesce((
                           SELECT c.status = 'subscribed' FROM profile_merge.consents c
                            WHERE c.account_id = i.account_id
                              AND c.channel = CASE i.kind WHEN 'phone' THEN 'sms' ELSE 'email' END
                              AND c.value = i.value
                            ORDER BY c.consent_id DESC LIMIT 1), false) AS subscribed
                      FROM profile_merge.identifiers i
                     WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                       AND i.detached_at IS NULL) v) a ON true
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
