-- A deterministic event generator over the pmtest pool (needs lib/pool.sql):
-- pmtest.gen_events(first, last, accounts, salt, tag) returns rows in the
-- column order of profile_merge.events' application columns, one per i in
-- [first, last], with the same mix of sources, fields and noise as
-- lib/pgbench_event.sql. tag, when not NULL, is put in the properties (key
-- "tag") so the rows of one load can be told apart, also in the profiles
-- they touch.
CREATE FUNCTION pmtest.r(i bigint, salt int, k int, n int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT 1 + (abs(hashint8(i * 1000003 + salt * 131 + k)::bigint) % n)::int $$;

CREATE FUNCTION pmtest.gen_events(first bigint, last bigint, accounts bigint[], salt int, tag text DEFAULT NULL)
RETURNS TABLE (account_id bigint, source text, profile_hint bigint, email text, phone text,
               phone_region text, external_id text, sms_consent boolean, email_consent boolean,
               properties jsonb)
LANGUAGE sql STABLE AS $$
    SELECT v.a, sh.source,
           CASE WHEN pmtest.r(i, salt, 10, 100) <= sh.p_hint THEN pmtest.r(i, salt, 11, 2500) END,
           CASE WHEN pmtest.r(i, salt, 12, 100) <= sh.p_email THEN pmtest.email_raw(v.e, v.fmt) END,
           CASE WHEN pmtest.r(i, salt, 13, 100) <= sh.p_phone THEN pmtest.phone_raw(v.ph, v.fmt) END,
           CASE WHEN pmtest.r(i, salt, 13, 100) <= sh.p_phone THEN pmtest.phone_region(v.ph, v.fmt) END,
           CASE WHEN pmtest.r(i, salt, 14, 100) <= sh.p_ext THEN 'cust-' || v.x END,
           CASE pmtest.r(i, salt, 15, 5) WHEN 1 THEN true WHEN 2 THEN false END,
           CASE pmtest.r(i, salt, 16, 5) WHEN 1 THEN true WHEN 2 THEN false END,
           jsonb_build_object('k' || pmtest.r(i, salt, 17, 5), v.p)
             || CASE WHEN tag IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('tag', tag) END
      FROM generate_series(first, last) i
     CROSS JOIN LATERAL (
            SELECT a, p, s, fmt,
                   CASE WHEN je <= 75 THEN p WHEN je <= 96 THEN pmtest.r(i, salt, 5, 300) ELSE 300 + pmtest.r(i, salt, 6, 8) END AS e,
                   CASE WHEN jp <= 75 THEN p WHEN jp <= 96 THEN pmtest.r(i, salt, 7, 300) ELSE 300 + pmtest.r(i, salt, 8, 8) END AS ph,
                   CASE WHEN pmtest.r(i, salt, 9, 100) <= 85 THEN p ELSE pmtest.r(i, salt, 18, 300) END AS x
              FROM (SELECT accounts[pmtest.r(i, salt, 1, cardinality(accounts))] AS a,
                           pmtest.r(i, salt, 2, 300) AS p, pmtest.r(i, salt, 3, 100) AS s,
                           pmtest.r(i, salt, 4, 100) AS je, pmtest.r(i, salt, 19, 100) AS jp,
                           pmtest.r(i, salt, 20, 4) AS fmt) z) v
      JOIN pmtest.shape sh ON v.s BETWEEN sh.lo AND sh.hi
     ORDER BY i
$$;
