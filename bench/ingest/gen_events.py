#!/usr/bin/env python3
"""Deterministic event generator for bench/ingest (stdlib only).

Writes a CSV (no header) with the columns
  account_id, source, profile_hint, email, phone, phone_region,
  external_id, sms_consent, email_consent, properties
for COPY profile_merge.events (...) FROM STDIN (FORMAT csv).

The data model: per account a population of "persons", each with an
e-mail, a US phone number and (for most) an external id. Every event is a
person showing up through one of the seven sources with a subset of their
identifiers, typed in varying formats. Noise makes the interesting cases
frequent:
  - another person's phone or e-mail   -> merges (api/form/import) or
                                          conflicts (checkout, incompatible)
  - a fresh phone / e-mail             -> overrides (may_override) or conflicts
  - a profile_hint                     -> hint-driven merges / conflicts
  - ~5% invalid identifiers, ~1% blocked ones, some '' (absent) fields.

With --identifiers F, an 11th column, identifiers (events.identifiers,
DESIGN.md 3), on a fraction F of the events that are not SMS ones: the
person's second address and one of their three anonymous ids, as
{"email": ["w.<address>"], "anonymous_id": "anon-<account>-<person>-<device>"}.
It draws from a generator of its own, so the other columns are the same
stream as without it (bench/kinds).

Usage: gen_events.py [--events N] [--accounts A] [--persons P] [--seed S] [--identifiers F] > out.csv
"""
import argparse
import csv
import json
import random
import sys

SOURCES = [  # (name, weight)
    ("api", 24), ("form", 20), ("checkout", 20), ("import", 10),
    ("sms_keyword", 10), ("click_to_text", 8), ("sms_subscribe_link", 8),
]
# Area codes that libphonenumber's US metadata knows (exchanges 2xx-9xx,
# avoiding N11 and 555, are then valid fixed-line-or-mobile numbers).
AREA_CODES = ["212", "415", "646", "312", "617", "305", "213", "503", "206", "404",
              "718", "917", "510", "702", "713", "214", "602", "303", "612", "919"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me",
           "example.org", "shop.co.uk", "acme-corp.com", "mail.de", "fastmail.fm"]
FIRST = ["anna", "bob", "carla", "dmitri", "eve", "farid", "gina", "hiro", "ines", "jon",
         "kofi", "lena", "marco", "nia", "omar", "pia", "quinn", "rosa", "sam", "tara"]
LAST = ["smith", "garcia", "nguyen", "muller", "kim",
        "okafor", "rossi", "ivanova", "chen", "dubois", "silva", "cohen", "patel", "berg"]
INVALID_EMAILS = ["john@", "foo at bar.com", "a@b", "@example.com", "two@@at.com",
                  "no-at-sign.example.com", "x@-bad-.com", "spaces in@mail.com"]
INVALID_PHONES = ["12345", "+1 415 55", "(000) 123-4567", "call me", "555-0199",
                  "+1 (111) 222-3333", "0", "+999 123"]
BLOCKED_EMAILS = ["test@test.com", "TEST@example.com", "a@a.com", "noreply@example.com"]
# Blocked values are checked after validation: of the default list only
# +12345678900, +12345678901 and +18888888888 are valid numbers, the others
# (like +10000000000) come out as "invalid", which is fine too.
BLOCKED_PHONES = ["+10000000000", "(234) 567-8900", "+1 888 888 8888", "234.567.8901"]
PLANS = ["free", "basic", "gold", "platinum"]
CITIES = ["NYC", "SF", "Chicago", "Boston", "Miami", "LA", "Portland", "Seattle"]


def phone_digits(rng):
    area = rng.choice(AREA_CODES)
    while True:
        exch = rng.randrange(200, 1000)
        if exch % 100 != 11 and exch != 555 and exch != 950 and exch != 958 and exch != 959:
            break
    return area, "%03d" % exch, "%04d" % rng.randrange(10000)


def fmt_phone(rng, p):
    a, e, s = p
    r = rng.random()
    if r < 0.25:
        return "(%s) %s-%s" % (a, e, s)
    if r < 0.45:
        return "%s.%s.%s" % (a, e, s)
    if r < 0.65:
        return "+1 %s %s %s" % (a, e, s)
    if r < 0.80:
        return "%s-%s-%s" % (a, e, s)
    if r < 0.92:
        return "%s%s%s" % (a, e, s)
    return "1 (%s) %s-%s" % (a, e, s)


def fmt_email(rng, e):
    r = rng.random()
    if r < 0.70:
        return e
    if r < 0.85:
        local, dom = e.split("@")
        return local.capitalize() + "@" + dom.upper()
    if r < 0.95:
        return "  " + e + " "
    return "mailto:" + e


class Account:
    def __init__(self, rng, account_id, persons):
        self.id = account_id
        self.emails, self.phones, self.ext = [], [], []
        seen_e, seen_p = set(), set()
        for k in range(persons):
            while True:
                e = "%s.%s%d@%s" % (rng.choice(FIRST), rng.choice(LAST), rng.randrange(100000),
                                    rng.choice(DOMAINS))
                if e not in seen_e:
                    break
            seen_e.add(e)
            while True:
                p = phone_digits(rng)
                if p not in seen_p:
                    break
            seen_p.add(p)
            self.emails.append(e)
            self.phones.append(p)
            self.ext.append("C%d-%06d" % (account_id, k) if rng.random() < 0.7 else None)
        self.fresh = 0

    def fresh_email(self, rng):
        self.fresh += 1
        return "new%d.%d@%s" % (self.id, self.fresh, rng.choice(DOMAINS))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--accounts", type=int, default=5)
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--identifiers", type=float, default=None)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    extra_rng = random.Random(args.seed + 1)
    accounts = [Account(rng, a + 1, args.persons) for a in range(args.accounts)]
    src_names = [s for s, _ in SOURCES]
    src_weights = [w for _, w in SOURCES]
    # Profile ids are one sequence over all accounts; hints are drawn from a
    # plausible range (most exist, some belong to another account / none).
    hint_max = args.persons * args.accounts * 2

    out = csv.writer(sys.stdout, lineterminator="\n")
    for n in range(args.events):
        acct = rng.choice(accounts)
        source = rng.choices(src_names, src_weights)[0]
        # Skewed: some people show up far more often than others.
        k = int(args.persons * rng.random() ** 1.6)
        sms = source in ("sms_keyword", "click_to_text", "sms_subscribe_link")
        if sms:
            p_email, p_phone, p_ext, p_hint = 0.08, 1.0, 0.0, 0.03
        elif source == "api":
            p_email, p_phone, p_ext, p_hint = 0.70, 0.50, 0.50, 0.10
        elif source == "form":
            p_email, p_phone, p_ext, p_hint = 0.90, 0.55, 0.03, 0.06
        elif source == "checkout":
            p_email, p_phone, p_ext, p_hint = 0.90, 0.70, 0.60, 0.0
        else:  # import
            p_email, p_phone, p_ext, p_hint = 0.80, 0.50, 0.80, 0.0

        email = phone = ext = hint = region = None
        if rng.random() < p_email:
            r = rng.random()
            if r < 0.04:
                email = acct.emails[rng.randrange(args.persons)]     # someone else's
            elif r < 0.07:
                email = acct.fresh_email(rng)                        # a new address
            else:
                email = acct.emails[k]
            email = fmt_email(rng, email)
        if rng.random() < p_phone:
            r = rng.random()
            if r < 0.08:
                p = acct.phones[rng.randrange(args.persons)]         # someone else's
            elif r < 0.14:
                p = phone_digits(rng)                                # a new number
            else:
                p = acct.phones[k]
            phone = fmt_phone(rng, p)
            if rng.random() < 0.10:
                region = "US"
        if rng.random() < p_ext and acct.ext[k]:
            ext = acct.ext[k] if rng.random() > 0.03 else "C%d-X%d" % (acct.id, rng.randrange(10**6))
        if rng.random() < p_hint:
            hint = rng.randrange(1, hint_max)

        # Noise: ~5% invalid, ~1% blocked, ~1% empty strings (= absent).
        r = rng.random()
        if r < 0.05:
            if rng.random() < 0.5 or sms:
                phone = rng.choice(INVALID_PHONES)
            else:
                email = rng.choice(INVALID_EMAILS)
        elif r < 0.06:
            if rng.random() < 0.5 or sms:
                phone = rng.choice(BLOCKED_PHONES)
            else:
                email = rng.choice(BLOCKED_EMAILS)
        elif r < 0.07:
            if email is None:
                email = ""
            if phone is None:
                phone = "  "

        sms_consent = email_consent = None
        if phone is not None:
            r = rng.random()
            if sms:
                sms_consent = r < 0.90 or None
                if r > 0.97:
                    sms_consent = False
            elif r < 0.15:
                sms_consent = True
            elif r < 0.18:
                sms_consent = False
        if email is not None and source in ("form", "checkout", "api"):
            r = rng.random()
            if r < 0.25:
                email_consent = True
            elif r < 0.28:
                email_consent = False

        r = rng.random()
        if r < 0.30:
            props = {"plan": rng.choice(PLANS), "visits": rng.randrange(1, 50)}
            if rng.random() < 0.5:
                props["city"] = rng.choice(CITIES)
            props = json.dumps(props, separators=(",", ":"))
        elif r < 0.35:
            props = "{}"
        else:
            props = None

        b = lambda v: None if v is None else ("t" if v else "f")
        row = [acct.id, source, hint, email, phone, region, ext,
               b(sms_consent), b(email_consent), props]
        if args.identifiers is not None:
            extra = None
            if extra_rng.random() < args.identifiers and not sms:
                extra = json.dumps({"email": ["w." + acct.emails[k]],
                                    "anonymous_id": "anon-%d-%d-%d" % (acct.id, k, extra_rng.randrange(3))},
                                   separators=(",", ":"))
            row.append(extra)
        out.writerow(row)


if __name__ == "__main__":
    main()
