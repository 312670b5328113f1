// How often the extension's per-backend phone memo (src/core/memo.hpp, with
// the capacity that src/pg/resolve/phone_memo.cpp gives it) answers a stream
// of rows without calling libphonenumber. No libphonenumber call is made
// here: a miss only counts.
//
//   memo_hits CAPACITY FILE...     FILE: "raw<TAB>region" lines
//
// Each FILE is replayed through a fresh memo (as each SQL measurement runs in
// a new backend), after the warm-up rows if WARM=path is set in the
// environment. Prints "FILE rows=N misses=M hit_rate=H".
#include "core/memo.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

namespace {

// The key cached_normalize_phone builds: region, acceptance, 0x1F, raw.
std::string key_of(const std::string& line) {
    const std::size_t tab = line.find('\t');
    const std::string raw = tab == std::string::npos ? line : line.substr(0, tab);
    const std::string region = tab == std::string::npos ? "US" : line.substr(tab + 1);
    return region + "v\x1f" + raw;
}

void replay(pm::core::Memo<int>& memo, const char* path, std::size_t* rows, std::size_t* misses) {
    std::ifstream in(path);
    if (!in) {
        std::cerr << "cannot read " << path << "\n";
        std::exit(1);
    }
    std::string line;
    while (std::getline(in, line)) {
        ++*rows;
        memo.get(key_of(line), [&] {
            ++*misses;
            return 0;
        });
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: memo_hits CAPACITY FILE...\n";
        return 2;
    }
    const std::size_t capacity = std::strtoul(argv[1], nullptr, 10);
    for (int i = 2; i < argc; ++i) {
        pm::core::Memo<int> memo(capacity);
        std::size_t rows = 0, misses = 0;
        if (const char* warm = std::getenv("WARM")) replay(memo, warm, &rows, &misses);
        rows = misses = 0;
        replay(memo, argv[i], &rows, &misses);
        std::printf("%s rows=%zu misses=%zu hit_rate=%.1f%%\n", argv[i], rows, misses,
                    100.0 * (rows - misses) / rows);
    }
    return 0;
}
