-- Issue 13, items 7, 8 and 10: the admin views, a merge that could not be
-- undone, and one rule for NULL arguments of the admin functions.
SET search_path = public, profile_merge;
\pset null '<NULL>'
\set VERBOSITY default
-- ids and times depend on the suites run before: shown as names
CREATE FUNCTION pg_temp.named(t text, ids bigint[], names text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. cardinality(ids) LOOP
        t := regexp_replace(t, '(?<![0-9])' || ids[i] || '(?![0-9])', names[i], 'g');
    END LOOP;
    t := regexp_replace(t, 'undone at .*', 'undone at <time>');
    RETURN regexp_replace(t, '\m(I|event |merge )\d+', '\1#', 'g');
END $$;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

------------------------------------------------------------------------------
-- Item 7: explain_profile shows a conflict's value and other profile
------------------------------------------------------------------------------
SELECT profile_id AS ema FROM identify(1320, 'form', email => 'ema@example.com') \gset
SELECT profile_id AS pho FROM identify(1320, 'sms_keyword', phone => '+1 312 555 0147') \gset
SELECT outcome FROM identify(1320, 'checkout', email => 'ema@example.com', phone => '+1 312 555 0147');
SELECT step, kind, value, pg_temp.named(detail, ARRAY[:pho], '{pho}') AS detail
  FROM explain_profile(1320, :ema) WHERE step = 'event' ORDER BY event_id;

------------------------------------------------------------------------------
-- Item 7: an event that changes properties only says which keys it set
------------------------------------------------------------------------------
SELECT outcome FROM identify(1320, 'form', email => 'ema@example.com', properties => '{"plan": "gold", "tier": 2}');
SELECT outcome, jsonb_array_length(detail) AS entries FROM events
 WHERE account_id = 1320 ORDER BY event_id DESC LIMIT 1;
\x on
SELECT d.* FROM events e, jsonb_array_elements(e.detail) d
 WHERE e.account_id = 1320 AND e.event_id = (SELECT max(event_id) FROM events WHERE account_id = 1320);
\x off
-- the same properties again change nothing: matched, no entry
SELECT outcome FROM identify(1320, 'form', email => 'ema@example.com', properties => '{"plan": "gold"}');

------------------------------------------------------------------------------
-- Item 7: profile_graph declares the survivor of a tombstone, and draws an
-- undone merge as undone, not as a live merge edge
------------------------------------------------------------------------------
SELECT profile_id AS old FROM identify(1321, 'sms_keyword', phone => '+1 646 555 0101') \gset
SELECT profile_id AS young FROM identify(1321, 'form', email => 'young@example.com') \gset
SELECT merge_profiles(1321, :old, :young) AS m1 \gset
SELECT pg_temp.named(profile_graph(1321, :young), ARRAY[:old, :young], '{old,young}') AS tombstone_graph;
SELECT unmerge(1321, :m1) = :young AS unmerged;
SELECT pg_temp.named(profile_graph(1321, :old), ARRAY[:old, :young], '{old,young}') AS graph_after_unmerge;

------------------------------------------------------------------------------
-- Item 8: a sign-up that creates a profile and merges it away in the same
-- event can be undone: the re-activated profile gets what that event gave.
------------------------------------------------------------------------------
INSERT INTO sources VALUES ('newsletter', '{email}', true, '{}', '{email,phone}', 1322);
SELECT profile_id AS sam FROM identify(1322, 'sms_keyword', phone => '+1 415 555 0199', sms_consent => true) \gset
SELECT outcome FROM identify(1322, 'newsletter', email => 'ana@example.com', phone => '+1 415 555 0199',
                             email_consent => true, properties => '{"list": "weekly"}');
SELECT merge_id AS m2, merged_id AS ana FROM merges WHERE account_id = 1322 \gset
SELECT cardinality(moved_identifiers) AS moved FROM merges WHERE account_id = 1322;
SELECT unmerge(1322, :m2) = :ana AS reactivated;
SELECT profile_id = :sam AS is_sam, email, phone, properties, merged_into FROM profiles
 WHERE account_id = 1322 ORDER BY profile_id;
SELECT profile_id = :sam AS is_sam, email, email_status, phone, sms_status FROM profile_consent
 WHERE account_id = 1322 ORDER BY profile_id;
SELECT step, kind, value FROM explain_profile(1322, :ana) WHERE step IN ('given back', 'unmerged');
-- undone twice: 55000
SELECT pg_temp.named(pg_temp.try(format('SELECT profile_merge.unmerge(1322, %s)', :m2)), ARRAY[:m2], '{m2}');
-- the same with a source that identifies by external_id only (it was
-- refused with 55000 "moved no identifier" before 0.4.0)
INSERT INTO sources VALUES ('crm', '{external_id}', true, '{}', '{external_id,email}', 1323);
SELECT outcome FROM identify(1323, 'form', email => 'una@example.com');
SELECT outcome FROM identify(1323, 'crm', external_id => 'U-1', email => 'una@example.com');
SELECT merge_id AS m3 FROM merges WHERE account_id = 1323 \gset
SELECT unmerge(1323, :m3) IS NOT NULL AS undone;
SELECT count(*) FILTER (WHERE merged_into IS NULL) AS active FROM profiles WHERE account_id = 1323;
-- and one whose event's value was replaced later names that event
SELECT profile_id AS vic FROM identify(1324, 'sms_keyword', phone => '+1 415 555 0177') \gset
INSERT INTO sources VALUES ('newsletter', '{email}', true, '{}', '{email,phone}', 1324);
SELECT outcome FROM identify(1324, 'newsletter', email => 'v1@example.com', phone => '+1 415 555 0177');
SELECT merge_id AS m4 FROM merges WHERE account_id = 1324 \gset
SELECT outcome FROM identify(1324, 'api', profile_hint => :vic, email => 'v2@example.com');
SELECT pg_temp.named(pg_temp.try(format('SELECT profile_merge.unmerge(1324, %s)', :m4)), ARRAY[:m4], '{m4}');

------------------------------------------------------------------------------
-- Item 10: every admin function raises 22023 for a NULL argument, naming
-- it (ingest's order_by excepted: NULL is its documented default)
------------------------------------------------------------------------------
SELECT profile_id AS a FROM identify(1325, 'form', email => 'a@null.example') \gset
SELECT profile_id AS b FROM identify(1325, 'form', email => 'b@null.example') \gset
SELECT call, pg_temp.named(pg_temp.try(replace(replace(call, ' a', ' ' || :a), ' b', ' ' || :b)),
                            ARRAY[:a, :b], '{a,b}') AS result FROM (VALUES
    ('SELECT profile_merge.merge_profiles(NULL, a, b)'),
    ('SELECT profile_merge.merge_profiles(1325, NULL, b)'),
    ('SELECT profile_merge.merge_profiles(1325, a, NULL)'),
    ('SELECT profile_merge.merge_profiles(1325, a, b, NULL)'),
    ('SELECT profile_merge.merge_profiles(1325, a, b, ''x'', NULL)'),
    ('SELECT profile_merge.unmerge(NULL::bigint)'),
    ('SELECT profile_merge.unmerge(NULL, 1)'),
    ('SELECT profile_merge.unmerge(1325, NULL)'),
    ('SELECT profile_merge.explain_profile(NULL, a)'),
    ('SELECT profile_merge.explain_profile(1325, NULL)'),
    ('SELECT profile_merge.profile_graph(NULL, a)'),
    ('SELECT profile_merge.profile_graph(1325, NULL)'),
    ('SELECT profile_merge.ingest(NULL)'),
    ('SELECT profile_merge.ingest(NULL, ''seq'')')
) AS c(call);
-- nothing was merged by those calls
SELECT count(*) AS merges FROM merges WHERE account_id = 1325;
