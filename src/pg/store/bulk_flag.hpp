// Set while profile_merge.ingest() writes rows it has already resolved, so
// the events and consents triggers let them through untouched.
#pragma once

namespace pm::pg {

bool bulk_ingest_writing();

class BulkWriting {
public:
    BulkWriting();
    ~BulkWriting();
    BulkWriting(const BulkWriting&) = delete;
    BulkWriting& operator=(const BulkWriting&) = delete;
};

}  // namespace pm::pg
