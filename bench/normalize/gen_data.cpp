// Deterministic input for bench/normalize (fixed seed, own PRNG, so the same
// files come out on every machine with the same libphonenumber).
//
//   gen_data OUTDIR
//
// writes
//   OUTDIR/phones_distinct.tsv  1,000,000 rows "raw<TAB>region", every raw
//                               text and every E.164 number distinct
//   OUTDIR/phones_repeat.tsv    1,000,000 rows drawn uniformly (with
//                               repetition) from 100,000 distinct numbers:
//                               a stream of events, the same raw text each
//                               time a number recurs
//   OUTDIR/phones_warm.tsv      10,000 more distinct numbers, in none of
//                               the above: the warm-up pass of every
//                               measurement (loads libphonenumber's metadata
//                               and regular expressions, fills no memo entry
//                               that the timed pass could hit)
//   OUTDIR/emails.txt           1,000,000 distinct addresses, one a line
//
// Every phone number is valid for libphonenumber (IsValidNumber) and every
// address is one normalize_email accepts, so count(normalize_*(x)) never
// raises and every row costs a full normalization. The region column is the
// region the form was filled in (the "phone_region" of an event): the
// number's own region, or, for numbers written with an international
// prefix ("00 49 ...", "011 44 ..."), the region dialled from.
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

constexpr std::size_t kRows = 1000000;
constexpr std::size_t kDistinctInRepeat = 100000;
constexpr std::size_t kWarmRows = 10000;
constexpr std::uint64_t kSeed = 20240615;

// splitmix64: tiny, portable, and the same sequence everywhere.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

// --------------------------------------------------------------- phones

struct RegionMix {
    const char* region;
    unsigned weight;  // percent
};
// Mostly North American, then Western Europe, then a few large others.
const std::vector<RegionMix> kRegions = {
    {"US", 50}, {"GB", 12}, {"DE", 10}, {"FR", 10}, {"AU", 6}, {"IN", 6}, {"BR", 6},
};

// Real US area codes (a spread of states), so numbers look like ones people
// type rather than the few prefixes of the metadata's example numbers.
const std::vector<int> kUsAreaCodes = {
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219,
    224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267,
    269, 270, 276, 281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315,
    316, 317, 318, 319, 320, 321, 323, 325, 330, 331, 334, 336, 337, 339, 347, 351, 352,
    360, 361, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417,
    419, 423, 424, 425, 430, 432, 434, 435, 440, 443, 469, 478, 479, 480, 484, 501, 502,
    503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541,
    551, 559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585, 586, 601, 602, 603,
    605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 630,
    631, 636, 641, 646, 650, 651, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707,
    708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754,
    757, 760, 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805,
    806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847,
    848, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 878, 901, 903, 904, 906,
    907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 931, 936,
    937, 940, 941, 947, 949, 951, 952, 954, 956, 970, 971, 972, 973, 978, 979, 980, 985,
};

std::string digits_only(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c >= '0' && c <= '9') out += c;
    return out;
}

std::string replace_all(std::string s, char from, char to) {
    for (char& c : s)
        if (c == from) c = to;
    return s;
}

std::string remove_all(std::string s, char what) {
    std::string out;
    for (char c : s)
        if (c != what) out += c;
    return out;
}

class PhoneGen {
public:
    explicit PhoneGen(Rng& rng) : rng_(rng), util_(*PhoneNumberUtil::GetInstance()) {
        for (const RegionMix& r : kRegions) {
            std::vector<std::string> shapes;
            for (auto type : {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE}) {
                PhoneNumber ex;
                if (util_.GetExampleNumberForType(r.region, type, &ex)) {
                    std::string nsn;
                    util_.GetNationalSignificantNumber(ex, &nsn);
                    shapes.push_back(nsn);
                }
            }
            shapes_.push_back(shapes);
        }
    }

    // A random valid number and the region of its row.
    void next(PhoneNumber* pn, std::string* region) {
        unsigned roll = static_cast<unsigned>(rng_.below(100)), acc = 0;
        std::size_t ri = 0;
        for (; ri < kRegions.size(); ++ri) {
            acc += kRegions[ri].weight;
            if (roll < acc) break;
        }
        *region = kRegions[ri].region;
        const int cc = util_.GetCountryCodeForRegion(*region);
        for (;;) {
            std::string nsn;
            if (*region == "US") {
                nsn = std::to_string(rng_.pick(kUsAreaCodes)) +
                      std::to_string(200 + rng_.below(800));
                std::string line = std::to_string(rng_.below(10000));
                nsn += std::string(4 - line.size(), '0') + line;
            } else {
                // Keep the first two digits of an example number of the
                // region (fixed line or mobile) and draw the rest.
                nsn = rng_.pick(shapes_[ri]);
                for (std::size_t i = 2; i < nsn.size(); ++i)
                    nsn[i] = static_cast<char>('0' + rng_.below(10));
            }
            pn->Clear();
            pn->set_country_code(cc);
            pn->set_national_number(std::stoull(nsn));
            ++attempts_;
            if (util_.IsValidNumber(*pn)) return;
        }
    }

    // The number as a person might type it, and the region to read it with.
    std::string render(const PhoneNumber& pn, std::string* region) {
        std::string intl, national, e164;
        util_.Format(pn, PhoneNumberUtil::INTERNATIONAL, &intl);
        util_.Format(pn, PhoneNumberUtil::NATIONAL, &national);
        util_.Format(pn, PhoneNumberUtil::E164, &e164);
        const bool us = *region == "US";
        switch (rng_.below(us ? 10 : 8)) {
            case 0: return e164;                              // +14155550132
            case 1: return intl;                              // +1 415-555-0132, +44 20 7946 0018
            case 2: return replace_all(intl, '-', ' ');       // +1 415 555 0132
            case 3: return national;                          // (415) 555-0132, 020 7946 0018
            case 4: return digits_only(national);             // 4155550132, 02079460018
            case 5: {                                         // dotted national
                std::string s = replace_all(replace_all(national, ' ', '.'), '-', '.');
                return remove_all(remove_all(s, '('), ')');   // 415.555.0132, 030.123456
            }
            case 6: {                                         // dialled from abroad
                const char* from = us ? "GB" : "US";
                std::string s;
                util_.FormatOutOfCountryCallingNumber(pn, from, &s);  // 00 1 415..., 011 44 20 ...
                *region = from;
                return s;
            }
            case 7: {                                         // tel: URI
                std::string s;
                util_.Format(pn, PhoneNumberUtil::RFC3966, &s);
                return s;                                     // tel:+1-415-555-0132
            }
            case 8: return "1-" + replace_all(remove_all(remove_all(national, '('), ')'), ' ', '-');
            default: return "+1 " + national;                 // +1 (415) 555-0132
        }
    }

    std::uint64_t attempts() const { return attempts_; }

private:
    Rng& rng_;
    const PhoneNumberUtil& util_;
    std::vector<std::vector<std::string>> shapes_;
    std::uint64_t attempts_ = 0;
};

// --------------------------------------------------------------- emails

const std::vector<std::string> kFirst = {
    "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william",
    "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah",
    "charles", "karen", "chris", "nancy", "daniel", "lisa", "matthew", "betty", "anthony",
    "margaret", "mark", "sandra", "olivia", "liam", "emma", "noah", "amelia", "oliver", "ava",
    "elijah", "sophia", "lucas", "mia", "mateo", "isabella", "levi", "chloe", "hannah", "yuki",
    "priya", "arjun", "fatima", "mohammed", "wei", "jose", "lea", "lukas", "camille", "hugo"};
const std::vector<std::string> kLast = {
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
    "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor",
    "moore", "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "sanchez",
    "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright",
    "scott", "torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall",
    "mueller", "schmidt", "dubois", "patel", "singh", "kumar", "silva", "santos", "tanaka"};
const std::vector<std::string> kFreeDomains = {
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
    "proton.me", "gmx.de", "web.de", "orange.fr", "yahoo.co.uk", "btinternet.com",
    "hotmail.co.uk", "live.com", "msn.com", "comcast.net", "verizon.net", "uol.com.br",
    "bigpond.com", "rediffmail.com"};
const std::vector<std::string> kWords = {
    "acme", "globex", "initech", "umbrella", "stark", "wayne", "hooli", "vandelay", "soylent",
    "tyrell", "cyberdyne", "wonka", "gringotts", "oceanic", "monarch", "aperture", "blue-sun",
    "pied-piper", "dunder", "sterling", "prestige", "northwind", "contoso", "fabrikam"};
const std::vector<std::string> kTlds = {"com", "net", "org", "io", "co.uk", "de", "fr",
                                        "com.au", "com.br", "in", "us", "co"};
// Internationalized domains (1% of rows): these go through ICU UTS #46.
const std::vector<std::string> kIdnDomains = {
    "bücher.de", "müller-bau.de", "café-paris.fr", "straße.example", "xn--bcher-kva.de",
    "例え.jp", "пример.рф", "français.ca"};

std::string mixed_case(Rng& rng, const std::string& s) {
    std::string out = s;
    switch (rng.below(3)) {
        case 0:  // Capitalized words
            for (std::size_t i = 0; i < out.size(); ++i)
                if ((i == 0 || !std::isalpha(static_cast<unsigned char>(out[i - 1]))) &&
                    out[i] >= 'a' && out[i] <= 'z')
                    out[i] = static_cast<char>(out[i] - 32);
            return out;
        case 1:  // ALL CAPS (ASCII only)
            for (char& c : out)
                if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
            return out;
        default:  // random letters upper
            for (char& c : out)
                if (c >= 'a' && c <= 'z' && rng.chance(30)) c = static_cast<char>(c - 32);
            return out;
    }
}

std::string make_email(Rng& rng) {
    const std::string& f = rng.pick(kFirst);
    const std::string& l = rng.pick(kLast);
    std::string local;
    switch (rng.below(7)) {
        case 0: local = f + "." + l; break;
        case 1: local = f.substr(0, 1) + l; break;
        case 2: local = f + "_" + l + std::to_string(rng.below(100)); break;
        case 3: local = f + l + std::to_string(1950 + rng.below(60)); break;
        case 4: local = f + "." + l + "+" + (rng.chance(50) ? "news" : "shop"); break;
        case 5: local = l + "." + f.substr(0, 1); break;
        default: local = f + std::to_string(rng.below(10000)); break;
    }
    std::string domain;
    const unsigned d = static_cast<unsigned>(rng.below(100));
    if (d < 1) domain = rng.pick(kIdnDomains);
    else if (d < 60) domain = rng.pick(kFreeDomains);
    else if (d < 70) domain = "mail." + rng.pick(kWords) + "." + rng.pick(kTlds);
    else domain = rng.pick(kWords) + std::to_string(rng.below(1000)) + "." + rng.pick(kTlds);
    std::string addr = local + "@" + domain;
    if (rng.chance(25)) addr = mixed_case(rng, addr);
    if (rng.chance(10)) addr = (rng.chance(50) ? " " : "") + addr + (rng.chance(70) ? " " : "  ");
    return addr;
}

// --------------------------------------------------------------- main

template <typename Row>
void write_lines(const std::string& path, const std::vector<Row>& rows) {
    std::ofstream out(path, std::ios::binary);
    for (const auto& r : rows) out << r << '\n';
    if (!out) {
        std::cerr << "cannot write " << path << "\n";
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: gen_data OUTDIR\n";
        return 2;
    }
    const std::string dir = argv[1];
    Rng rng{kSeed};

    // Phones: distinct E.164 numbers and distinct raw texts. The raw text
    // never contains a tab, backslash or newline (COPY text format).
    PhoneGen gen(rng);
    std::vector<std::string> phones;
    phones.reserve(kRows);
    std::unordered_set<std::string> seen_e164, seen_raw;
    const auto& util = *PhoneNumberUtil::GetInstance();
    while (phones.size() < kRows + kWarmRows) {
        PhoneNumber pn;
        std::string region;
        gen.next(&pn, &region);
        std::string e164;
        util.Format(pn, PhoneNumberUtil::E164, &e164);
        if (!seen_e164.insert(e164).second) continue;
        std::string raw = gen.render(pn, &region);
        if (!seen_raw.insert(raw).second) continue;
        phones.push_back(raw + "\t" + region);
    }
    const std::vector<std::string> warm(phones.begin() + kRows, phones.end());
    phones.resize(kRows);
    write_lines(dir + "/phones_distinct.tsv", phones);
    write_lines(dir + "/phones_warm.tsv", warm);

    std::vector<std::string> repeat;
    repeat.reserve(kRows);
    for (std::size_t i = 0; i < kRows; ++i) repeat.push_back(phones[rng.below(kDistinctInRepeat)]);
    write_lines(dir + "/phones_repeat.tsv", repeat);

    std::vector<std::string> emails;
    emails.reserve(kRows);
    std::unordered_set<std::string> seen_email;
    while (emails.size() < kRows) {
        std::string e = make_email(rng);
        if (seen_email.insert(e).second) emails.push_back(e);
    }
    write_lines(dir + "/emails.txt", emails);

    std::cerr << "gen_data: " << kRows << " phones (" << gen.attempts()
              << " candidates drawn), " << kRows << " repeated phones over "
              << kDistinctInRepeat << ", " << kRows << " emails in " << dir << "\n";
    return 0;
}
