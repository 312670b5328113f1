-- The settings (DESIGN.md section 2):
--   profile_merge.default_region  region for numbers without + when none is
--                                 given; default US; stored upper-case; an
--                                 unknown region is refused (22023)
--   profile_merge.phone_accept    'valid' (default) | 'possible': what the
--                                 one-argument forms accept; the
--                                 two-argument forms always require valid
SET search_path = profile_merge, public;
\pset null '<NULL>'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

CREATE FUNCTION pg_temp.phone_result(raw text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'ok: ' || coalesce(profile_merge.normalize_phone(raw), '<NULL>');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- A custom setting exists once the library is loaded: any call loads it.
SELECT normalize_phone('(650) 253-0000');

SELECT name, setting, boot_val, reset_val, vartype, context, enumvals
  FROM pg_settings WHERE name LIKE 'profile_merge.%' ORDER BY name;
SHOW profile_merge.default_region;
SHOW profile_merge.phone_accept;

-- the prefix is reserved: a misspelt setting is an error, not a placeholder
SET profile_merge.default_regoin = 'GB';

------------------------------------------------------------------------------
-- default_region
------------------------------------------------------------------------------
-- 'gb' is accepted and stored as 'GB'
SET profile_merge.default_region = 'gb';
SHOW profile_merge.default_region;
SELECT current_setting('profile_merge.default_region');

-- its effect on the one-argument forms
SELECT pg_temp.phone_result('020 7946 0958') AS uk_national,
       pg_temp.phone_result('00 44 20 7946 0958') AS uk_00_prefix,
       pg_temp.phone_result('011 44 20 7946 0958') AS us_011_prefix,
       pg_temp.phone_result('+1 650 253 0000') AS plus_number;
SELECT pg_temp.phone_result('(650) 253-0000') AS us_national_read_as_uk;
SELECT try_normalize_phone('07911 123456') AS try_uk, try_normalize_phone('(650) 253-0000') AS try_us;
SELECT e164, region, national_format FROM phone_info('020 7946 0958');
-- the two-argument forms ignore it
SELECT normalize_phone('(650) 253-0000', 'US') AS explicit_us,
       try_normalize_phone('020 7946 0958', 'US') AS explicit_us_uk_number;

-- other spellings of known regions
SET profile_merge.default_region = 'De';
SHOW profile_merge.default_region;
SELECT normalize_phone('030 901820');
SELECT set_config('profile_merge.default_region', 'fr', false) AS set_config;
SHOW profile_merge.default_region;
SELECT normalize_phone('06 12 34 56 78');

-- unknown regions are refused with 22023, and the setting keeps its value
SET profile_merge.default_region = 'XX';
\echo :LAST_ERROR_SQLSTATE
SET profile_merge.default_region = '';
\echo :LAST_ERROR_SQLSTATE
SET profile_merge.default_region = 'USA';
SET profile_merge.default_region = 'U';
SET profile_merge.default_region = ' us';
SET profile_merge.default_region = 'ZZ';
SET profile_merge.default_region = '001';
SET profile_merge.default_region = 'United Kingdom';
SELECT set_config('profile_merge.default_region', 'UK', false);
\echo :LAST_ERROR_SQLSTATE
SHOW profile_merge.default_region;

-- transaction scoping: SET LOCAL ends with the transaction, a failed SET
-- leaves the value
BEGIN;
SET LOCAL profile_merge.default_region = 'jp';
SHOW profile_merge.default_region;
SELECT normalize_phone('090-1234-5678');
COMMIT;
SHOW profile_merge.default_region;
BEGIN;
SET profile_merge.default_region = 'AU';
ROLLBACK;
SHOW profile_merge.default_region;

-- STABLE: a prepared statement follows the setting at execution
PREPARE national(text) AS SELECT try_normalize_phone($1);
SET profile_merge.default_region = 'GB';
EXECUTE national('020 7946 0958');
SET profile_merge.default_region = 'US';
EXECUTE national('020 7946 0958');
DEALLOCATE national;

RESET profile_merge.default_region;
SHOW profile_merge.default_region;

------------------------------------------------------------------------------
-- phone_accept
------------------------------------------------------------------------------
-- +44 7700 900123 is a possible British number (right length) that
-- libphonenumber does not call valid (the 07700 900xxx drama range).
SELECT is_possible, is_valid FROM phone_info('+44 7700 900123');

SHOW profile_merge.phone_accept;
SELECT pg_temp.phone_result('+44 7700 900123') AS valid_mode,
       try_normalize_phone('+44 7700 900123') AS valid_mode_try;

SET profile_merge.phone_accept = 'possible';
SHOW profile_merge.phone_accept;
SELECT pg_temp.phone_result('+44 7700 900123') AS possible_mode,
       try_normalize_phone('+44 7700 900123') AS possible_mode_try,
       try_normalize_phone('+1 555 555 5555') AS possible_us;
-- still refused: impossible lengths, local numbers without area code, junk
SELECT pg_temp.phone_result('12') AS too_short,
       pg_temp.phone_result('555-0132') AS local_only,
       pg_temp.phone_result('+1 650 253 00000') AS too_long,
       pg_temp.phone_result('garbage') AS junk;
-- the two-argument forms always require a valid number
SELECT try_normalize_phone('+44 7700 900123', 'GB') AS two_arg_try;
SELECT normalize_phone('07700 900123', 'GB');
-- phone_info is not affected
SELECT is_possible, is_valid FROM phone_info('+44 7700 900123');
-- together with default_region
SET profile_merge.default_region = 'GB';
SELECT normalize_phone('07700 900123') AS gb_possible;
RESET profile_merge.default_region;

-- enum values are case-insensitive
SET profile_merge.phone_accept = 'VALID';
SHOW profile_merge.phone_accept;
SELECT try_normalize_phone('+44 7700 900123') AS back_to_valid;
SET profile_merge.phone_accept = 'Possible';
SHOW profile_merge.phone_accept;

-- anything else is refused, and the value stays
SET profile_merge.phone_accept = 'maybe';
\echo :LAST_ERROR_SQLSTATE
SET profile_merge.phone_accept = '';
SET profile_merge.phone_accept = 'true';
SET profile_merge.phone_accept = 'valid ';
SHOW profile_merge.phone_accept;
RESET profile_merge.phone_accept;
SHOW profile_merge.phone_accept;

------------------------------------------------------------------------------
-- Parallel workers see the session's settings
------------------------------------------------------------------------------
CREATE TABLE public.settings_uk_numbers AS
SELECT g AS id, '020 7946 ' || lpad((g % 10000)::text, 4, '0') AS phone
  FROM generate_series(1, 2000) g;
ANALYZE public.settings_uk_numbers;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET profile_merge.default_region = 'GB';
EXPLAIN (COSTS OFF) SELECT count(try_normalize_phone(phone)) FROM public.settings_uk_numbers;
SELECT count(try_normalize_phone(phone)) AS valid_in_gb FROM public.settings_uk_numbers;
RESET profile_merge.default_region;

------------------------------------------------------------------------------
-- A new session whose region is set before the library is loaded, and whose
-- first call of the extension runs in a parallel query (an application that
-- sets the region at connect time, or ALTER DATABASE ... SET, which
-- DESIGN.md section 8 recommends). The region must still be GB, in the
-- workers and afterwards in the session. (Warnings about the setting are
-- hidden: how many there are depends on how many workers start.)
------------------------------------------------------------------------------
\c
SET profile_merge.default_region = 'GB';
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT count(profile_merge.try_normalize_phone(phone)) FROM public.settings_uk_numbers;
SET client_min_messages = error;
SELECT count(profile_merge.try_normalize_phone(phone)) AS valid_in_gb FROM public.settings_uk_numbers;
RESET client_min_messages;
SELECT profile_merge.try_normalize_phone('020 7946 0958') AS after_parallel_query;
SHOW profile_merge.default_region;

-- (A session whose setting was set unchecked before the library loaded:
-- sql/first_hour_settings.)
DROP TABLE public.settings_uk_numbers;
