-- The identifier pool the load tests draw from (schema pmtest of the test's
-- own database): a few hundred persons, each with an e-mail address, a phone
-- number and an external id, written in varying ways, plus a few invalid and
-- blocked values. Persons 1..300 are usable; 301..305 invalid; 306..308 blocked.
--   pmtest.email_raw(n, fmt)   the address of person n as typed (fmt 1..4)
--   pmtest.phone_raw(n, fmt)   the number of person n as typed (fmt 1..4)
--   pmtest.phone_region(n, fmt) the phone_region an app would send with it
--   pmtest.shape               which fields each source's events carry
CREATE SCHEMA pmtest;

CREATE TABLE pmtest.pool_email (n int PRIMARY KEY, raw text NOT NULL);
INSERT INTO pmtest.pool_email
SELECT n, (ARRAY['anna','bob','carla','dmitri','eve','farid','gina','hiro','ines','jon'])[1 + n % 10]
          || '.' || (ARRAY['smith','garcia','nguyen','muller','kim','okafor','rossi'])[1 + (n / 10) % 7]
          || n || '@'
          || (ARRAY['gmail.com','example.org','shop.co.uk','mail.de','acme-corp.com','bücher.example'])[1 + n % 6]
  FROM generate_series(1, 300) n;
INSERT INTO pmtest.pool_email VALUES
  (301, 'john@'), (302, 'foo at bar.com'), (303, 'a@b'), (304, 'two@@at.com'), (305, '   '),
  (306, 'test@test.com'), (307, 'TEST@example.com'), (308, 'noreply@example.com');

-- 290 valid US numbers (checked with the extension's own normalizer) and 10
-- GB numbers written nationally (they need phone_region GB).
CREATE TABLE pmtest.pool_phone (n int PRIMARY KEY, national text NOT NULL, region text NOT NULL);
INSERT INTO pmtest.pool_phone
SELECT row_number() OVER (ORDER BY i), digits, 'US'
  FROM (SELECT DISTINCT ON (profile_merge.try_normalize_phone(digits, 'US')) i, digits
          FROM (SELECT i, (ARRAY['212','415','646','312','617','305','213','503','206','404'])[1 + i % 10]
                          || (200 + (i * 37) % 700)::text
                          || lpad(((i * 7919) % 10000)::text, 4, '0') AS digits
                  FROM generate_series(1, 600) i) c
         WHERE profile_merge.try_normalize_phone(digits, 'US') IS NOT NULL
           AND NOT EXISTS (SELECT FROM profile_merge.blocked_values b
                            WHERE b.kind = 'phone' AND b.value = profile_merge.try_normalize_phone(digits, 'US'))
         ORDER BY profile_merge.try_normalize_phone(digits, 'US'), i) v
 ORDER BY i
 LIMIT 290;
INSERT INTO pmtest.pool_phone
SELECT 290 + k, '020 7946 0' || lpad((k * 13)::text, 3, '0'), 'GB' FROM generate_series(1, 10) k;
INSERT INTO pmtest.pool_phone VALUES
  (301, '12345', 'US'), (302, '+1 415 55', 'US'), (303, 'call me', 'US'), (304, '(000) 123-4567', 'US'),
  (305, '', 'US'), (306, '+1 888 888 8888', 'US'), (307, '(234) 567-8900', 'US'), (308, '234.567.8901', 'US');

DO $$
BEGIN
    IF (SELECT count(*) FROM pmtest.pool_phone
         WHERE n <= 300 AND profile_merge.try_normalize_phone(national, region) IS NOT NULL) <> 300 THEN
        RAISE EXCEPTION 'the phone pool does not hold 300 valid numbers';
    END IF;
    IF (SELECT count(DISTINCT profile_merge.try_normalize_phone(national, region)) FROM pmtest.pool_phone
         WHERE n <= 300) <> 300 THEN
        RAISE EXCEPTION 'the phone pool holds duplicates';
    END IF;
    IF (SELECT count(DISTINCT profile_merge.try_normalize_email(raw)) FROM pmtest.pool_email
         WHERE n <= 300) <> 300 THEN
        RAISE EXCEPTION 'the e-mail pool does not hold 300 distinct valid addresses';
    END IF;
END $$;

CREATE FUNCTION pmtest.email_raw(n int, fmt int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN n > 300 THEN raw
                WHEN fmt = 2 THEN upper(raw)
                WHEN fmt = 3 THEN '  ' || initcap(raw) || ' '
                WHEN fmt = 4 THEN 'mailto:' || raw
                ELSE raw END
      FROM pmtest.pool_email e WHERE e.n = email_raw.n $$;

CREATE FUNCTION pmtest.phone_raw(n int, fmt int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN n > 300 THEN national
                WHEN region = 'GB' THEN
                     CASE fmt WHEN 2 THEN '+44 ' || substr(national, 2)
                              WHEN 3 THEN '00 44 ' || substr(national, 2)
                              ELSE national END
                ELSE CASE fmt WHEN 1 THEN format('(%s) %s-%s', substr(national, 1, 3), substr(national, 4, 3), substr(national, 7))
                              WHEN 2 THEN format('%s.%s.%s', substr(national, 1, 3), substr(national, 4, 3), substr(national, 7))
                              WHEN 3 THEN format('+1 %s %s %s', substr(national, 1, 3), substr(national, 4, 3), substr(national, 7))
                              ELSE format('1-%s-%s-%s', substr(national, 1, 3), substr(national, 4, 3), substr(national, 7)) END
           END
      FROM pmtest.pool_phone p WHERE p.n = phone_raw.n $$;

-- GB numbers need their region (except written with +44); US ones use the
-- default region, sometimes sent explicitly in lower case.
CREATE FUNCTION pmtest.phone_region(n int, fmt int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN region = 'GB' THEN 'GB' WHEN fmt = 4 THEN 'us' END
      FROM pmtest.pool_phone p WHERE p.n = phone_region.n $$;

-- Per source, the percentage of its events that carry each field. A source
-- is picked by a number 1..100 falling in [lo, hi].
CREATE TABLE pmtest.shape (source text PRIMARY KEY, lo int, hi int,
                           p_email int, p_phone int, p_ext int, p_hint int);
INSERT INTO pmtest.shape VALUES
  ('api',                 1,  22, 70,  60, 40, 15),
  ('form',               23,  40, 90,  60,  0, 10),
  ('checkout',           41,  58, 90,  80, 30,  0),
  ('import',             59,  68, 80,  60, 80,  0),
  ('sms_keyword',        69,  78, 10, 100,  0,  0),
  ('click_to_text',      79,  88,  0, 100,  0,  5),
  ('sms_subscribe_link', 89, 100,  0, 100,  0, 50);
