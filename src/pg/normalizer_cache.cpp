#include "pg/normalizer_cache.hpp"

#include "core/memo.hpp"

#include <csignal>
#include <exception>
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

std::string memo_key(std::string_view raw, std::string_view region, core::PhoneAccept accept) {
    std::string key;
    key.reserve(raw.size() + region.size() + 2);
    key.append(region).push_back(accept == core::PhoneAccept::Valid ? 'v' : 'p');
    key.push_back('\x1f');
    key.append(raw);
    return key;
}

}  // namespace

core::Normalized cached_normalize_phone(std::string_view raw, std::string_view region,
                                        core::PhoneAccept accept) {
    if (raw.size() > kMaxMemoKey) return core::normalize_phone(raw, region, accept);
    return memo().get(memo_key(raw, region, accept),
                      [&] { return core::normalize_phone(raw, region, accept); });
}

void prewarm_phone_memo(const std::vector<PhoneRequest>& requests) {
    std::vector<const PhoneRequest*> todo;
    std::unordered_set<std::string> seen;
    for (const PhoneRequest& r : requests)
        if (r.raw.size() <= kMaxMemoKey && !memo().contains(memo_key(r.raw, r.region, r.accept)) &&
            seen.insert(memo_key(r.raw, r.region, r.accept)).second)
            todo.push_back(&r);
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
        memo().put(memo_key(todo[i]->raw, todo[i]->region, todo[i]->accept), std::move(results[i]));
}

}  // namespace pm::pg
