#include "pg/normalizer_cache.hpp"

#include "core/memo.hpp"

#include <string>

namespace pm::pg {

namespace {
constexpr std::size_t kPhoneMemoCapacity = 50000;  // per generation
// Longer raw values are not worth keeping (they are junk, and would let one
// event pin megabytes).
constexpr std::size_t kMaxMemoKey = 64;
}  // namespace

core::Normalized cached_normalize_phone(std::string_view raw, std::string_view region,
                                        core::PhoneAccept accept) {
    if (raw.size() > kMaxMemoKey) return core::normalize_phone(raw, region, accept);
    static core::Memo<core::Normalized> memo(kPhoneMemoCapacity);
    std::string key;
    key.reserve(raw.size() + region.size() + 2);
    key.append(region).push_back(accept == core::PhoneAccept::Valid ? 'v' : 'p');
    key.push_back('\x1f');
    key.append(raw);
    return memo.get(key, [&] { return core::normalize_phone(raw, region, accept); });
}

}  // namespace pm::pg
