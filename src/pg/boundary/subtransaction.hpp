// An internal subtransaction for the lifetime of the object (the pattern of
// PL/pgSQL's exception blocks). Rolled back unless release() is called, also
// when a C++ exception unwinds through it: what was locked or inserted inside
// is let go.
#pragma once

#include "pg/boundary/guard.hpp"

namespace pm::pg {

class Subtransaction {
public:
    Subtransaction();
    ~Subtransaction();
    Subtransaction(const Subtransaction&) = delete;
    Subtransaction& operator=(const Subtransaction&) = delete;

    void release();   // keep what was done
    void rollback();  // undo it, release its locks

private:
    void restore();
    MemoryContext context_;
    ResourceOwner owner_;
    bool open_ = false;
};

}  // namespace pm::pg
