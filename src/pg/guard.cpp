#include "pg/guard.hpp"

#include <cstring>
#include <new>

namespace pm::pg {

const char* PgError::what() const noexcept {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

void invalid_parameter(const std::string& message, const std::string& detail) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, message, detail);
}

namespace detail {

// In PG_CATCH the ErrorData is copied out of ErrorContext into the current
// (sub)transaction's context, which outlives every context our C++ code
// uses and is released when the error aborts the (sub)transaction.
ErrorData* run_guarded(void (*fn)(void*), void* arg) {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile failure = nullptr;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(CurTransactionContext);
        failure = CopyErrorData();
        FlushErrorState();
        MemoryContextSwitchTo(caller_context);
    }
    PG_END_TRY();
    return failure;
}

}  // namespace detail

namespace {

// Fixed buffers: copying into them inside a catch handler cannot fail.
struct PendingError {
    int sqlstate = ERRCODE_INTERNAL_ERROR;
    char message[1024] = {0};
    char detail[1024] = {0};
    char hint[512] = {0};

    static void copy(char* to, size_t size, const char* from) {
        std::strncpy(to, from, size - 1);
        to[size - 1] = '\0';
    }
    void set(int code, const char* msg, const char* det = "", const char* hnt = "") {
        sqlstate = code;
        copy(message, sizeof message, msg);
        copy(detail, sizeof detail, det);
        copy(hint, sizeof hint, hnt);
    }
};

}  // namespace

Datum call_cpp(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo) {
    ErrorData* pg_error = nullptr;
    PendingError pending;
    try {
        return body(fcinfo);
    } catch (const PgError& e) {
        pg_error = e.edata();
    } catch (const SqlError& e) {
        pending.set(e.sqlstate(), e.what(), e.detail().c_str(), e.hint().c_str());
    } catch (const std::bad_alloc&) {
        pending.set(ERRCODE_OUT_OF_MEMORY, "out of memory in profile_merge");
    } catch (const std::exception& e) {
        pending.set(ERRCODE_INTERNAL_ERROR, e.what());
    } catch (...) {
        pending.set(ERRCODE_INTERNAL_ERROR, "unknown C++ exception in profile_merge");
    }
    // Outside every handler: from here on a longjmp skips no C++ state.
    if (pg_error) ReThrowError(pg_error);
    ereport(ERROR, (errcode(pending.sqlstate), errmsg("%s", pending.message),
                    pending.detail[0] ? errdetail("%s", pending.detail) : 0,
                    pending.hint[0] ? errhint("%s", pending.hint) : 0));
    pg_unreachable();
}

}  // namespace pm::pg
