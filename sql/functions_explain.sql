-- explain_profile() and profile_graph() (DESIGN.md section 5). Account 550, 551.
-- Ids come from sequences other suites share: they are printed by name
-- (through \gset variables and a names table), never raw; timestamps are
-- not printed.
SET search_path = profile_merge, public;
-- Rows wider than 160 characters wrap within the width (a long detail).
\pset format wrapped
\pset columns 160

\ir test/sql/named_ids.sql

-- explain_profile with names instead of ids
CREATE FUNCTION pg_temp.explain(account bigint, id bigint)
RETURNS TABLE (step text, profile text, kind text, value text, source text, event text, merge text,
               consent text, detail text)
    LANGUAGE sql STABLE AS $$
    SELECT x.step, pg_temp.n(x.profile_id), x.kind, x.value, x.source, pg_temp.n(x.event_id, 'event'),
           pg_temp.n(x.merge_id, 'merge'), pg_temp.n(x.consent_id, 'consent'), pg_temp.rel(x.detail)
      FROM profile_merge.explain_profile(account, id) WITH ORDINALITY AS x
     ORDER BY x.ordinality
$$;

------------------------------------------------------------------------------
-- A history: events, attachment, override, merges, an unmerge, consents
------------------------------------------------------------------------------
-- rae signs up by email, subscribed
SELECT profile_id AS rae FROM identify(550, 'form', email => 'rae@example.com', email_consent => true) \gset
-- sol texts a keyword
SELECT profile_id AS sol FROM identify(550, 'sms_keyword', phone => '+1 646 555 0190', sms_consent => true) \gset
-- a form with both: sol merged into rae
SELECT outcome FROM identify(550, 'form', email => 'rae@example.com', phone => '646 555 0190');
-- a checkout with a new number: overrides
SELECT outcome FROM identify(550, 'checkout', email => 'rae@example.com', phone => '646 555 0191');
-- tam, merged by hand into rae, then unmerged
SELECT profile_id AS tam FROM identify(550, external_id => 'T-1', properties => '{"t": 1}') \gset
SELECT merge_profiles(550, :tam, :rae, reason => 'looked alike') AS m \gset
SELECT unmerge(550, :m) = :tam AS tam_back;
-- STOP for rae's number, written straight into the ledger
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (550, 'sms', '(646) 555-0191', 'unsubscribed', 'sms_keyword', 'STOP reply');
-- vic holds a number; a checkout puts it beside rae's email: conflict
SELECT profile_id AS vic FROM identify(550, 'click_to_text', phone => '+1 646 555 0192') \gset
SELECT outcome FROM identify(550, 'checkout', email => 'rae@example.com', phone => '646 555 0192');
-- another account's events never show
SELECT outcome FROM identify(551, email => 'rae@example.com');

INSERT INTO names VALUES ('profile', :rae, 'rae'), ('profile', :sol, 'sol'), ('profile', :tam, 'tam'),
                         ('profile', :vic, 'vic');
INSERT INTO names SELECT 'event', event_id, 'e' || row_number() OVER (ORDER BY event_id)
                    FROM events WHERE account_id = 550;
INSERT INTO names SELECT 'merge', merge_id, 'm' || row_number() OVER (ORDER BY merge_id)
                    FROM merges WHERE account_id = 550;
INSERT INTO names SELECT 'consent', consent_id, 'c' || row_number() OVER (ORDER BY consent_id)
                    FROM consents WHERE account_id = 550;
INSERT INTO names SELECT 'identifier', identifier_id, 'i' || row_number() OVER (ORDER BY identifier_id)
                    FROM identifiers WHERE account_id = 550;
SELECT pg_temp.n(event_id, 'event') AS event, source, pg_temp.n(profile_id) AS profile, outcome
  FROM events WHERE account_id = 550 ORDER BY event_id;

------------------------------------------------------------------------------
-- explain_profile: oldest first, rae and the profiles merged into her
------------------------------------------------------------------------------
SELECT * FROM pg_temp.explain(550, :rae);
-- the columns it returns
SELECT pg_get_function_result('explain_profile'::regproc) AS returns;
-- rows are oldest first
SELECT bool_and(at >= prev) AS oldest_first
  FROM (SELECT at, lag(at, 1, '-infinity') OVER (ORDER BY ord) AS prev
          FROM explain_profile(550, :rae) WITH ORDINALITY AS x(at, step, profile_id, kind, value, source,
                                                               event_id, merge_id, consent_id, detail, ord)) s;
-- a tombstone's own history, pointing at its survivor
SELECT * FROM pg_temp.explain(550, :sol);
-- tam, active again: her creation, and her history before and after the merge
SELECT * FROM pg_temp.explain(550, :tam);

-- unknown or other account's profile: 22023
SELECT pg_temp.try('SELECT * FROM profile_merge.explain_profile(550, -1)');
SELECT pg_temp.try(format('SELECT * FROM profile_merge.explain_profile(551, %s)', :rae));
SELECT pg_temp.try('SELECT * FROM profile_merge.explain_profile(550, NULL)');

------------------------------------------------------------------------------
-- profile_graph: a Mermaid flowchart
------------------------------------------------------------------------------
SELECT profile_graph(550, :rae) AS graph \gset
SELECT starts_with(:'graph', E'flowchart LR\n') AS mermaid_flowchart,
       position(format('P%s["profile %s (active)"]', :rae, :rae) IN :'graph') > 0 AS names_rae;
SELECT pg_temp.rel(:'graph') AS rae_graph;
SELECT pg_temp.rel(profile_graph(550, :sol)) AS sol_graph;
SELECT pg_temp.rel(profile_graph(550, :tam)) AS tam_graph;
SELECT pg_temp.try('SELECT profile_merge.profile_graph(550, -1)');
SELECT pg_temp.try(format('SELECT profile_merge.profile_graph(551, %s)', :rae));

------------------------------------------------------------------------------
-- A profile created by an event that also conflicted: its creation names
-- that event and comes before what the event attached
------------------------------------------------------------------------------
SELECT profile_id AS ora FROM identify(552, email => 'ora@example.com', phone => '+1 646 555 0193') \gset
SELECT event_id AS e9, profile_id AS pia, outcome
  FROM identify(552, 'checkout', email => 'pia@example.com', phone => '646 555 0193') \gset
\echo :outcome
INSERT INTO names VALUES ('profile', :ora, 'ora'), ('profile', :pia, 'pia'), ('event', :e9, 'e9');
INSERT INTO names SELECT 'identifier', identifier_id, 'i' || row_number() OVER (ORDER BY identifier_id)
                    FROM identifiers WHERE account_id = 552;
SELECT * FROM pg_temp.explain(552, :pia);
SELECT pg_temp.rel(profile_graph(552, :pia)) AS pia_graph;

-- The shared invariants (every count must be 0). pg_regress feeds this file
-- to psql on stdin, so \ir resolves against the working directory (the top
-- of the source tree). Their text is not echoed, only their results, so that
-- rewording them does not change this suite's expected output.
\set ECHO none
\ir test/sql/check_invariants.sql
\set ECHO all
