// Helpers shared by the libFuzzer targets of test/fuzz: a check macro that
// aborts with a readable message (libFuzzer then saves the input as a crash
// artifact), a UTF-8 validator and a small strict JSON parser used to check
// detail_json().
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pm::fuzz {

// Called before aborting to describe what the target was looking at (set by
// each target; built lazily so that passing inputs cost nothing).
using Describe = std::string (*)();
inline Describe& describer() {
    static Describe d = nullptr;
    return d;
}

[[noreturn]] inline void fail(const char* file, int line, const char* cond, const char* fmt, ...) {
    std::fprintf(stderr, "\n==== INVARIANT VIOLATED at %s:%d: %s\n", file, line, cond);
    if (fmt != nullptr && *fmt != '\0') {
        std::va_list ap;
        va_start(ap, fmt);
        std::vfprintf(stderr, fmt, ap);
        va_end(ap);
        std::fputc('\n', stderr);
    }
    if (describer() != nullptr) std::fprintf(stderr, "---- context\n%s\n", describer()().c_str());
    std::fflush(stderr);
    std::abort();
}

// CHECK(cond, "printf format", args...): abort with a message when false.
#define PM_CHECK(cond, ...)                                                         \
    do {                                                                            \
        if (!(cond)) ::pm::fuzz::fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__); \
    } while (0)

// Known issues to look past: PM_FUZZ_KNOWN="name,name" turns the checks named
// so (PM_CHECK_KNOWN) off, so that a long campaign can go on after a bug is
// found and reported. The names are listed in test/fuzz/README.md; no check
// carries one at present (the six issues found so far are resolved and their
// checks are plain PM_CHECKs again).
inline bool known(const char* name) {
    static const std::string list = [] {
        const char* v = std::getenv("PM_FUZZ_KNOWN");
        return "," + std::string(v ? v : "") + ",";
    }();
    return list.find("," + std::string(name) + ",") != std::string::npos;
}

#define PM_CHECK_KNOWN(name, cond, ...)                                                   \
    do {                                                                                  \
        if (!(cond) && !::pm::fuzz::known(name))                                          \
            ::pm::fuzz::fail(__FILE__, __LINE__, "[" name "] " #cond, "" __VA_ARGS__); \
    } while (0)

// Printable rendering of arbitrary bytes for messages.
inline std::string printable(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out + "\"";
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
inline bool utf8_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n;
        char32_t c;
        if (b < 0x80) {
            ++i;
            continue;
        } else if (b >= 0xC2 && b <= 0xDF) {
            n = 2;
            c = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            n = 3;
            c = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            n = 4;
            c = b & 0x07;
        } else {
            return false;
        }
        if (i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            const auto cb = static_cast<unsigned char>(s[i + k]);
            if ((cb & 0xC0) != 0x80) return false;
            c = (c << 6) | (cb & 0x3F);
        }
        if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
            (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
            return false;
        i += n;
    }
    return true;
}

// ---------------------------------------------------------------------------
// A strict JSON parser (RFC 8259 grammar; strings may hold any byte >= 0x20,
// since json_quote passes non-ASCII bytes through). Enough to check that
// detail_json() produces what jsonb_in would accept, and to read it back.

struct Json {
    enum Type { Null, Bool, Number, String, Array, Object } type = Null;
    bool boolean = false;
    std::string text;  // String: decoded bytes; Number: the literal
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;

    const Json* get(const std::string& key) const {
        for (const auto& [k, v] : members)
            if (k == key) return &v;
        return nullptr;
    }
};

class JsonParser {
public:
    explicit JsonParser(std::string_view s) : s_(s) {}

    // Parses the whole text; false (with error()) if it is not one JSON value.
    bool parse(Json* out) {
        skip_ws();
        if (!value(out, 0)) return false;
        skip_ws();
        if (i_ != s_.size()) return err("trailing characters");
        return true;
    }
    const std::string& error() const { return error_; }

private:
    bool err(const char* what) {
        if (error_.empty()) error_ = std::string(what) + " at offset " + std::to_string(i_);
        return false;
    }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }
    bool lit(std::string_view word) {
        if (s_.substr(i_, word.size()) != word) return err("bad literal");
        i_ += word.size();
        return true;
    }
    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    static void put_utf8(std::string* out, char32_t c) {
        if (c < 0x80) {
            out->push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out->push_back(static_cast<char>(0xC0 | (c >> 6)));
            out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            out->push_back(static_cast<char>(0xE0 | (c >> 12)));
            out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out->push_back(static_cast<char>(0xF0 | (c >> 18)));
            out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    bool string(std::string* out) {
        if (i_ >= s_.size() || s_[i_] != '"') return err("expected string");
        ++i_;
        while (true) {
            if (i_ >= s_.size()) return err("unterminated string");
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) return err("unescaped control character in string");
            if (c != '\\') {
                out->push_back(static_cast<char>(c));
                ++i_;
                continue;
            }
            if (++i_ >= s_.size()) return err("unterminated escape");
            switch (s_[i_]) {
                case '"': out->push_back('"'); break;
                case '\\': out->push_back('\\'); break;
                case '/': out->push_back('/'); break;
                case 'b': out->push_back('\b'); break;
                case 'f': out->push_back('\f'); break;
                case 'n': out->push_back('\n'); break;
                case 'r': out->push_back('\r'); break;
                case 't': out->push_back('\t'); break;
                case 'u': {
                    if (i_ + 4 >= s_.size()) return err("short \\u escape");
                    char32_t cp = 0;
                    for (int k = 1; k <= 4; ++k) {
                        const int h = hex(s_[i_ + k]);
                        if (h < 0) return err("bad \\u escape");
                        cp = cp * 16 + static_cast<char32_t>(h);
                    }
                    i_ += 4;
                    if (cp >= 0xD800 && cp <= 0xDFFF) return err("surrogate \\u escape");
                    // jsonb refuses \u0000.
                    if (cp == 0) return err("\\u0000 escape (jsonb refuses it)");
                    put_utf8(out, cp);
                    break;
                }
                default: return err("bad escape");
            }
            ++i_;
        }
    }
    bool number(std::string* out) {
        const std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        if (i_ >= s_.size() || !(s_[i_] >= '0' && s_[i_] <= '9')) return err("bad number");
        if (s_[i_] == '0') {
            ++i_;
        } else {
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (i_ >= s_.size() || !(s_[i_] >= '0' && s_[i_] <= '9')) return err("bad fraction");
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (i_ >= s_.size() || !(s_[i_] >= '0' && s_[i_] <= '9')) return err("bad exponent");
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        out->assign(s_.substr(start, i_ - start));
        return true;
    }
    bool value(Json* out, int depth) {
        if (depth > 64) return err("nesting too deep");
        if (i_ >= s_.size()) return err("unexpected end");
        switch (s_[i_]) {
            case 'n': out->type = Json::Null; return lit("null");
            case 't': out->type = Json::Bool; out->boolean = true; return lit("true");
            case 'f': out->type = Json::Bool; return lit("false");
            case '"': out->type = Json::String; return string(&out->text);
            case '[': {
                out->type = Json::Array;
                ++i_;
                skip_ws();
                if (i_ < s_.size() && s_[i_] == ']') {
                    ++i_;
                    return true;
                }
                while (true) {
                    out->items.emplace_back();
                    skip_ws();
                    if (!value(&out->items.back(), depth + 1)) return false;
                    skip_ws();
                    if (i_ < s_.size() && s_[i_] == ',') {
                        ++i_;
                        continue;
                    }
                    if (i_ < s_.size() && s_[i_] == ']') {
                        ++i_;
                        return true;
                    }
                    return err("expected , or ]");
                }
            }
            case '{': {
                out->type = Json::Object;
                ++i_;
                skip_ws();
                if (i_ < s_.size() && s_[i_] == '}') {
                    ++i_;
                    return true;
                }
                while (true) {
                    skip_ws();
                    std::string key;
                    if (!string(&key)) return false;
                    skip_ws();
                    if (i_ >= s_.size() || s_[i_] != ':') return err("expected :");
                    ++i_;
                    skip_ws();
                    Json v;
                    if (!value(&v, depth + 1)) return false;
                    for (const auto& m : out->members)
                        if (m.first == key) return err("duplicate key");
                    out->members.emplace_back(std::move(key), std::move(v));
                    skip_ws();
                    if (i_ < s_.size() && s_[i_] == ',') {
                        ++i_;
                        continue;
                    }
                    if (i_ < s_.size() && s_[i_] == '}') {
                        ++i_;
                        return true;
                    }
                    return err("expected , or }");
                }
            }
            default:
                out->type = Json::Number;
                return number(&out->text);
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::string error_;
};

}  // namespace pm::fuzz
