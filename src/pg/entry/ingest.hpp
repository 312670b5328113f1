// What ingest.cpp offers the triggers.
//
// Set while profile_merge.ingest() writes a batch. ingest() draws ids ahead
// of the sequences and keeps the profiles it touched in memory, so a row
// that an admin's trigger inserts into events or consents meanwhile cannot
// be resolved against the tables without taking an id ingest() is about to
// use: the events and consents triggers refuse such a row (0A000). ingest()'s
// own rows never reach those triggers (write targets leave them out).
#pragma once

namespace pm::pg {

// Throws SqlError 0A000 while ingest() writes; `table` names the trigger's table.
void refuse_while_ingest_writes(const char* table);

class IngestWriting {
public:
    IngestWriting();
    ~IngestWriting();
    IngestWriting(const IngestWriting&) = delete;
    IngestWriting& operator=(const IngestWriting&) = delete;
};

}  // namespace pm::pg
