#include "audit/metrics.hpp"

#include "audit/gaps.hpp"
#include "audit/health.hpp"
#include "core/bar.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace okxkit::audit {

namespace {

// A label value as the exposition format wants it: backslash, quote and newline escaped.
std::string label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string number(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    std::array<char, 40> buf{};
    std::snprintf(buf.data(), buf.size(), "%.17g", v);
    return buf.data();
}

class Family {
public:
    Family(std::string name, std::string type, std::string help)
        : name_(std::move(name)), type_(std::move(type)), help_(std::move(help)) {}
    void add(const std::vector<std::pair<std::string, std::string>>& labels, double v) {
        std::string line = name_;
        if (!labels.empty()) {
            line += '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                line += i > 0 ? "," : "";
                line += labels[i].first;
                line += "=\"";
                line += label(labels[i].second);
                line += '"';
            }
            line += '}';
        }
        line += ' ';
        line += number(v);
        lines_.push_back(std::move(line));
    }
    void write(std::string& out) const {
        if (lines_.empty()) {
            return; // no series: no family (a HELP without samples says nothing)
        }
        out += "# HELP ";
        out += name_;
        out += ' ';
        out += help_;
        out += "\n# TYPE ";
        out += name_;
        out += ' ';
        out += type_;
        out += '\n';
        for (const std::string& l : lines_) {
            out += l;
            out += '\n';
        }
    }

private:
    std::string name_, type_, help_;
    std::vector<std::string> lines_;
};

double seconds(std::int64_t ms) {
    return static_cast<double>(ms) / 1000.0;
}

} // namespace

std::string prometheus_text(store::Store& st, std::int64_t now_ms) {
    Family candle_age("okxkit_candle_age_seconds", "gauge",
                      "Seconds from the close of the last stored candle to now.");
    Family missing("okxkit_candles_missing", "gauge",
                   "Bars missing between the first and the last stored candle.");
    for (const Series& s : find_gaps(st, {}, {})) {
        const auto b = core::parse_bar(s.bar);
        const std::vector<std::pair<std::string, std::string>> l = {{"inst", s.inst},
                                                                    {"bar", s.bar}};
        if (b) {
            candle_age.add(l, seconds(now_ms - (s.last + b->ms)));
        }
        missing.add(l, static_cast<double>(s.missing));
    }

    Family equity("okxkit_equity", "gauge", "Equity of the run at its last bar, quote currency.");
    Family pnl("okxkit_pnl", "gauge",
               "Equity of the run at its last bar minus at its first, quote currency.");
    Family drawdown("okxkit_drawdown_ratio", "gauge",
                    "Fall of the run's equity from its peak, as a share of the peak.");
    Family gross("okxkit_gross_exposure", "gauge", "Sum of |position x mark|, quote currency.");
    Family net("okxkit_net_exposure", "gauge", "Sum of position x mark, quote currency.");
    Family halted("okxkit_halted", "gauge",
                  "1 when the run's kill switch holds it halted (not reset, not lifted).");
    Family snapshot("okxkit_last_snapshot_timestamp_seconds", "gauge",
                    "Event time of the run's last portfolio snapshot, Unix seconds.");
    {
        auto q = st.prepare(
            "SELECT s.run_id, s.ts, s.equity, s.drawdown, s.gross_exposure, s.net_exposure, "
            "s.halted, f.equity FROM pnl_snapshots s JOIN (SELECT run_id, max(ts) AS last, "
            "min(ts) AS first FROM pnl_snapshots GROUP BY run_id) m ON m.run_id = s.run_id AND "
            "m.last = s.ts JOIN pnl_snapshots f ON f.run_id = s.run_id AND f.ts = m.first ORDER "
            "BY s.run_id");
        while (q.step()) {
            const std::vector<std::pair<std::string, std::string>> l = {{"run", q.column_text(0)}};
            snapshot.add(l, seconds(q.column_int(1)));
            equity.add(l, q.column_double(2));
            pnl.add(l, q.column_double(2) - q.column_double(7));
            drawdown.add(l, q.column_double(3));
            gross.add(l, q.column_double(4));
            net.add(l, q.column_double(5));
            // Its halt and resume events decide (a halt lifted by hand is no longer one);
            // a daily-loss halt lifts at the next UTC day, risk.resume's default.
            halted.add(l, halt_state(st, q.column_text(0), q.column_int(6) != 0, now_ms,
                                     risk::Resume::kNextDay)
                                  .halted
                              ? 1.0
                              : 0.0);
        }
    }
    Family open_orders("okxkit_open_orders", "gauge",
                       "Orders of the run still working (live or partially filled).");
    {
        auto q = st.prepare("SELECT run_id, inst, count(*) FROM orders WHERE state IN ('live', "
                            "'partially_filled') GROUP BY run_id, inst ORDER BY run_id, inst");
        while (q.step()) {
            open_orders.add({{"run", q.column_text(0)}, {"inst", q.column_text(1)}},
                            static_cast<double>(q.column_int(2)));
        }
    }
    Family fills("okxkit_fills_total", "counter", "Fills of the run.");
    {
        auto q = st.prepare("SELECT run_id, count(*) FROM fills GROUP BY run_id ORDER BY run_id");
        while (q.step()) {
            fills.add({{"run", q.column_text(0)}}, static_cast<double>(q.column_int(1)));
        }
    }
    Family reconnects("okxkit_feed_reconnects_total", "counter",
                      "WebSocket reconnects of okx-stream, per run.");
    Family errors("okxkit_error_events_total", "counter",
                  "Error events the tools recorded in the store, per run and component.");
    {
        auto q = st.prepare("SELECT run_id, count(*) FROM health WHERE event = 'reconnect' GROUP "
                            "BY run_id ORDER BY run_id");
        while (q.step()) {
            reconnects.add({{"run", q.column_text(0)}}, static_cast<double>(q.column_int(1)));
        }
        auto e = st.prepare("SELECT run_id, component, count(*) FROM health WHERE event = "
                            "'error' GROUP BY run_id, component ORDER BY run_id, component");
        while (e.step()) {
            errors.add({{"run", e.column_text(0)}, {"component", e.column_text(1)}},
                       static_cast<double>(e.column_int(2)));
        }
    }
    Family model_age("okxkit_model_age_seconds", "gauge",
                     "Seconds since the champion model of a series was trained.");
    Family model_data_age("okxkit_model_data_age_seconds", "gauge",
                          "Seconds since the end of the data the champion model was trained on.");
    {
        auto q = st.prepare("SELECT inst, bar, created_ms, data_end FROM models WHERE status = "
                            "'champion' ORDER BY inst, bar");
        while (q.step()) {
            const std::vector<std::pair<std::string, std::string>> l = {{"inst", q.column_text(0)},
                                                                        {"bar", q.column_text(1)}};
            model_age.add(l, seconds(now_ms - q.column_int(2)));
            model_data_age.add(l, seconds(now_ms - q.column_int(3)));
        }
    }
    std::string out;
    for (const Family* f :
         {&candle_age, &missing, &equity, &pnl, &drawdown, &gross, &net, &halted, &snapshot,
          &open_orders, &fills, &reconnects, &errors, &model_age, &model_data_age}) {
        f->write(out);
    }
    return out;
}

void write_atomically(const std::string& path, const std::string& text) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string name = ".";
    name += target.filename().string();
    name += ".XXXXXX";
    std::string tmp = (dir / name).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        throw core::RuntimeError("cannot write " + path + ": " + core::errno_text(errno));
    }
    const auto fail = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw core::RuntimeError(what + " " + path + ": " + core::errno_text(err));
    };
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    // Readable by the collector (mkstemp makes it 0600).
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
        fail("cannot write");
    }
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw core::RuntimeError("cannot write " + path + ": " + core::errno_text(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw core::RuntimeError("cannot rename a temporary file to " + path + ": " +
                                 core::errno_text(err));
    }
}

} // namespace okxkit::audit
