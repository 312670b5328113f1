-- pgbench script: one consent row inserted directly into the ledger (an SMS
-- STOP/START reply, a double opt-in confirmation), for the same pool.
\set a random(1, 3)
\set np CASE WHEN :a = 1 THEN :hot ELSE 300 END
\set n random(1, :np)
\set ch random(1, 2)
\set st random(1, 2)
\set fmt random(1, 3)
INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
VALUES (:a,
        CASE :ch WHEN 1 THEN 'sms' ELSE 'email' END,
        CASE :ch WHEN 1 THEN pmtest.phone_raw(:n, CASE WHEN :n > 290 THEN 2 ELSE :fmt END)
                 ELSE pmtest.email_raw(:n, :fmt) END,
        CASE :st WHEN 1 THEN 'subscribed' ELSE 'unsubscribed' END,
        CASE :ch WHEN 1 THEN 'sms_keyword' ELSE 'form' END,
        'pgbench_direct');
