// audit metrics: the state of a store as Prometheus metrics, in the text exposition format that
// node_exporter's textfile collector reads.
#pragma once

#include <cstdint>
#include <string>

namespace okxkit::store {
class Store;
}

namespace okxkit::audit {

// The metrics of the store at now_ms (wall time: how old the data is): per instrument and bar,
// the age of the last candle and the bars missing in the stored candles; per run, equity, P&L,
// drawdown, exposures, halted and the time of the last portfolio snapshot, open orders per
// instrument, fills, feed reconnects and error events; per series, the age of its champion
// model. Names and labels follow Prometheus' conventions (okxkit_ prefix, base units, _total
// for counters, _seconds for times), one HELP and TYPE per family, families and series in a
// fixed order: the same store and now_ms give the same bytes.
std::string prometheus_text(store::Store& st, std::int64_t now_ms);

// Writes text to path atomically: a temporary file in the same folder, synced, then renamed
// over path, so a collector never reads half a file. Throws core::RuntimeError.
void write_atomically(const std::string& path, const std::string& text);

} // namespace okxkit::audit
