#include "audit/reconcile.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>

namespace okxkit::audit {

namespace {

constexpr std::size_t kShown = 50;
constexpr double kTolerance = 1e-9;

bool same(double a, double b) {
    return std::abs(a - b) <= kTolerance * std::max({1.0, std::abs(a), std::abs(b)});
}

std::string g(double v) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.12g", v);
    return buf.data();
}

void differ(ReconcileCheck& c, std::string line) {
    c.pass = false;
    ++c.count;
    if (c.differences.size() < kShown) {
        c.differences.push_back(std::move(line));
    }
}

struct Position {
    double sz = 0;
    double avg_px = 0;
    double rpl = 0;
    double fees = 0;
};

struct FillRow {
    std::string cl_ord_id;
    std::string inst;
    std::string side;
    double px = 0;
    double sz = 0;
    double fee = 0;
};

struct OrderRow {
    std::string inst;
    std::string side;
    std::string state;
    double sz = 0;
    double filled_sz = 0;
    double fills_sz = 0; // the sum of its fills, counted here
};

} // namespace

bool Reconciliation::pass() const {
    return std::all_of(checks.begin(), checks.end(),
                       [](const ReconcileCheck& c) { return c.pass; });
}

Reconciliation reconcile(store::Store& st, const std::string& run) {
    Reconciliation r;
    r.run = run;
    std::vector<FillRow> fills;
    {
        auto q = st.prepare("SELECT cl_ord_id, inst, side, px, sz, fee FROM fills WHERE run_id = "
                            "? ORDER BY rowid");
        q.bind(1, std::string_view(run));
        while (q.step()) {
            fills.push_back({q.column_text(0), q.column_text(1), q.column_text(2),
                             q.column_double(3), q.column_double(4), q.column_double(5)});
        }
    }
    std::map<std::string, OrderRow> orders;
    {
        auto q = st.prepare("SELECT cl_ord_id, inst, side, state, sz, filled_sz FROM orders WHERE "
                            "run_id = ?");
        q.bind(1, std::string_view(run));
        while (q.step()) {
            orders[q.column_text(0)] = {q.column_text(1),   q.column_text(2),   q.column_text(3),
                                        q.column_double(4), q.column_double(5), 0};
        }
    }
    std::map<std::string, Position> stored;
    {
        auto q = st.prepare("SELECT inst, sz, avg_px, rpl, fees FROM positions WHERE run_id = ?");
        q.bind(1, std::string_view(run));
        while (q.step()) {
            stored[q.column_text(0)] = {q.column_double(1), q.column_double(2), q.column_double(3),
                                        q.column_double(4)};
        }
    }
    r.fills = static_cast<std::int64_t>(fills.size());
    r.orders = static_cast<std::int64_t>(orders.size());
    r.positions = static_cast<std::int64_t>(stored.size());
    // (4) Demo and live: what execute's reconciliation with OKX found (reconcile_events).
    ReconcileCheck exchange{"exchange", true, {}, {}, 0};
    {
        auto q = st.prepare("SELECT ts, mode, kind, detail FROM reconcile_events WHERE run_id = ? "
                            "ORDER BY rowid");
        q.bind(1, std::string_view(run));
        while (q.step()) {
            differ(exchange, q.column_text(1) + " " + q.column_text(2) + " at " +
                                 std::to_string(q.column_int(0)) + ": " + q.column_text(3));
        }
    }
    if (fills.empty() && orders.empty() && stored.empty() && exchange.count == 0) {
        throw core::UsageError("store " + st.path() + " holds no order, fill or position of run " +
                               core::excerpt(run, 40) + " (choose the run with --run)");
    }

    // (1) The positions, recomputed: a buy moves the average entry price, a sell realises
    // (price - average) x size, every fill adds its fee; spot, long only.
    ReconcileCheck positions{"positions", true, {}, {}, 0};
    std::map<std::string, Position> computed;
    for (const FillRow& f : fills) {
        Position& p = computed[f.inst];
        if (f.side == "buy") {
            p.avg_px = (p.avg_px * p.sz + f.px * f.sz) / (p.sz + f.sz);
            p.sz += f.sz;
        } else {
            p.rpl += (f.px - p.avg_px) * f.sz;
            p.sz -= f.sz;
            if (p.sz <= 1e-12 * f.sz) {
                p.sz = 0;
                p.avg_px = 0;
            }
        }
        p.fees += f.fee;
    }
    for (const auto& [inst, c] : computed) {
        auto it = stored.find(inst);
        if (it == stored.end()) {
            differ(positions, inst + ": fills but no stored position");
            continue;
        }
        const Position& s = it->second;
        const std::pair<const char*, std::pair<double, double>> fields[] = {
            {"size", {s.sz, c.sz}},
            {"average price", {s.avg_px, c.avg_px}},
            {"realised P&L", {s.rpl, c.rpl}},
            {"fees", {s.fees, c.fees}}};
        for (const auto& [what, v] : fields) {
            if (!same(v.first, v.second)) {
                differ(positions, inst + ": " + what + " stored " + g(v.first) +
                                      ", from the fills " + g(v.second));
            }
        }
    }
    for (const auto& [inst, s] : stored) {
        if (computed.count(inst) == 0 && (s.sz != 0 || s.rpl != 0 || s.fees != 0)) {
            differ(positions, inst + ": a stored position of size " + g(s.sz) + " and no fill");
        }
    }
    positions.detail = "positions recomputed from " + std::to_string(fills.size()) +
                       " fills against the " + std::to_string(stored.size()) +
                       " stored (size, average price, realised P&L, fees)";
    r.checks.push_back(std::move(positions));

    // (2) Every fill belongs to an order of the run, on its instrument and side.
    ReconcileCheck owned{"fills_have_orders", true, {}, {}, 0};
    for (const FillRow& f : fills) {
        auto it = orders.find(f.cl_ord_id);
        if (it == orders.end()) {
            differ(owned, "fill of " + f.inst + " for order " + core::excerpt(f.cl_ord_id, 40) +
                              ", which the store does not hold");
            continue;
        }
        if (it->second.inst != f.inst || it->second.side != f.side) {
            differ(owned, "fill of " + f.inst + " " + f.side + " for order " +
                              core::excerpt(f.cl_ord_id, 40) + " of " + it->second.inst + " " +
                              it->second.side);
        }
        it->second.fills_sz += f.sz;
    }
    owned.detail = "every fill (" + std::to_string(fills.size()) + ") belongs to a stored order (" +
                   std::to_string(orders.size()) + ") on its instrument and side";
    r.checks.push_back(std::move(owned));

    // (3) Each order's filled size is what its fills add up to.
    ReconcileCheck filled{"order_fills", true, {}, {}, 0};
    for (const auto& [id, o] : orders) {
        const std::string name = "order " + core::excerpt(id, 40) + " (" + o.inst + ")";
        if (!same(o.filled_sz, o.fills_sz)) {
            differ(filled,
                   name + ": filled size " + g(o.filled_sz) + ", its fills " + g(o.fills_sz));
        }
        if (o.filled_sz > o.sz && !same(o.filled_sz, o.sz)) {
            differ(filled, name + ": filled " + g(o.filled_sz) + " of a size of " + g(o.sz));
        }
        if (o.state == "filled" && !same(o.filled_sz, o.sz)) {
            differ(filled, name + ": state filled with " + g(o.filled_sz) + " of " + g(o.sz));
        }
    }
    filled.detail = "each order's filled size (" + std::to_string(orders.size()) +
                    " orders) is the sum of its fills, and a filled order is filled whole";
    r.checks.push_back(std::move(filled));

    exchange.detail = "the differences execute found between its journal and OKX (demo, live)";
    r.checks.push_back(std::move(exchange));
    return r;
}

} // namespace okxkit::audit
