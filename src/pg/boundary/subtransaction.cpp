#include "pg/boundary/subtransaction.hpp"

namespace pm::pg {

Subtransaction::Subtransaction() : context_(CurrentMemoryContext), owner_(CurrentResourceOwner) {
    pg_call([] { BeginInternalSubTransaction(nullptr); });
    open_ = true;
    restore();
}

Subtransaction::~Subtransaction() {
    if (!open_) return;
    try {
        rollback();
    } catch (...) {
        // A destructor must not throw; a failing rollback leaves the
        // subtransaction to the abort of its parent.
    }
}

void Subtransaction::restore() {
    MemoryContextSwitchTo(context_);
    CurrentResourceOwner = owner_;
}

void Subtransaction::release() {
    open_ = false;
    pg_call([] { ReleaseCurrentSubTransaction(); });
    restore();
}

void Subtransaction::rollback() {
    open_ = false;
    pg_call([] { RollbackAndReleaseCurrentSubTransaction(); });
    restore();
}

}  // namespace pm::pg
