#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_rules (test/fuzz/corpus/fuzz_rules/).

fuzz_rules decodes its input with FuzzedDataProvider, which here consumes one
byte per decision from the *end* of the input. This script mirrors decode() in
fuzz_rules.cpp: it lists the bytes in consumption order and writes them
reversed. Each seed is one scenario of DESIGN.md section 4 with a default
policy of section 3. Read a seed back with

    PM_FUZZ_PRINT=1 build/fuzz/fuzz_rules test/fuzz/corpus/fuzz_rules/<name>
"""
import os
import sys

PROFILE, EXT, EMAIL, PHONE = "profile", "external_id", "email", "phone"
ALL = [PROFILE, EXT, EMAIL, PHONE]
STORED = [EXT, EMAIL, PHONE]
VALUES = {
    EXT: ["cust-1", "cust-2", "cust-3", "cust-4"],
    EMAIL: ["ana@example.com", "bob@example.org", "cy@example.net", "dee@example.io"],
    PHONE: ["+14155550100", "+14155550101", "+442079460958", "+4915123456789"],
}
RAW_PIECES = ["a", "Z", "0", "@", ".", "+", " ", '"', "\\", "\n", "\t", "\r", "\x01", "\x1f",
              "\x7f", "\u00e9", "\u20ac", "\U0001F600", "\u0085", "mailto:", "--", "/"]

# The default rows of `sources`: identify_by, merges, may_override, accepts.
POLICIES = {
    "api": ([PROFILE, EXT, EMAIL, PHONE], True, [EMAIL, PHONE, EXT], [PROFILE, EXT, EMAIL, PHONE]),
    "form": ([PROFILE, EMAIL, PHONE], True, [PHONE], [PROFILE, EMAIL, PHONE]),
    "checkout": ([EXT, EMAIL, PHONE], False, [PHONE], [EXT, EMAIL, PHONE]),
    "import": ([EXT, EMAIL, PHONE], True, [PHONE], [EXT, EMAIL, PHONE]),
    "sms_keyword": ([PHONE], False, [], [PHONE]),
    "sms_subscribe_link": ([PHONE], False, [], [PHONE]),
}


class Encoder:
    def __init__(self):
        self.bytes = []

    def byte(self, b):
        assert 0 <= b < 256
        self.bytes.append(b)

    def ordered(self, kinds, wanted):
        """ordered_kinds(): Fisher-Yates swaps from the last index down, then a
        mask. A repeated kind (only the fuzz_rules_dupkinds build reads it) is
        encoded as the 0x80 bit of the mask, the position to insert at and the
        index of the kind to repeat."""
        dup = None
        if len(set(wanted)) != len(wanted):
            pos = next(i for i, k in enumerate(wanted) if k in wanted[:i])
            dup = (pos, wanted.index(wanted[pos]))
            wanted = wanted[:pos] + wanted[pos + 1:]
        target = list(wanted) + [k for k in kinds if k not in wanted]
        cur = list(kinds)
        for i in range(len(cur) - 1, 0, -1):
            j = cur.index(target[i])
            assert j <= i
            self.byte(j)  # ConsumeIntegralInRange(0, i): one byte, taken modulo i + 1
            cur[i], cur[j] = cur[j], cur[i]
        assert cur == target
        self.byte((1 << len(wanted)) - 1 | (0x80 if dup else 0))
        if dup:
            self.byte(dup[0])  # ConsumeIntegralInRange(0, size)
            if len(wanted) > 1:
                self.byte(dup[1])  # ConsumeIntegralInRange(0, size - 1)

    def data(self):
        return bytes(reversed(self.bytes))


def seed(policy, profiles=(), identifiers=(), hint=None, sms=None, email_consent=None, props=False):
    """profiles: (id 1..6, created_at 0..3, {kind: value index});
    identifiers: (kind, validity 'usable'|'invalid'|'blocked', value index or raw pieces);
    hint: None, ('profile', index into profiles), ('tombstone', index) or ('none',)."""
    identify_by, merges, may_override, accepts = POLICIES[policy] if isinstance(policy, str) else policy
    e = Encoder()
    e.ordered(ALL, identify_by)
    e.ordered(ALL, accepts)
    e.ordered(STORED, may_override)
    e.byte(1 if merges else 0)
    e.byte(len(profiles))
    for pid, created_at, cols in profiles:
        e.byte(pid - 1)
        e.byte(created_at)
        for k in STORED:
            e.byte(4 | cols[k] if k in cols else 0)
    e.ordered(STORED, [k for k, _, _ in identifiers])
    for kind, validity, v in identifiers:
        if validity == "invalid":
            e.byte(6 << 1)
            e.byte(len(v))
            for piece in v:
                e.byte(RAW_PIECES.index(piece))
        else:
            e.byte(((7 if validity == "blocked" else 0) << 1) | (v << 4))
    if hint is None:
        e.byte(0)
    elif hint[0] == "none":
        e.byte(1)
    else:
        h = 1 | 2 | (hint[1] << 2)
        if hint[0] == "tombstone":
            h |= 0x40
        e.byte(h)
    sms_code = 0 if sms is None else (1 if sms else 2)
    email_code = 0 if email_consent is None else (1 if email_consent else 2)
    e.byte(sms_code + 3 * email_code + 9 * (1 if props else 0))
    return e.data()


SEEDS = {
    # 1. An email subscriber gives a phone number: it joins the same profile.
    "form-phone-added": seed("form", [(1, 0, {EMAIL: 0})],
                             [(EMAIL, "usable", 0), (PHONE, "usable", 0)], sms=True),
    # 2. A form connects a phone-only and an email-only profile: merged.
    "form-merge": seed("form", [(1, 0, {PHONE: 0}), (2, 1, {EMAIL: 0})],
                       [(EMAIL, "usable", 0), (PHONE, "usable", 0)]),
    # 2b. The same through an api event whose hint is the phone-only profile
    #     (named by a tombstone id that resolves to it).
    "api-hint-merge": seed("api", [(3, 1, {PHONE: 0}), (2, 0, {EMAIL: 0})],
                           [(EMAIL, "usable", 0)], hint=("tombstone", 0), props=True),
    # 4. An SMS keyword with a new number makes a phone-only profile.
    "sms-keyword-new-number": seed("sms_keyword", [(1, 0, {EMAIL: 0})], [(PHONE, "usable", 1)],
                                   sms=True),
    # 5. A checkout with the existing email and that number: conflict, no merge.
    "checkout-conflict": seed("checkout", [(1, 0, {EMAIL: 0}), (2, 1, {PHONE: 1})],
                              [(EMAIL, "usable", 0), (PHONE, "usable", 1)], sms=True),
    # 6. A checkout with a different number replaces the old one.
    "checkout-override": seed("checkout", [(1, 0, {EMAIL: 0, PHONE: 0})],
                              [(EMAIL, "usable", 0), (PHONE, "usable", 2)]),
    # 9. An SMS subscribe link makes a new profile even with a hint.
    "sms-link-hint-ignored": seed("sms_subscribe_link", [(1, 0, {EMAIL: 0})],
                                  [(PHONE, "usable", 3)], hint=("profile", 0)),
    # A new customer through the api: created with three identifiers.
    "api-created": seed("api", [], [(EXT, "usable", 0), (EMAIL, "usable", 1), (PHONE, "usable", 2)],
                        email_consent=True),
    # Nothing new: matched.
    "api-matched": seed("api", [(4, 2, {EXT: 1, EMAIL: 1})], [(EXT, "usable", 1), (EMAIL, "usable", 1)]),
    # Only an invalid email (raw text full of escapes): rejected, consent ignored.
    "form-rejected-invalid": seed("form", [], [(EMAIL, "invalid", ["a", " ", '"', "\\", "\n", "\u00e9"])],
                                  email_consent=False),
    # A blocked email next to a usable phone, an external id the import owns.
    "import-blocked": seed("import", [(5, 3, {EXT: 2})],
                           [(EXT, "usable", 2), (EMAIL, "blocked", 3), (PHONE, "usable", 1)]),
    # Three profiles, merges in a chain (external id, email and phone each on
    # its own profile; the newest is the subject).
    "import-merge-chain": seed("import", [(6, 3, {EXT: 0}), (2, 1, {EMAIL: 2}), (4, 2, {PHONE: 3})],
                               [(EXT, "usable", 0), (EMAIL, "usable", 2), (PHONE, "usable", 3)]),
}


# Inputs of the bugs found (test/fuzz/regressions/<target>/, README.md): each
# failed until its bug was resolved and guards it now. Policies are custom
# rows of `sources`.
REGRESSIONS = {
    "fuzz_rules": {
        # A source that accepts email but identifies by external_id only; the
        # event carries just an email another profile holds. The core used to
        # create a profile holding nothing (and one more each time it was
        # replayed); now the accepted kinds choose when no identify_by kind is
        # carried, and the email's owner #1 is matched.
        "empty_created": seed(([EXT], False, [], [EXT, EMAIL]), [(1, 0, {EMAIL: 0})],
                              [(EMAIL, "usable", 0)]),
        # Same kind of source, merging: a new external id and an email held by
        # a compatible profile used to give a new profile and a conflict
        # ("profiles are incompatible"), and the replay then merged. Now the
        # created profile merges into #1 (the older) in the same event, and
        # the replay changes nothing.
        "new_subject_conflict": seed(([EXT], True, [], [EXT, EMAIL]), [(1, 0, {EMAIL: 0})],
                                     [(EXT, "usable", 0), (EMAIL, "usable", 0)]),
    },
    "fuzz_rules_dupkinds": {
        # identify_by '{phone,phone}' (the CHECK constraint allows it) with
        # may_override phone: the phone was processed twice, attached and then
        # "overridden" by itself (two identical attaches, the second claim
        # always failing, and a detach of the value just attached). The layer
        # now loads policies without repeats (src/pg/resolve/policy.cpp parse_kinds),
        # and the target deduplicates the same way before decide().
        "duplicate_kinds": seed(([PHONE, PHONE], True, [PHONE], [PHONE]), [], [(PHONE, "usable", 0)]),
    },
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus", "fuzz_rules")
    if len(sys.argv) > 1:
        out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds written to {out}")
    if len(sys.argv) == 1:
        for target, inputs in REGRESSIONS.items():
            d = os.path.join(here, "regressions", target)
            os.makedirs(d, exist_ok=True)
            for name, data in inputs.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            print(f"{len(inputs)} regression inputs written to {d}")


if __name__ == "__main__":
    main()
