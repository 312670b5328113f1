#include "pg/resolve/event_detail.hpp"

namespace pm::pg {

namespace {

// pushJsonbValue keeps the pointer, JsonbValueToJsonb copies the bytes: the
// views only need to outlive this call.
JsonbValue string_value(std::string_view s) {
    JsonbValue v;
    v.type = jbvString;
    v.val.string.val = const_cast<char*>(s.data());
    v.val.string.len = static_cast<int>(s.size());
    return v;
}

JsonbValue field_value(const core::DetailField& f) {
    switch (f.type) {
        case core::DetailField::Type::String:
            return string_value(f.text);
        case core::DetailField::Type::Integer: {
            JsonbValue v;
            v.type = jbvNumeric;
            v.val.numeric = int64_to_numeric(f.number);
            return v;
        }
        case core::DetailField::Type::Null:
        default: {
            JsonbValue v;
            v.type = jbvNull;
            return v;
        }
    }
}

}  // namespace

Datum detail_jsonb(const std::vector<core::DetailObject>& objects) {
    JsonbParseState* state = NULL;
    pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
    for (const core::DetailObject& object : objects) {
        pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
        for (const core::DetailField& field : object) {
            JsonbValue key = string_value(field.key);
            pushJsonbValue(&state, WJB_KEY, &key);
            JsonbValue value = field_value(field);
            pushJsonbValue(&state, WJB_VALUE, &value);
        }
        pushJsonbValue(&state, WJB_END_OBJECT, NULL);
    }
    JsonbValue* root = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
    return JsonbPGetDatum(JsonbValueToJsonb(root));
}

Datum event_detail(const Resolution& resolution, const PreparedEvent& prepared, MemoryContext scratch) {
    std::vector<core::DetailEntry> detail = resolution.detail;
    detail.insert(detail.end(), prepared.notes.begin(), prepared.notes.end());
    const std::vector<core::DetailObject> objects = core::detail_fields(detail, resolution.merge_ids);
    return pg_call([&] {
        if (scratch == NULL) return detail_jsonb(objects);
        MemoryContext caller = MemoryContextSwitchTo(scratch);
        Datum built = detail_jsonb(objects);
        MemoryContextSwitchTo(caller);
        Datum kept = PointerGetDatum(DatumGetJsonbPCopy(built));
        MemoryContextReset(scratch);
        return kept;
    });
}

}  // namespace pm::pg
