-- pgbench script of test/citus/run.sh: one event per transaction through the
-- coordinator, on accounts 201-203 (:a0 moves the range), each a pool of 40
-- persons whose values overlap (one person's e-mail with another's phone):
-- merges, conflicts and claims racing on the same identifiers.
\set a random(1, 3)
\set p random(1, 40)
\set q CASE WHEN random(1, 100) <= 70 THEN :p ELSE random(1, 40) END
\set s random(1, 5)
\set c random(0, 3)
INSERT INTO profile_merge.events (account_id, source, email, phone, sms_consent, properties)
VALUES (:a0 + :a,
        (ARRAY['api', 'form', 'checkout', 'import', 'sms_keyword'])[:s],
        CASE WHEN :s <> 5 THEN 'Person' || :p || '@Example.org' END,
        CASE WHEN :c <> 0 THEN '(415) 555-' || lpad((100 + :q)::text, 4, '0') END,
        (ARRAY[NULL, true, false, NULL]::boolean[])[:c + 1],
        jsonb_build_object('client', :client_id));
