-- pgbench script: one event per transaction, drawn from the pmtest pool
-- (lib/pool.sql). Account 1 is "hot" (:hot persons, pgbench -D hot=N), accounts
-- 2 and 3 have 300.
-- Most events carry one person's values; the rest mix in another person's
-- (merges and conflicts), invalid or blocked values, and profile hints.
\set a random(1, 3)
\set np CASE WHEN :a = 1 THEN :hot ELSE 300 END
\set p random(1, :np)
\set s random(1, 100)
\set je random(1, 100)
\set e CASE WHEN :je <= 75 THEN :p WHEN :je <= 96 THEN random(1, :np) ELSE random(301, 308) END
\set jp random(1, 100)
\set ph CASE WHEN :jp <= 75 THEN :p WHEN :jp <= 96 THEN random(1, :np) ELSE random(301, 308) END
\set x CASE WHEN random(1, 100) <= 85 THEN :p ELSE random(1, :np) END
\set fe random(1, 100)
\set fp random(1, 100)
\set fx random(1, 100)
\set fh random(1, 100)
\set hint random(1, 2500)
\set fmt random(1, 4)
\set sc random(0, 4)
\set ec random(0, 4)
\set k random(1, 5)
INSERT INTO profile_merge.events (account_id, source, profile_hint, email, phone, phone_region,
                                  external_id, sms_consent, email_consent, properties)
SELECT :a, sh.source,
       CASE WHEN :fh <= sh.p_hint THEN :hint END,
       CASE WHEN :fe <= sh.p_email THEN pmtest.email_raw(:e, :fmt) END,
       CASE WHEN :fp <= sh.p_phone THEN pmtest.phone_raw(:ph, :fmt) END,
       CASE WHEN :fp <= sh.p_phone THEN pmtest.phone_region(:ph, :fmt) END,
       CASE WHEN :fx <= sh.p_ext THEN CASE WHEN :fmt = 3 THEN ' cust-' || :x || ' ' ELSE 'cust-' || :x END END,
       CASE :sc WHEN 1 THEN true WHEN 2 THEN false END,
       CASE :ec WHEN 1 THEN true WHEN 2 THEN false END,
       jsonb_build_object('k' || :k, :p, 'client', :client_id)
  FROM pmtest.shape sh
 WHERE :s BETWEEN sh.lo AND sh.hi;
