// The boundary between C++ and PostgreSQL (DESIGN.md 7b).
//
// Postgres reports errors with longjmp, C++ with exceptions; neither may
// cross the other. Two tools keep them apart:
//
//  * pg_call(f): runs f, which calls only Postgres C code, inside
//    PG_TRY/PG_CATCH. A Postgres error is copied, the error state flushed,
//    and after PG_END_TRY it is rethrown as a C++ PgError.
//  * PM_FUNCTION(name): defines an SQL-callable entry point whose body is
//    C++. Any exception is caught; inside the handler only plain data is
//    copied; after the handler has ended the error is raised in Postgres
//    with its SQLSTATE (a PgError is re-thrown exactly as it came).
#pragma once

#include "pg/boundary/postgres.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace pm::pg {

// A Postgres error caught by pg_call, on its way back to an entry point.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData* edata) : edata_(edata) {}
    ErrorData* edata() const { return edata_; }
    const char* what() const noexcept override;

private:
    ErrorData* edata_;  // valid until the outermost entry point is called again
};

// An error of our own with the SQLSTATE it must reach the client with.
class SqlError : public std::runtime_error {
public:
    SqlError(int sqlstate, const std::string& message, std::string detail = {},
             std::string hint = {})
        : std::runtime_error(message), sqlstate_(sqlstate), detail_(std::move(detail)),
          hint_(std::move(hint)) {}
    int sqlstate() const { return sqlstate_; }
    const std::string& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }

private:
    int sqlstate_;
    std::string detail_, hint_;
};

// 22023: the usual "bad argument" error of the extension.
[[noreturn]] void invalid_parameter(const std::string& message, const std::string& detail = {});

namespace detail {
// Runs fn(arg) inside PG_TRY/PG_CATCH; returns the copied error, or nullptr.
// The one place where PG_TRY is used, so no C++ frame ever holds state
// across its setjmp.
ErrorData* run_guarded(void (*fn)(void*), void* arg);
}  // namespace detail

// Runs f (Postgres C calls only: no C++ object with a destructor may live
// inside it, and it must not throw) and turns a Postgres error into PgError.
template <typename F>
auto pg_call(F&& f) -> decltype(f()) {
    using R = decltype(f());
    using Fn = std::remove_reference_t<F>;
    if constexpr (std::is_void_v<R>) {
        ErrorData* failure = detail::run_guarded([](void* p) { (*static_cast<Fn*>(p))(); }, &f);
        if (failure) throw PgError(failure);
    } else {
        static_assert(std::is_trivially_copyable_v<R>, "pg_call returns plain data only");
        struct Call {
            Fn* f;
            R result;
        } call{&f, R{}};
        ErrorData* failure = detail::run_guarded(
            [](void* p) {
                auto* c = static_cast<Call*>(p);
                c->result = (*c->f)();
            },
            &call);
        if (failure) throw PgError(failure);
        return call.result;
    }
}

// The body of every SQL-callable function runs through here.
Datum call_cpp(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo);

}  // namespace pm::pg

// Defines SQL-callable `name`, whose C++ body follows the macro:
//   PM_FUNCTION(pm_normalize_email) { ... return ...; }
#define PM_FUNCTION(name)                                                  \
    static Datum name##_body(FunctionCallInfo fcinfo);                     \
    extern "C" {                                                           \
    PG_FUNCTION_INFO_V1(name);                                             \
    Datum name(PG_FUNCTION_ARGS) { return pm::pg::call_cpp(name##_body, fcinfo); } \
    }                                                                      \
    static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo)
