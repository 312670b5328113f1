#include "pg/boundary/guard.hpp"

#include <cstring>
#include <new>

namespace pm::pg {

const char* PgError::what() const noexcept {
    return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

void invalid_parameter(const std::string& message, const std::string& detail) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, message, detail);
}

namespace {

// Where caught errors wait while C++ unwinds to the entry point. Not a
// transaction context: the error may be caught inside a subtransaction that
// the unwinding rolls back. Reset whenever the outermost entry point starts,
// when no error can be pending.
MemoryContext caught_errors_context() {
    static MemoryContext context = nullptr;
    if (!context)
        context = AllocSetContextCreate(TopMemoryContext, "profile_merge caught errors",
                                        ALLOCSET_SMALL_SIZES);
    return context;
}

int entry_depth = 0;

}  // namespace

namespace detail {

// In PG_CATCH the ErrorData is copied out of ErrorContext (which
// FlushErrorState resets) into caught_errors_context.
ErrorData* run_guarded(void (*fn)(void*), void* arg) {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile failure = nullptr;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caught_errors_context());
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
    if (entry_depth == 0) MemoryContextReset(caught_errors_context());
    ++entry_depth;
    try {
        Datum result = body(fcinfo);
        --entry_depth;
        return result;
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
    --entry_depth;
    // Outside every handler: from here on a longjmp skips no C++ state.
    if (pg_error) ReThrowError(pg_error);
    ereport(ERROR, (errcode(pending.sqlstate), errmsg("%s", pending.message),
                    pending.detail[0] ? errdetail("%s", pending.detail) : 0,
                    pending.hint[0] ? errhint("%s", pending.hint) : 0));
    pg_unreachable();
}

}  // namespace pm::pg
