-- Account 3 is an SMS-only account: its api events identify people by phone
-- alone (DESIGN.md section 4, case 3). Accounts 1 and 2 use the defaults.
INSERT INTO profile_merge.sources (source, identify_by, merges, may_override, accepts, account_id)
VALUES ('api', '{phone}', true, '{phone}', '{phone}', 3);
