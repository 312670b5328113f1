#pragma once
#include "core/no_postgres.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>

namespace pm::core {

// A bounded memo of string -> Value with two generations: when the current
// generation holds `capacity` entries it becomes the old one and the older
// is dropped; a hit in the old generation is carried over. Memory stays
// under two generations; hot keys survive. Used to avoid parsing the same
// phone number twice in a backend (libphonenumber costs ~30 us a number).
template <typename Value>
class Memo {
public:
    explicit Memo(std::size_t capacity) : capacity_(capacity) {}

    template <typename Compute>
    const Value& get(const std::string& key, Compute&& compute) {
        if (auto it = current_.find(key); it != current_.end()) return it->second;
        if (auto it = old_.find(key); it != old_.end()) return insert(key, std::move(it->second));
        return insert(key, compute());
    }

    // The entry of `key`, or nullptr (a hit in the old generation is
    // carried over, as in get()).
    const Value* find(const std::string& key) {
        if (auto it = current_.find(key); it != current_.end()) return &it->second;
        if (auto it = old_.find(key); it != old_.end()) return &insert(key, std::move(it->second));
        return nullptr;
    }

    bool contains(const std::string& key) const {
        return current_.count(key) > 0 || old_.count(key) > 0;
    }

    // Keeps v under key unless the current generation has the key already.
    void put(const std::string& key, Value v) { insert(key, std::move(v)); }

    void clear() {
        current_.clear();
        old_.clear();
    }
    std::size_t size() const { return current_.size() + old_.size(); }

private:
    const Value& insert(const std::string& key, Value v) {
        if (current_.size() >= capacity_) {
            old_ = std::move(current_);
            current_ = {};
        }
        return current_.emplace(key, std::move(v)).first->second;
    }

    std::size_t capacity_;
    std::unordered_map<std::string, Value> current_, old_;
};

}  // namespace pm::core
