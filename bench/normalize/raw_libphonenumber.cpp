// The limit for normalizing phone numbers with libphonenumber: a plain C++
// loop over the same rows that the SQL benchmark reads, no Postgres, no
// memo, no checks of our own.
//
//   raw_libphonenumber MODE FILE [WARM_FILE]
//
// FILE has lines "raw<TAB>region" (bench/normalize/gen_data). MODE:
//   full          Parse + IsValidNumber + Format(E164): what normalize_phone
//                 must do (it validates), so the fair baseline
//   parse-format  Parse + Format(E164) only
//
// The files are read into memory first and a warm-up pass over WARM_FILE
// (default: the first 10,000 rows of FILE) loads the metadata and compiles
// the regular expressions; only the loop over all rows of FILE is timed.
// Prints one line: rows=N ok=N secs=S cpu_secs=C rows_per_sec=R, where S is
// wall-clock time and C the CPU time of the process (on a busy machine the
// difference is time spent waiting for a core).
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

struct Row {
    std::string raw, region;
};

class SilentLogger final : public i18n::phonenumbers::Logger {
public:
    void WriteLevel() override {}
    void WriteMessage(const std::string&) override {}
};

// Returns how many rows gave an E.164 string; *bytes sums their lengths so
// the compiler cannot drop the work.
template <bool kValidate>
std::size_t run(const PhoneNumberUtil& util, const std::vector<Row>& rows, std::size_t n,
                std::size_t* bytes) {
    std::size_t ok = 0;
    std::string e164;
    for (std::size_t i = 0; i < n; ++i) {
        PhoneNumber pn;
        if (util.Parse(rows[i].raw, rows[i].region, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
            continue;
        if (kValidate && !util.IsValidNumber(pn)) continue;
        util.Format(pn, PhoneNumberUtil::E164, &e164);
        *bytes += e164.size();
        ++ok;
    }
    return ok;
}

std::vector<Row> read_rows(const char* path) {
    std::vector<Row> rows;
    std::ifstream in(path);
    if (!in) {
        std::cerr << "cannot read " << path << "\n";
        std::exit(1);
    }
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t tab = line.find('\t');
        if (tab == std::string::npos) rows.push_back({line, "US"});
        else rows.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
    return rows;
}

double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    if ((argc != 3 && argc != 4) || (std::strcmp(argv[1], "full") != 0 && std::strcmp(argv[1], "parse-format") != 0)) {
        std::cerr << "usage: raw_libphonenumber full|parse-format FILE [WARM_FILE]\n";
        return 2;
    }
    const bool validate = std::strcmp(argv[1], "full") == 0;

    std::vector<Row> rows = read_rows(argv[2]);
    std::vector<Row> warm_rows;
    if (argc == 4) warm_rows = read_rows(argv[3]);
    else warm_rows.assign(rows.begin(), rows.begin() + std::min<std::size_t>(rows.size(), 10000));

    PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
    util->SetLogger(new SilentLogger());  // as the extension does

    std::size_t bytes = 0;
    if (validate) run<true>(*util, warm_rows, warm_rows.size(), &bytes);
    else run<false>(*util, warm_rows, warm_rows.size(), &bytes);

    bytes = 0;
    const double c0 = cpu_now();
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t ok = validate ? run<true>(*util, rows, rows.size(), &bytes)
                                    : run<false>(*util, rows, rows.size(), &bytes);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_secs = cpu_now() - c0;

    std::printf("rows=%zu ok=%zu secs=%.4f cpu_secs=%.4f rows_per_sec=%.0f bytes=%zu\n", rows.size(),
                ok, secs, cpu_secs, rows.size() / secs, bytes);
    return 0;
}
