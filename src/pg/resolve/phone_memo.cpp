#include "pg/resolve/phone_memo.hpp"

#include "core/memo.hpp"

#include <csignal>
#include <exception>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>
#include <unordered_set>

namespace pm::pg {

namespace {

constexpr std::size_t kPhoneMemoCapacity = 50000;  // per generation
// Longer raw values are not worth keeping (they are junk, and would let one
// event pin megabytes).
constexpr std::size_t kMaxMemoKey = 64;

core::Memo<core::Normalized>& memo() {
    static core::Memo<core::Normalized> instance(kPhoneMemoCapacity);
    return instance;
}

std::string memo_key(std::string_view text, char spelling, std::string_view region,
                     core::PhoneAccept accept) {
    std::string key;
    key.reserve(text.size() + region.size() + 3);
    key.append(region).push_back(accept == core::PhoneAccept::Valid ? 'v' : 'p');
    key.push_back(spelling);  // 'd': digits (phone_memo_form), 't': as typed
    key.push_back('\x1f');
    key.append(text);
    return key;
}

// Where a number typed as `raw` is kept: under its digits when it has a
// memo form (core::phone_memo_form), else as typed. Spellings with one form
// agree on whether the number is accepted and on its E.164 form, but a
// refusal's reason may quote the text, so a refusal kept under the digits
// only says "refused"; its reason is kept as typed as well.
struct MemoKeys {
    std::string primary;
    bool by_digits;
};

MemoKeys memo_keys(std::string_view raw, std::string_view region, core::PhoneAccept accept) {
    if (auto form = core::phone_memo_form(raw)) return {memo_key(*form, 'd', region, accept), true};
    return {memo_key(raw, 't', region, accept), false};
}

// The memo's answer for `raw`, or nullptr.
const core::Normalized* find(const MemoKeys& keys, std::string_view raw, std::string_view region,
                             core::PhoneAccept accept) {
    const core::Normalized* hit = memo().find(keys.primary);
    if (hit == nullptr || hit->ok() || !keys.by_digits) return hit;
    return memo().find(memo_key(raw, 't', region, accept));
}

void keep(const MemoKeys& keys, std::string_view raw, std::string_view region,
          core::PhoneAccept accept, core::Normalized n) {
    if (keys.by_digits && !n.ok()) memo().put(memo_key(raw, 't', region, accept), n);
    memo().put(keys.primary, std::move(n));
}

}  // namespace

core::Normalized cached_normalize_phone(std::string_view raw, std::string_view region,
                                        core::PhoneAccept accept) {
    if (raw.size() > kMaxMemoKey) return core::normalize_phone(raw, region, accept);
    const MemoKeys keys = memo_keys(raw, region, accept);
    if (const core::Normalized* hit = find(keys, raw, region, accept)) return *hit;
    core::Normalized n = core::normalize_phone(raw, region, accept);
    keep(keys, raw, region, accept, n);
    return n;
}

void prewarm_phone_memo(const std::vector<PhoneRequest>& requests) {
    std::vector<const PhoneRequest*> todo;
    std::vector<MemoKeys> todo_keys;
    std::unordered_set<std::string> seen;
    for (const PhoneRequest& r : requests) {
        if (r.raw.size() > kMaxMemoKey) continue;
        MemoKeys keys = memo_keys(r.raw, r.region, r.accept);
        if (find(keys, r.raw, r.region, r.accept) || !seen.insert(keys.primary).second) continue;
        todo.push_back(&r);
        todo_keys.push_back(std::move(keys));
    }
    if (todo.size() < 64) return;  // not worth threads; the replay will normalize them

    const unsigned workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<core::Normalized> results(todo.size());
    std::vector<std::exception_ptr> failures(workers);
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            // Signals are the backend's business: they must reach the main
            // thread, never these.
            sigset_t all;
            sigfillset(&all);
            pthread_sigmask(SIG_BLOCK, &all, nullptr);
            try {
                for (std::size_t i = w; i < todo.size(); i += workers)
                    results[i] = core::normalize_phone(todo[i]->raw, todo[i]->region, todo[i]->accept);
            } catch (...) {
                failures[w] = std::current_exception();
            }
        });
    }
    for (std::thread& t : threads) t.join();
    for (const auto& f : failures)
        if (f) std::rethrow_exception(f);
    for (std::size_t i = 0; i < todo.size(); ++i)
        keep(todo_keys[i], todo[i]->raw, todo[i]->region, todo[i]->accept, std::move(results[i]));
}

}  // namespace pm::pg
