// audit reconcile: a run's orders, fills and positions checked against each other within the
// store, with the positions recomputed from the fills independently of execute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}

namespace okxkit::audit {

struct ReconcileCheck {
    std::string name; // "positions", "fills_have_orders", "order_fills", "exchange"
    bool pass = true;
    std::string detail;                   // what was compared, or how many differ
    std::vector<std::string> differences; // one line each (the first 50)
    std::int64_t count = 0;               // differences in all
};

struct Reconciliation {
    std::string run;
    std::int64_t fills = 0;
    std::int64_t orders = 0;
    std::int64_t positions = 0;
    std::vector<ReconcileCheck> checks;
    [[nodiscard]] bool pass() const;
};

// Checks the run: (1) each stored position equals the one recomputed from the run's fills in
// the order execute made them (size, average entry price, realised P&L, fees; an instrument
// with fills and no position row, or the reverse, is a difference); (2) every fill belongs to
// a stored order of the run, on the same instrument and side; (3) each order's filled size is
// the sum of its fills, within its size, and a filled order is filled whole; (4) in demo and
// live mode, no difference between execute's journal and OKX was recorded (reconcile_events:
// an open order the journal does not know, an order OKX no longer has, fills behind an
// order's filled size). Numbers agree
// when they differ by at most 1e-9 of the larger (or 1e-9 absolute). Throws core::UsageError
// when the store holds nothing of the run.
Reconciliation reconcile(store::Store& st, const std::string& run);

} // namespace okxkit::audit
