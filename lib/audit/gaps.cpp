#include "audit/gaps.hpp"

#include "core/bar.hpp"
#include "store/store.hpp"

#include <algorithm>

namespace okxkit::audit {

std::vector<Series> find_gaps(store::Store& st, const std::vector<std::string>& insts,
                              const std::string& bar) {
    std::vector<Series> out;
    {
        auto q = st.prepare("SELECT inst, bar, count(*), min(ts), max(ts) FROM candles GROUP BY "
                            "inst, bar ORDER BY inst, bar");
        while (q.step()) {
            Series s;
            s.inst = q.column_text(0);
            s.bar = q.column_text(1);
            if ((!insts.empty() && std::find(insts.begin(), insts.end(), s.inst) == insts.end()) ||
                (!bar.empty() && s.bar != bar)) {
                continue;
            }
            s.candles = q.column_int(2);
            s.first = q.column_int(3);
            s.last = q.column_int(4);
            out.push_back(std::move(s));
        }
    }
    // Each series walked in ts order (the primary key's): a step longer than the bar is a hole.
    auto q = st.prepare("SELECT ts FROM candles WHERE inst = ? AND bar = ? ORDER BY ts");
    for (Series& s : out) {
        const auto b = core::parse_bar(s.bar);
        if (!b || b->ms <= 0) {
            continue;
        }
        q.reset();
        q.bind(1, std::string_view(s.inst));
        q.bind(2, std::string_view(s.bar));
        std::int64_t prev = 0;
        bool first = true;
        while (q.step()) {
            const std::int64_t ts = q.column_int(0);
            if (!first && ts - prev > b->ms) {
                Hole h{prev + b->ms, ts - b->ms, (ts - prev) / b->ms - 1};
                s.missing += h.missing;
                s.holes.push_back(h);
            }
            prev = ts;
            first = false;
        }
    }
    return out;
}

} // namespace okxkit::audit
