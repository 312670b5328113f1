// profile_merge.ingest(source_table regclass, order_by text): replays staged
// events through resolve_event against a MemoryStore, batch by batch, and
// writes each batch's rows through write targets (row_batch.hpp). The
// tables are locked against other writers meanwhile, so ids come out as the
// triggers would have drawn them and the final state is the same as
// inserting the events one by one.
#include "pg/entry/ingest.hpp"
#include "pg/rows/catalog.hpp"
#include "pg/rows/shard_map.hpp"
#include "pg/rows/cells.hpp"
#include "pg/resolve/event_detail.hpp"
#include "pg/entry/trigger_row.hpp"
#include "pg/store/memory_store.hpp"
#include "pg/resolve/phone_memo.hpp"
#include "pg/rows/relations.hpp"
#include "pg/rows/row_batch.hpp"
#include "pg/resolve/settings.hpp"
#include "pg/boundary/spi.hpp"

#include "core/phone.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace pm::pg {

namespace {
int ingest_writing_depth = 0;
}

IngestWriting::IngestWriting() { ++ingest_writing_depth; }
IngestWriting::~IngestWriting() { --ingest_writing_depth; }

void refuse_while_ingest_writes(const char* table) {
    if (ingest_writing_depth > 0)
        throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                       std::string("profile_merge.ingest() cannot take a row that a trigger inserts into "
                                   "profile_merge.") + table + " while it writes",
                       {},
                       "Load through the events trigger instead (COPY into profile_merge.events), "
                       "or make the trigger write to a table of its own.");
}

namespace {

using core::Kind;

constexpr long kBatchSize = 20000;
constexpr double kProgressSeconds = 5.0;

// The application columns of events, their types and the default a staging
// table that lacks the column gets.
struct StagedColumn {
    const char* name;
    const char* type;
    const char* missing;
};
const StagedColumn kStagedColumns[] = {
    {"account_id", "bigint", "0"},       {"source", "text", "'api'"},
    {"profile_hint", "bigint", "NULL"},  {"email", "text", "NULL"},
    {"phone", "text", "NULL"},           {"phone_region", "text", "NULL"},
    {"external_id", "text", "NULL"},     {"sms_consent", "boolean", "NULL"},
    {"email_consent", "boolean", "NULL"}, {"properties", "jsonb", "'{}'"},
    {"occurred_at", "timestamptz", "now()"}, {"identifiers", "jsonb", "NULL"},
};

Plan columns_plan(
    "SELECT attname::text FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped",
    {"oid"});
Plan relname_plan("SELECT $1::regclass::text", {"oid"});
Plan own_relation_plan(
    "SELECT FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid"
    " WHERE d.classid = 'pg_class'::regclass AND d.objid = $1 AND d.deptype = 'e'"
    "   AND d.refclassid = 'pg_extension'::regclass AND x.extname = 'profile_merge'",
    {"oid"});
Plan quote_plan("SELECT quote_ident($1)", {"text"});
Plan sequences_plan(
    "SELECT (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM events_event_id_seq),"
    "       (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM profiles_profile_id_seq),"
    "       (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM identifiers_identifier_id_seq),"
    "       (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM merges_merge_id_seq),"
    "       (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM consents_consent_id_seq),"
    "       now(), (extract(epoch FROM now()) * 1000000)::bigint",
    {});
Plan lock_plan(
    "LOCK TABLE events, profiles, identifiers, consents, merges IN SHARE ROW EXCLUSIVE MODE", {});
Plan no_sync_scan_plan("SELECT set_config('synchronize_seqscans', 'off', true)", {});
Plan setval_plan("SELECT setval($1::regclass, $2)", {"text", "bigint"});

// The cells of one events row, in table order, as the trigger would have
// left the row: the application's columns as staged, the rest resolved.
void add_event_row(BatchRows& rows, std::int64_t event_id, const RawEvent& raw,
                   const PreparedEvent& p, const Resolution& r, MemoryContext scratch,
                   bool with_identifiers) {
    const ColumnValue row[] = {
        int8_cell("event_id", event_id),
        int8_cell("account_id", raw.account),
        optional_text_cell("source", raw.source),
        int8_cell("profile_hint", raw.profile_hint),
        optional_text_cell("email", raw.email),
        optional_text_cell("phone", raw.phone),
        optional_text_cell("phone_region", raw.phone_region),
        optional_text_cell("external_id", raw.external_id),
        bool_cell("sms_consent", raw.sms_consent),
        bool_cell("email_consent", raw.email_consent),
        datum_cell("properties", raw.properties),
        datum_cell("occurred_at", raw.occurred_at),
        optional_text_cell("email_normalized", p.email_normalized),
        optional_text_cell("phone_e164", p.phone_e164),
        int8_cell("profile_id", r.profile),
        text_cell("outcome", core::outcome_name(r.outcome)),
        // built in `scratch`: its garbage stayed until the batch's end, 80 MB of it
        {"detail", event_detail(r, p, scratch), false},
    };
    // events.identifiers came with 0.5.0.
    if (!with_identifiers) return rows.add(row);
    const ColumnValue identifiers[] = {datum_cell("identifiers", raw.identifiers)};
    rows.add(row, identifiers);
}

bool events_have_identifiers() {
    return pg_call([] {
        return get_attnum(extension_relid(catalog::kEvents), "identifiers") != InvalidAttrNumber;
    });
}

std::string quote_ident(const std::string& s) { return *quote_plan.run({Param::text(s)}).text(0, 0); }

// The cursor's query: every application column of events, cast to its
// type, or its default when the staging table lacks it.
// A table of the extension is not a staging table: ingest('profile_merge.events')
// would replay the inbox into itself, duplicating every event.
void refuse_own_relation(Oid relid) {
    if (own_relation_plan.run({Param::datum(ObjectIdGetDatum(relid))}).size() == 0) return;
    const std::string name = *relname_plan.run({Param::datum(ObjectIdGetDatum(relid))}).text(0, 0);
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "source_table " + name + " belongs to the profile_merge extension, not a staging table",
                   {}, "Stage the events in a table of your own and pass that table to ingest().");
}

std::string staging_query(Oid relid, const std::optional<std::string>& order_by) {
    Rows cols = columns_plan.run({Param::datum(ObjectIdGetDatum(relid))});
    std::vector<std::string> present;
    for (std::uint64_t i = 0; i < cols.size(); ++i) present.push_back(*cols.text(i, 0));
    auto has = [&](const std::string& c) { return std::find(present.begin(), present.end(), c) != present.end(); };

    std::string sql = "SELECT ";
    bool first = true;
    for (const StagedColumn& c : kStagedColumns) {
        sql += first ? "" : ", ";
        first = false;
        // An explicit NULL occurred_at is the time of the insert, as the
        // trigger reads it: the column's default, and events.occurred_at is
        // NOT NULL.
        const bool is_time = std::strcmp(c.name, "occurred_at") == 0;
        sql += !has(c.name) ? std::string(c.missing) + "::" + c.type
               : is_time    ? "coalesce(s." + quote_ident(c.name) + "::" + c.type + ", now())"
                            : "s." + quote_ident(c.name) + "::" + c.type;
    }
    sql += " FROM " + *relname_plan.run({Param::datum(ObjectIdGetDatum(relid))}).text(0, 0) + " s";
    if (order_by) {
        if (!has(*order_by))
            invalid_parameter("order_by \"" + shorten(*order_by) + "\" is not a column of the staging table");
        sql += " ORDER BY s." + quote_ident(*order_by);
    }
    return sql;
}

// The cursor's columns in kStagedColumns order.
RawEvent read_staged(const Rows& rows, std::uint64_t row) {
    RawEvent raw;
    raw.account = rows.optional_int8(row, 0);
    raw.source = rows.text(row, 1);
    raw.profile_hint = rows.optional_int8(row, 2);
    raw.email = rows.text(row, 3);
    raw.phone = rows.text(row, 4);
    raw.phone_region = rows.text(row, 5);
    raw.external_id = rows.text(row, 6);
    raw.sms_consent = rows.optional_boolean(row, 7);
    raw.email_consent = rows.optional_boolean(row, 8);
    raw.properties = rows.datum(row, 9);
    raw.occurred_at = rows.datum(row, 10);
    raw.identifiers = rows.datum(row, 11);
    return raw;
}

// The phone numbers of a batch, normalized on every core at once into the
// per-backend memo before the (sequential) replay reads them.
void prewarm_phones(const std::vector<RawEvent>& batch) {
    std::vector<PhoneRequest> wanted;
    for (const RawEvent& e : batch) {
        if (!e.phone) continue;
        auto phone = trimmed_or_absent(*e.phone);
        if (!phone) continue;
        std::optional<std::string> region = e.phone_region ? trimmed_or_absent(*e.phone_region) : std::nullopt;
        std::optional<std::string> canonical = region ? core::canonical_region(*region)
                                                      : std::optional<std::string>(default_region());
        if (canonical) wanted.push_back({*phone, *canonical, phone_accept()});
    }
    prewarm_phone_memo(wanted);
}

class Progress {
public:
    explicit Progress(std::int64_t total) : total_(total), start_(clock::now()), last_(start_) {}
    void report(std::int64_t done, bool final = false) {
        const auto now = clock::now();
        if (!final && seconds(now - last_) < kProgressSeconds) return;
        last_ = now;
        const double elapsed = seconds(now - start_);
        const double rate = elapsed > 0 ? done / elapsed : 0;
        const double left = rate > 0 ? (total_ - done) / rate : 0;
        char line[256];
        std::snprintf(line, sizeof line,
                      final ? "ingest: %lld of %lld events in %.1f s (%.0f events/s)"
                            : "ingest: %lld of %lld events, %.0f events/s, about %.0f s left",
                      static_cast<long long>(done), static_cast<long long>(total_),
                      final ? elapsed : rate, final ? rate : left);
        pg_call([&] { ereport(NOTICE, (errmsg("%s", line))); });
    }

private:
    using clock = std::chrono::steady_clock;
    static double seconds(clock::duration d) { return std::chrono::duration<double>(d).count(); }
    std::int64_t total_;
    clock::time_point start_, last_;
};

// Owns a memory context of the ingest; deleted on the normal path only (an
// error releases it with its parent).
class IngestContext {
public:
    enum Use { Batch, Store, Scratch };
    explicit IngestContext(Use use)
        : context_(pg_call([use] {
              switch (use) {
                  case Store:
                      return AllocSetContextCreate(CurrentMemoryContext, "profile_merge ingest store",
                                                   ALLOCSET_DEFAULT_SIZES);
                  case Scratch:
                      return AllocSetContextCreate(CurrentMemoryContext, "profile_merge ingest scratch",
                                                   ALLOCSET_DEFAULT_SIZES);
                  default:
                      return AllocSetContextCreate(CurrentMemoryContext, "profile_merge ingest batch",
                                                   ALLOCSET_DEFAULT_SIZES);
              }
          })) {}
    ~IngestContext() {
        if (std::uncaught_exceptions() == 0) MemoryContextDelete(context_);
    }
    MemoryContext get() const { return context_; }
    void reset() { MemoryContextReset(context_); }

private:
    MemoryContext context_;
};


// What ingest() sets up before its first batch: the tables locked against
// other writers, the ids the load starts from, its one now(), and a cursor
// over the staging query.
struct IngestStart {
    IdCounters first_ids;
    Datum now = 0;
    std::int64_t now_us = 0;
    std::int64_t total = 0;
    Portal portal = nullptr;
};

IngestStart start_ingest(Oid relid, const std::optional<std::string>& order_by) {
    SpiScope spi;
    IngestStart start;
    refuse_own_relation(relid);
    lock_plan.run({});
    Rows seq = sequences_plan.run({});
    start.first_ids = {seq.int8(0, 0), seq.int8(0, 1), seq.int8(0, 2), seq.int8(0, 3), seq.int8(0, 4)};
    start.now = seq.datum(0, 5);
    start.now_us = seq.int8(0, 6);
    const std::string query = staging_query(relid, order_by);
    // Without ORDER BY the events are replayed in the table's physical
    // order, which a synchronized scan would rotate.
    no_sync_scan_plan.run({});
    const std::string count_sql = "SELECT count(*) FROM (" + query + ") q";
    start.total = pg_call([&] {
        if (SPI_execute(count_sql.c_str(), true, 1) != SPI_OK_SELECT || SPI_processed != 1)
            elog(ERROR, "profile_merge: could not count the staged rows");
        bool isnull;
        return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    });
    start.portal = pg_call([&] {
        SPIPlanPtr plan = SPI_prepare(query.c_str(), 0, nullptr);
        if (!plan) elog(ERROR, "profile_merge: could not prepare the staging query");
        return SPI_cursor_open("profile_merge_ingest", plan, nullptr, nullptr, true);
    });
    return start;
}

// A batch's events prepared, and the values and hints the store must load
// for them. `done` counts the staged rows before the batch, for messages.
struct PreparedBatch {
    std::vector<PreparedEvent> events;
    std::vector<BatchKey> values;
    std::vector<std::pair<std::int64_t, core::ProfileId>> hints;
};

PreparedBatch prepare_batch(const std::vector<RawEvent>& batch, std::int64_t done) {
    PreparedBatch out;
    out.events.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            out.events.push_back(prepare_event(batch[i]));
        } catch (const SqlError& e) {
            throw SqlError(e.sqlstate(), std::string(e.what()) + " (staged row " +
                                             std::to_string(done + static_cast<std::int64_t>(i) + 1) + ")",
                           e.detail());
        }
        const EventRequest& req = out.events.back().request;
        for (const core::EventIdentifier& id : req.event.identifiers)
            if (id.validity == core::Validity::Usable) out.values.push_back({req.account, id.kind, id.value});
        if (req.event.hint_given) out.hints.push_back({req.account, req.event.hint_raw});
    }
    return out;
}

// One batch of staged rows: prepared, resolved in memory in order, then
// written (the store's rows, then the events).
void ingest_batch(const Rows& rows, std::int64_t done, MemoryStore& memory, IdCounters& ids,
                  MemoryContext scratch) {
    std::vector<RawEvent> batch;
    batch.reserve(rows.size());
    for (std::uint64_t i = 0; i < rows.size(); ++i) batch.push_back(read_staged(rows, i));
    prewarm_phones(batch);

    PreparedBatch prepared = prepare_batch(batch, done);
    memory.load(prepared.values, prepared.hints);

    BatchRows events;
    const bool with_identifiers = events_have_identifiers();
    for (std::size_t i = 0; i < batch.size(); ++i) {
        PreparedEvent& p = prepared.events[i];
        p.request.event_id = ids.event++;
        memory.set_account(p.request.account);
        Resolution r = resolve_event(p.request, memory);
        add_event_row(events, *p.request.event_id, batch[i], p, r, scratch, with_identifiers);
    }
    IngestWriting writing;
    memory.flush();
    pg_call([&] { insert_batch(catalog::kEvents, events); });
}

// The cursor closed, and each sequence moved past the ids the load used.
void finish_ingest(Portal portal, const IdCounters& first_ids, const IdCounters& ids) {
    SpiScope spi;
    pg_call([&] { SPI_cursor_close(portal); });
    const std::pair<const char*, std::int64_t IdCounters::*> sequences[] = {
        {"profile_merge.events_event_id_seq", &IdCounters::event},
        {"profile_merge.profiles_profile_id_seq", &IdCounters::profile},
        {"profile_merge.identifiers_identifier_id_seq", &IdCounters::identifier},
        {"profile_merge.merges_merge_id_seq", &IdCounters::merge},
        {"profile_merge.consents_consent_id_seq", &IdCounters::consent}};
    for (const auto& [name, field] : sequences)
        if (ids.*field != first_ids.*field) setval_plan.run({Param::text(name), Param::int8(ids.*field - 1)});
}

}  // namespace
}  // namespace pm::pg

PM_FUNCTION(pm_ingest) {
    using namespace pm;
    using namespace pm::pg;

    if (PG_ARGISNULL(0)) invalid_parameter("source_table must not be null");
    const Oid relid = PG_GETARG_OID(0);
    // ingest() writes through the one node's tables in one pass; on Citus
    // each account lives on its own node, and COPY through the coordinator
    // resolves every event there (README "Growing past one machine").
    if (tables_distributed())
        throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                       "profile_merge.ingest() does not run on a distributed (Citus) install", {},
                       "COPY the rows into profile_merge.events through the coordinator instead "
                       "(INSERT INTO profile_merge.events SELECT ... also works): each event is "
                       "resolved on the node that owns its account.");
    std::optional<std::string> order_by;
    if (PG_NARGS() > 1 && !PG_ARGISNULL(1)) order_by = std::string(text_arg(fcinfo, 1));

    IngestContext batch_context(IngestContext::Batch);
    IngestContext store_context(IngestContext::Store);
    IngestContext scratch_context(IngestContext::Scratch);
    const IngestStart start = start_ingest(relid, order_by);
    IdCounters ids = start.first_ids;
    Progress progress(start.total);
    std::int64_t done = 0;
    // What the store keeps across batches is bounded by maintenance_work_mem,
    // the budget PostgreSQL's own bulk operations use.
    MemoryStore memory(ids, start.now_us, start.now, batch_context.get(), store_context.get(),
                       static_cast<std::size_t>(maintenance_work_mem) * 1024);
    for (;;) {
        SpiScope spi;
        const std::uint64_t n = pg_call([&] {
            CHECK_FOR_INTERRUPTS();
            SPI_cursor_fetch(start.portal, true, kBatchSize);
            return SPI_processed;
        });
        if (n == 0) break;
        ingest_batch(Rows(SPI_tuptable, n), done, memory, ids, scratch_context.get());
        pg_call([&] { batch_context.reset(); });
        done += static_cast<std::int64_t>(n);
        progress.report(done);
    }
    finish_ingest(start.portal, start.first_ids, ids);
    progress.report(done, true);
    PG_RETURN_INT64(done);
}
