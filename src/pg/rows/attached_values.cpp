#include "pg/rows/attached_values.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/guard.hpp"
#include "pg/boundary/postgres.hpp"
#include "pg/rows/relations.hpp"

#include <algorithm>
#include <cstring>

namespace pm::pg {

namespace {

// The rest of this namespace is Postgres C only (runs inside pg_call).

struct Probe {
    int64 account;
    const char* kind;
    const char* value;  // NULL: skipped
    int value_len;
    bool found;
    int64 profile;
    int64 identifier;
};

// identifiers and one of its indexes, opened for reading, with a statement
// snapshot taken as SPI does for a statement that may write: earlier writes
// of this command become visible first.
struct IndexRead {
    Oid heap_oid;
    Relation heap;
    Relation index;
    TupleTableSlot* slot;
    IndexScanDesc scan;
    AttrNumber profile_att;
    AttrNumber identifier_att;
    AttrNumber detached_att;
};

void begin_read(IndexRead* r, Oid index_oid, int nkeys) {
    r->heap_oid = extension_relid(catalog::kIdentifiers);
    r->heap = table_open(r->heap_oid, AccessShareLock);
    r->index = index_open(index_oid, AccessShareLock);
    if (r->index->rd_index->indnatts != nkeys)
        elog(ERROR, "profile_merge: index %s does not have %d columns",
             RelationGetRelationName(r->index), nkeys);
    r->profile_att = extension_column(r->heap_oid, "profile_id");
    r->identifier_att = extension_column(r->heap_oid, "identifier_id");
    r->detached_att = extension_column(r->heap_oid, "detached_at");
    push_statement_snapshot();
    r->slot = table_slot_create(r->heap, NULL);
    r->scan = begin_index_scan(r->heap, r->index, GetActiveSnapshot(), nkeys, 0);
}

void end_read(IndexRead* r) {
    index_endscan(r->scan);
    ExecDropSingleTupleTableSlot(r->slot);
    PopActiveSnapshot();
    index_close(r->index, NoLock);
    table_close(r->heap, NoLock);
}

int64 int8_column(TupleTableSlot* slot, AttrNumber att) {
    bool isnull;
    Datum d = slot_getattr(slot, att, &isnull);
    return isnull ? 0 : DatumGetInt64(d);
}

void probe_values(Probe* probes, int count) {
    IndexRead r;
    begin_read(&r, extension_relid(catalog::kIdentifiersAttachedValue), 3);
    for (int i = 0; i < count; ++i) {
        Probe* p = &probes[i];
        p->found = false;
        if (p->value == NULL) continue;
        ScanKeyData keys[3];
        ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                               r.index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(p->account));
        ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                               r.index->rd_indcollation[1], F_TEXTEQ,
                               PointerGetDatum(cstring_to_text(p->kind)));
        ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
                               r.index->rd_indcollation[2], F_TEXTEQ,
                               PointerGetDatum(cstring_to_text_with_len(p->value, p->value_len)));
        index_rescan(r.scan, keys, 3, NULL, 0);
        // The index is partial (detached_at IS NULL) and unique: a visible
        // entry is the one attached row of that value.
        if (index_getnext_slot(r.scan, ForwardScanDirection, r.slot)) {
            p->found = true;
            p->profile = int8_column(r.slot, r.profile_att);
            p->identifier = int8_column(r.slot, r.identifier_att);
        }
        ExecClearTuple(r.slot);
    }
    end_read(&r);
}

// One attached row, as read (strings palloc'd; NULL when NULL).
struct RawRow {
    int64 account, identifier, profile, event_id, merge_id, attached_at;
    bool has_event_id, has_merge_id;
    char* kind;
    char* value;
    char* source;
};

struct RowList {
    RawRow* rows;  // palloc'd
    int count;
};

// The attached rows of the profiles (accounts[i], profiles[i]): through
// identifiers_attached_by_profile (0.3.0), which holds only attached rows,
// or, on a 0.2.0 schema, through identifiers_by_profile, skipping the
// detached rows. With `full`, every column the bulk path keeps.
RowList collect_attached(const int64* accounts, const int64* profiles, int nprofiles, bool full) {
    Oid index_oid = extension_relid_if_exists(catalog::kIdentifiersAttachedByProfile);
    if (!OidIsValid(index_oid)) index_oid = extension_relid(catalog::kIdentifiersByProfile);
    IndexRead r;
    begin_read(&r, index_oid, 2);
    AttrNumber account_att = extension_column(r.heap_oid, "account_id");
    AttrNumber kind_att = extension_column(r.heap_oid, "kind");
    AttrNumber value_att = extension_column(r.heap_oid, "value");
    AttrNumber source_att = extension_column(r.heap_oid, "source");
    AttrNumber event_att = extension_column(r.heap_oid, "event_id");
    AttrNumber merge_att = extension_column(r.heap_oid, "merge_id");
    AttrNumber attached_att = extension_column(r.heap_oid, "attached_at");
    int capacity = 4;
    RowList list = {(RawRow*) palloc(capacity * sizeof(RawRow)), 0};
    for (int p = 0; p < nprofiles; ++p) {
        ScanKeyData keys[2];
        ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                               r.index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(accounts[p]));
        ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                               r.index->rd_indcollation[1], F_INT8EQ, Int64GetDatum(profiles[p]));
        index_rescan(r.scan, keys, 2, NULL, 0);
        while (index_getnext_slot(r.scan, ForwardScanDirection, r.slot)) {
            bool isnull;
            slot_getattr(r.slot, r.detached_att, &isnull);
            if (!isnull) continue;
            if (list.count == capacity) {
                capacity *= 2;
                list.rows = (RawRow*) repalloc(list.rows, capacity * sizeof(RawRow));
            }
            RawRow* row = &list.rows[list.count++];
            memset(row, 0, sizeof(RawRow));
            row->identifier = int8_column(r.slot, r.identifier_att);
            if (!full) continue;
            row->account = int8_column(r.slot, account_att);
            row->profile = int8_column(r.slot, r.profile_att);
            row->kind = slot_text_or_null(r.slot, kind_att);
            row->value = slot_text_or_null(r.slot, value_att);
            row->source = slot_text_or_null(r.slot, source_att);
            Datum d = slot_getattr(r.slot, event_att, &isnull);
            row->has_event_id = !isnull;
            row->event_id = isnull ? 0 : DatumGetInt64(d);
            d = slot_getattr(r.slot, merge_att, &isnull);
            row->has_merge_id = !isnull;
            row->merge_id = isnull ? 0 : DatumGetInt64(d);
            d = slot_getattr(r.slot, attached_att, &isnull);
            row->attached_at = isnull ? 0 : DatumGetTimestampTz(d);
        }
        ExecClearTuple(r.slot);
    }
    end_read(&r);
    return list;
}

}  // namespace

std::vector<std::optional<std::int64_t>> attached_owners(std::int64_t account,
                                                         const std::vector<AttachedProbe>& probes) {
    // Kind names (string_views of the kind registry, which lives as long as
    // the backend) and values outlive the guarded call, which only reads
    // them. An event carries three values or so: no allocation for those.
    constexpr size_t kInline = 8;
    Probe inline_probes[kInline];
    std::vector<Probe> more;
    Probe* raw = inline_probes;
    if (probes.size() > kInline) {
        more.resize(probes.size());
        raw = more.data();
    }
    for (size_t i = 0; i < probes.size(); ++i) {
        const std::string* v = probes[i].value;
        raw[i] = Probe{account, core::kind_name(probes[i].kind).data(), v->data(), static_cast<int>(v->size()),
                       false, 0, 0};
    }
    pg_call([&] { probe_values(raw, static_cast<int>(probes.size())); });
    std::vector<std::optional<std::int64_t>> out(probes.size());
    for (size_t i = 0; i < probes.size(); ++i)
        if (raw[i].found) out[i] = raw[i].profile;
    return out;
}

std::optional<std::int64_t> attached_identifier(std::int64_t account, core::Kind kind,
                                                const std::string& value) {
    const std::string kind_name(core::kind_name(kind));
    Probe probe{account, kind_name.c_str(), value.data(), static_cast<int>(value.size()), false, 0, 0};
    pg_call([&] { probe_values(&probe, 1); });
    if (!probe.found) return std::nullopt;
    return probe.identifier;
}

std::vector<std::int64_t> attached_identifiers_of(std::int64_t account, std::int64_t profile) {
    const RowList list = pg_call([&] { return collect_attached(&account, &profile, 1, false); });
    std::vector<std::int64_t> out;
    for (int i = 0; i < list.count; ++i) out.push_back(list.rows[i].identifier);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Holder> attached_holders(const std::vector<ValueKey>& keys) {
    std::vector<std::string> kind_names;
    std::vector<Probe> probes;
    kind_names.reserve(keys.size());
    probes.reserve(keys.size());
    for (const ValueKey& k : keys) {
        kind_names.emplace_back(core::kind_name(k.kind));
        probes.push_back(Probe{k.account, kind_names.back().c_str(), k.value.data(),
                               static_cast<int>(k.value.size()), false, 0, 0});
    }
    pg_call([&] { probe_values(probes.data(), static_cast<int>(probes.size())); });
    std::vector<Holder> out;
    for (const Probe& p : probes)
        if (p.found) out.push_back({p.account, p.profile});
    return out;
}

std::vector<AttachedRow> attached_rows_of(const std::vector<Holder>& profiles) {
    std::vector<int64> accounts, ids;
    for (const Holder& h : profiles) {
        accounts.push_back(h.account);
        ids.push_back(h.profile);
    }
    const RowList list = pg_call([&] {
        return collect_attached(accounts.data(), ids.data(), static_cast<int>(ids.size()), true);
    });
    std::vector<AttachedRow> out;
    out.reserve(list.count);
    for (int i = 0; i < list.count; ++i) {
        const RawRow& raw = list.rows[i];
        AttachedRow row;
        row.account = raw.account;
        row.identifier_id = raw.identifier;
        // A custom kind's row (its name valid: the domain's CHECK holds it).
        const auto kind = raw.kind ? std::optional<core::Kind>(core::intern_kind(raw.kind)) : std::nullopt;
        if (!kind)
            throw SqlError(ERRCODE_DATA_CORRUPTED, "identifier " + std::to_string(raw.identifier) +
                                                       " has an unknown kind");
        row.kind = *kind;
        row.value = raw.value ? raw.value : "";
        row.profile = raw.profile;
        if (raw.source) row.source = std::string(raw.source);
        if (raw.has_event_id) row.event_id = raw.event_id;
        if (raw.has_merge_id) row.merge_id = raw.merge_id;
        row.attached_at_us = raw.attached_at;
        out.push_back(std::move(row));
    }
    std::sort(out.begin(), out.end(),
              [](const AttachedRow& a, const AttachedRow& b) { return a.identifier_id < b.identifier_id; });
    return out;
}

}  // namespace pm::pg
