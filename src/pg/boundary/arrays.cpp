#include "pg/boundary/arrays.hpp"

namespace pm::pg {

Datum ArrayBuilder::build() const {
    return pg_call([&] {
        int dims[1] = {static_cast<int>(values_.size())};
        int lbs[1] = {1};
        bool* isnull = static_cast<bool*>(palloc(sizeof(bool) * (values_.size() + 1)));
        for (std::size_t i = 0; i < values_.size(); ++i) isnull[i] = nulls_[i];
        return PointerGetDatum(construct_md_array(const_cast<Datum*>(values_.data()), isnull, 1,
                                                  dims, lbs, type_, len_, byval_, align_));
    });
}

std::vector<std::int64_t> int8_array_values(Datum array) {
    struct Elements {
        Datum* values;
        bool* nulls;
        int count;
    };
    const Elements e = pg_call([&] {
        Elements out;
        deconstruct_array(DatumGetArrayTypeP(array), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
                          &out.values, &out.nulls, &out.count);
        return out;
    });
    std::vector<std::int64_t> items;
    for (int i = 0; i < e.count; ++i)
        if (!e.nulls[i]) items.push_back(DatumGetInt64(e.values[i]));
    return items;
}

Datum int8_array(const std::vector<std::int64_t>& items) {
    ArrayBuilder b = ArrayBuilder::int8();
    for (std::int64_t v : items) b.push(Int64GetDatum(v));
    return b.build();
}

}  // namespace pm::pg
