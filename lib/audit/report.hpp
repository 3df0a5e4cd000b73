// audit report: a run's performance from what execute stored (its portfolio snapshots and
// fills) and select-strategy's strategy switches, as text, JSON or Markdown.
#pragma once

#include "audit/analytics.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}

namespace okxkit::audit {

// A strategy switch of select-strategy: an instrument's strategy changed, and why.
struct Switch {
    std::int64_t ts = 0;
    std::string inst;
    std::string from; // the strategy before
    std::string to;
    std::vector<std::string> reasons;
};

struct RunData {
    std::string run;
    std::int64_t bar_ms = 0; // the spacing of the snapshots: the bar execute stepped on
    std::vector<EquityPoint> curve;
    std::vector<FillRow> fills;
    std::vector<Switch> switches;
    // select-strategy's assignments of the run in this store: 0 when it stored them elsewhere
    // (or nowhere), and the switches are then unknown, not none.
    std::int64_t assignments = 0;
    // The fill models the run's snapshots name (one, unless the run was resumed under another);
    // "touch" is optimistic and every rendering says so.
    std::vector<std::string> fill_models;
    // With a range: sells inside it of what was bought before it, left out of the trades.
    std::int64_t fills_before_range = 0;
    [[nodiscard]] bool optimistic() const;
};

// Reads the run from the store: its snapshots, fills and switches with from <= ts <= to (the
// whole run by default; a range starts from the equity at its first snapshot, and a trade
// opened before it counts from its first fill inside). Throws core::UsageError when there is
// no portfolio snapshot of the run there (naming the runs the store holds, or the run's span).
RunData load_run(store::Store& st, const std::string& run,
                 std::int64_t from = std::numeric_limits<std::int64_t>::min(),
                 std::int64_t to = std::numeric_limits<std::int64_t>::max());

// The renderings: text for a terminal, one JSON object, Markdown, and one self-contained HTML
// page with SVG charts (equity, drawdown, P&L by symbol and by strategy, monthly returns) that
// needs no network and no script.
std::string render_text(const RunData& d, const Performance& p);
std::string render_html(const RunData& d, const Performance& p);
std::string render_json(const RunData& d, const Performance& p);
std::string render_markdown(const RunData& d, const Performance& p);

} // namespace okxkit::audit
