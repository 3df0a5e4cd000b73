#include "audit/report.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/timeutil.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

namespace okxkit::audit {

namespace {

constexpr std::string_view kOptimistic =
    "OPTIMISTIC: fill model touch (a resting limit filled when merely reached): these results "
    "are an upper bound, not an estimate";

std::string fixed(double v, int decimals) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.*f", decimals, v);
    std::string s(buf.data());
    // Thousands separators in the integer part.
    const std::size_t start = s[0] == '-' ? 1 : 0;
    std::size_t end = s.find('.');
    if (end == std::string::npos) {
        end = s.size();
    }
    for (std::size_t i = end; i > start + 3; i -= 3) {
        s.insert(i - 3, 1, ',');
    }
    return s;
}

std::string count(std::int64_t n) {
    return fixed(static_cast<double>(n), 0);
}

std::string pct(const std::optional<double>& v) {
    return v ? fixed(*v * 100, 2) + "%" : "n/a";
}
std::string num(const std::optional<double>& v, int decimals = 2) {
    return v ? fixed(*v, decimals) : "n/a";
}

std::string duration_text(std::int64_t ms) {
    const std::int64_t minutes = ms / 60000;
    const std::int64_t d = minutes / 1440;
    const std::int64_t h = (minutes % 1440) / 60;
    const std::int64_t m = minutes % 60;
    std::string out;
    if (d > 0) {
        out += std::to_string(d) + "d ";
    }
    if (d > 0 || h > 0) {
        out += std::to_string(h) + "h ";
    }
    out += std::to_string(m) + "m";
    return out;
}

std::string bar_text(std::int64_t ms) {
    if (ms % 86400000 == 0) {
        return std::to_string(ms / 86400000) + "D";
    }
    if (ms % 3600000 == 0) {
        return std::to_string(ms / 3600000) + "H";
    }
    return std::to_string(ms / 60000) + "m";
}

nlohmann::json opt(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
}

std::string month_text(const MonthlyReturn& m) {
    std::array<char, 16> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02u", m.year, m.month);
    return buf.data();
}

// Rows of a table: the first one the header; columns after the first are aligned right.
std::string table(const std::vector<std::vector<std::string>>& rows, bool markdown) {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
        width.resize(std::max(width.size(), r.size()));
        for (std::size_t i = 0; i < r.size(); ++i) {
            width[i] = std::max(width[i], r[i].size());
        }
    }
    std::string out;
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& r = rows[n];
        out += markdown ? "| " : "  ";
        for (std::size_t i = 0; i < r.size(); ++i) {
            const std::string pad(width[i] - r[i].size(), ' ');
            out += i == 0 ? r[i] + pad : pad + r[i];
            out += markdown ? " | " : "  ";
        }
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        out += '\n';
        if (markdown && n == 0) {
            out += "|";
            for (std::size_t i = 0; i < r.size(); ++i) {
                out += i == 0 ? " --- |" : " ---: |";
            }
            out += '\n';
        }
    }
    return out;
}

std::vector<std::vector<std::string>> summary_rows(const RunData& d, const Performance& p) {
    std::vector<std::vector<std::string>> rows = {{"metric", "value"}};
    const auto add = [&](std::string k, std::string v) {
        rows.push_back({std::move(k), std::move(v)});
    };
    add("start equity", num(p.start_equity));
    add("end equity", num(p.end_equity));
    add("total return", pct(p.total_return));
    add("CAGR", pct(p.cagr));
    add("Sharpe", num(p.sharpe));
    add("Sortino", num(p.sortino));
    add("max drawdown", fixed(p.max_drawdown * 100, 2) + "%");
    add("max drawdown duration", duration_text(p.max_drawdown_duration_ms));
    add("Calmar", num(p.calmar));
    add("exposure time", pct(p.exposure_time));
    add("turnover", p.turnover ? fixed(*p.turnover, 2) + "x" : "n/a");
    add("fees", fixed(p.fees, 2));
    add("fills", count(p.fills));
    add("trades (closed)", count(p.trades));
    add("trades still open", count(p.open_trades));
    add("win rate", pct(p.win_rate));
    add("profit factor", num(p.profit_factor));
    add("expectancy per trade", num(p.expectancy));
    add("average win", num(p.avg_win));
    add("average loss", num(p.avg_loss));
    add("strategy switches",
        d.assignments > 0 ? count(static_cast<std::int64_t>(d.switches.size())) : "n/a");
    return rows;
}

std::vector<std::vector<std::string>>
attribution_rows(const std::string& key, const std::map<std::string, Attribution>& by) {
    std::vector<std::vector<std::string>> rows = {{key, "P&L", "fees", "fills", "trades"}};
    for (const auto& [k, a] : by) {
        rows.push_back({k, fixed(a.pnl, 2), fixed(a.fees, 2), count(a.fills), count(a.trades)});
    }
    return rows;
}

std::vector<std::vector<std::string>> monthly_rows(const Performance& p) {
    std::vector<std::vector<std::string>> rows = {{"month", "return"}};
    for (const MonthlyReturn& m : p.monthly) {
        rows.push_back({month_text(m), pct(m.ret)});
    }
    return rows;
}

std::string heading(const RunData& d, const Performance& p) {
    std::string out = "run " + d.run;
    if (!d.curve.empty()) {
        out += ", " + core::format_iso_ms(d.curve.front().ts) + " to " +
               core::format_iso_ms(d.curve.back().ts) + ", " + count(p.points) + " bars of " +
               bar_text(d.bar_ms);
    }
    std::string models;
    for (const std::string& m : d.fill_models) {
        models += models.empty() ? "" : ", ";
        models += m;
    }
    out += "; fill model " + models;
    if (d.fills_before_range > 0) {
        out += "; " + count(d.fills_before_range) +
               " sells of positions bought before the range left out of the trades";
    }
    return out;
}

std::string switches_text(const RunData& d, bool markdown) {
    std::string out;
    for (const Switch& s : d.switches) {
        std::string reasons;
        for (const std::string& r : s.reasons) {
            reasons += reasons.empty() ? "" : "; ";
            reasons += r;
        }
        out += markdown ? "- " : "  ";
        out += core::format_iso_ms(s.ts) + " " + s.inst + ": " + s.from + " -> " + s.to;
        if (!reasons.empty()) {
            out += " (" + reasons + ")";
        }
        out += '\n';
    }
    return out;
}

std::string render(const RunData& d, const Performance& p, bool markdown) {
    std::string out;
    const std::string h = heading(d, p);
    if (markdown) {
        out += "# okxkit report\n\n";
        if (d.optimistic()) {
            out += "**" + std::string(kOptimistic) + "**\n\n";
        }
        out += h + "\n\n## Summary\n\n";
    } else {
        if (d.optimistic()) {
            out += std::string(kOptimistic) + "\n";
        }
        out += "okxkit report: " + h + "\n\n";
    }
    out += table(summary_rows(d, p), markdown);
    const auto section = [&](const std::string& title) {
        out += markdown ? "\n## " + title + "\n\n" : "\n" + title + ":\n";
    };
    section("By symbol");
    out += table(attribution_rows("symbol", p.by_symbol), markdown);
    section("By strategy");
    out += table(attribution_rows("strategy", p.by_strategy), markdown);
    section("Monthly returns");
    out += table(monthly_rows(p), markdown);
    if (!d.switches.empty()) {
        section("Strategy switches");
        out += switches_text(d, markdown);
    } else if (d.assignments == 0) {
        out += "\nStrategy switches: n/a (this store holds no strategy assignment of run " + d.run +
               ": select-strategy stored them in another store, or none)\n";
    }
    if (d.optimistic()) {
        out += markdown ? "\n**" + std::string(kOptimistic) + "**\n"
                        : "\n" + std::string(kOptimistic) + "\n";
    }
    return out;
}

// --- HTML --------------------------------------------------------------------------------

constexpr const char* kBlue = "#1f77b4";
constexpr const char* kRed = "#d62728";
constexpr const char* kGreen = "#2ca02c";
constexpr int kChartW = 860;
constexpr int kChartH = 220;
constexpr int kPadL = 70; // room for the value labels on the left
constexpr int kPadB = 24; // and the dates below

std::string esc(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string coord(double v) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.1f", v);
    return buf.data();
}

std::string svg_open(const std::string& id, const std::string& label, int height) {
    return "<svg id=\"" + id + R"(" class="chart" xmlns="http://www.w3.org/2000/svg" width=")" +
           std::to_string(kChartW) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
           std::to_string(kChartW) + " " + std::to_string(height) + R"(" role="img" aria-label=")" +
           esc(label) + "\">\n";
}

// A line (or, with area, the region between it and the top edge: a drawdown) over time, at most
// 2,000 points (every k-th and the last), with its lowest and highest values and first and last
// dates written on the axes.
std::string series_chart(const std::string& id, const std::string& label,
                         const std::vector<std::int64_t>& ts, const std::vector<double>& v,
                         const char* color, bool area, int decimals, bool percent) {
    std::string out = svg_open(id, label, kChartH);
    if (v.size() < 2) {
        return out + "<text x=\"10\" y=\"20\">not enough points</text></svg>\n";
    }
    double lo = *std::min_element(v.begin(), v.end());
    double hi = *std::max_element(v.begin(), v.end());
    if (area) {
        lo = 0; // a drawdown hangs from 0
    }
    if (hi == lo) {
        hi = lo + 1;
    }
    const double w = kChartW - kPadL - 10;
    const double h = kChartH - kPadB - 10;
    const auto x = [&](std::size_t i) {
        return kPadL + w * static_cast<double>(i) / static_cast<double>(v.size() - 1);
    };
    const auto y = [&](double val) {
        return area ? 10 + h * (val - lo) / (hi - lo) : 10 + h * (hi - val) / (hi - lo);
    };
    const std::size_t step = std::max<std::size_t>(1, v.size() / 2000);
    std::string pts;
    for (std::size_t i = 0; i < v.size(); i += step) {
        pts += coord(x(i)) + "," + coord(y(v[i])) + " ";
    }
    pts += coord(x(v.size() - 1)) + "," + coord(y(v.back()));
    out += "<rect x=\"" + std::to_string(kPadL) + R"(" y="10" width=")" + coord(w) +
           "\" height=\"" + coord(h) + "\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n";
    if (area) {
        out += "<polygon fill=\"" + std::string(color) + "\" points=\"" + coord(x(0)) + "," +
               coord(y(0)) + " " + pts + " " + coord(x(v.size() - 1)) + "," + coord(y(0)) +
               "\"/>\n";
    } else {
        out += R"(<polyline fill="none" stroke=")" + std::string(color) +
               R"(" stroke-width="2" points=")" + pts + "\"/>\n";
    }
    const auto value = [&](double val) {
        return percent ? fixed(val * 100, decimals) + "%" : fixed(val, decimals);
    };
    const double top = area ? lo : hi;
    const double bottom = area ? hi : lo;
    // A drawdown is shown below 0 (and 0 without a sign).
    const auto shown = [&](double val) { return area && val != 0 ? -val : val; };
    out += "<text x=\"" + std::to_string(kPadL - 4) + R"(" y="20" text-anchor="end">)" +
           value(shown(top)) + "</text>\n";
    out += "<text x=\"" + std::to_string(kPadL - 4) + "\" y=\"" + coord(10 + h) +
           R"(" text-anchor="end">)" + value(shown(bottom)) + "</text>\n";
    const std::string y_date = std::to_string(kChartH - 6);
    out += "<text x=\"" + std::to_string(kPadL) + "\" y=\"" + y_date + "\">" +
           core::format_iso_ms(ts.front()).substr(0, 10) + "</text>\n";
    out += "<text x=\"" + std::to_string(kChartW - 10) + "\" y=\"" + y_date +
           R"(" text-anchor="end">)" + core::format_iso_ms(ts.back()).substr(0, 10) + "</text>\n";
    return out + "</svg>\n";
}

// Horizontal bars from a zero line: green above 0, red below, the value beside each.
std::string bar_chart(const std::string& id, const std::string& label,
                      const std::vector<std::pair<std::string, double>>& rows, bool percent) {
    const int row_h = 22;
    const int height = std::max(40, static_cast<int>(rows.size()) * row_h + 20);
    std::string out = svg_open(id, label, height);
    if (rows.empty()) {
        return out + "<text x=\"10\" y=\"20\">none</text></svg>\n";
    }
    double span = 0;
    for (const auto& r : rows) {
        span = std::max(span, std::abs(r.second));
    }
    if (span == 0) {
        span = 1;
    }
    const double left = 150;
    const double half = (kChartW - left - 110) / 2.0;
    const double zero = left + half;
    out += "<line x1=\"" + coord(zero) + R"(" y1="5" x2=")" + coord(zero) + "\" y2=\"" +
           std::to_string(height - 5) + "\" stroke=\"#888\"/>\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double val = rows[i].second;
        const double len = half * std::abs(val) / span;
        const double top = 10 + static_cast<double>(i) * row_h;
        out += "<text x=\"" + coord(left - 8) + "\" y=\"" + coord(top + 14) +
               R"(" text-anchor="end">)" + esc(rows[i].first) + "</text>\n";
        out += "<rect x=\"" + coord(val >= 0 ? zero : zero - len) + "\" y=\"" + coord(top) +
               "\" width=\"" + coord(std::max(len, 1.0)) + "\" height=\"" +
               std::to_string(row_h - 6) + "\" fill=\"" + (val >= 0 ? kGreen : kRed) + "\"/>\n";
        out += "<text x=\"" + coord(val >= 0 ? zero + len + 4 : zero + 4) + "\" y=\"" +
               coord(top + 14) + "\">" + (percent ? fixed(val * 100, 2) + "%" : fixed(val, 2)) +
               "</text>\n";
    }
    return out + "</svg>\n";
}

std::string html_table(const std::vector<std::vector<std::string>>& rows) {
    std::string out = "<table>\n";
    for (std::size_t n = 0; n < rows.size(); ++n) {
        out += "<tr>";
        for (std::size_t i = 0; i < rows[n].size(); ++i) {
            const char* tag = n == 0 ? "th" : "td";
            out += std::string("<") + tag + (i > 0 ? " class=\"num\"" : "") + ">" +
                   esc(rows[n][i]) + "</" + tag + ">";
        }
        out += "</tr>\n";
    }
    return out + "</table>\n";
}

} // namespace

bool RunData::optimistic() const {
    return std::find(fill_models.begin(), fill_models.end(), "touch") != fill_models.end();
}

RunData load_run(store::Store& st, const std::string& run, std::int64_t from, std::int64_t to) {
    RunData d;
    d.run = run;
    {
        auto q = st.prepare("SELECT ts, equity, gross_exposure FROM pnl_snapshots WHERE run_id = ? "
                            "AND ts >= ? AND ts <= ? ORDER BY ts");
        q.bind(1, std::string_view(run));
        q.bind(2, from);
        q.bind(3, to);
        while (q.step()) {
            d.curve.push_back({q.column_int(0), q.column_double(1), q.column_double(2)});
        }
    }
    if (d.curve.empty()) {
        auto span = st.prepare("SELECT min(ts), max(ts) FROM pnl_snapshots WHERE run_id = ?");
        span.bind(1, std::string_view(run));
        if (span.step() && !span.column_is_null(0)) {
            std::string range;
            if (from == std::numeric_limits<std::int64_t>::min()) {
                range = "up to " + core::format_iso_ms(to);
            } else if (to == std::numeric_limits<std::int64_t>::max()) {
                range = "from " + core::format_iso_ms(from) + " on";
            } else {
                range = "between " + core::format_iso_ms(from) + " and " + core::format_iso_ms(to);
            }
            throw core::UsageError(
                "run " + core::excerpt(run, 40) + " has no portfolio snapshot " + range +
                " (it runs from " + core::format_iso_ms(span.column_int(0)) + " to " +
                core::format_iso_ms(span.column_int(1)) + "; see --from and --to)");
        }
        std::string runs;
        auto q = st.prepare("SELECT DISTINCT run_id FROM pnl_snapshots ORDER BY run_id LIMIT 20");
        while (q.step()) {
            runs += runs.empty() ? "" : ", ";
            runs += core::excerpt(q.column_text(0), 40);
        }
        throw core::UsageError(
            "store " + st.path() + " holds no portfolio of run " + core::excerpt(run, 40) +
            " (execute writes it; " +
            (runs.empty() ? std::string("it holds none yet") : "runs there: " + runs) +
            "; choose one with --run)");
    }
    {
        auto q = st.prepare("SELECT DISTINCT fill_model FROM pnl_snapshots WHERE run_id = ? "
                            "ORDER BY fill_model");
        q.bind(1, std::string_view(run));
        while (q.step()) {
            d.fill_models.push_back(q.column_text(0));
        }
    }
    // The bar: the smallest spacing of the snapshots (a pause leaves a wider one, never a
    // narrower one).
    for (std::size_t i = 1; i < d.curve.size(); ++i) {
        const std::int64_t gap = d.curve[i].ts - d.curve[i - 1].ts;
        d.bar_ms = d.bar_ms == 0 ? gap : std::min(d.bar_ms, gap);
    }
    if (d.bar_ms <= 0) {
        d.bar_ms = 300000; // one snapshot: no return to annualise, the bar is only named
    }
    {
        auto n = st.prepare("SELECT count(*) FROM fills WHERE run_id = ? AND ts >= ? AND ts <= ?");
        n.bind(1, std::string_view(run));
        n.bind(2, from);
        n.bind(3, to);
        if (n.step()) {
            d.fills.reserve(static_cast<std::size_t>(n.column_int(0)));
        }
        // In the order execute wrote them (analyse orders them by time, stably): a sort here
        // would spill a million rows to temporary files.
        // The whole run (the common case, a million rows) without the range's tests.
        const bool whole = from == std::numeric_limits<std::int64_t>::min() &&
                           to == std::numeric_limits<std::int64_t>::max();
        auto q = st.prepare(whole ? "SELECT ts, inst, strategy, side, px, sz, fee FROM fills "
                                    "WHERE run_id = ? ORDER BY rowid"
                                  : "SELECT ts, inst, strategy, side, px, sz, fee FROM fills "
                                    "WHERE run_id = ? AND ts >= ? AND ts <= ? ORDER BY rowid");
        q.bind(1, std::string_view(run));
        if (!whole) {
            q.bind(2, from);
            q.bind(3, to);
        }
        const bool ranged = from != std::numeric_limits<std::int64_t>::min();
        std::map<std::string, double, std::less<>> held;
        while (q.step()) {
            FillRow f;
            f.ts = q.column_int(0);
            f.inst = q.column_text(1);
            f.strategy = q.column_text(2);
            f.side = q.column_text(3) == "sell" ? Side::kSell : Side::kBuy;
            f.px = q.column_double(4);
            f.sz = q.column_double(5);
            f.fee = q.column_double(6);
            if (ranged) {
                // A trade opened before the range: its sells inside it close nothing bought
                // inside it, and are left out of the trades (the curve keeps their P&L).
                double& h = held[f.inst];
                if (f.side == Side::kBuy) {
                    h += f.sz;
                } else if (f.sz > h * (1 + 1e-9)) {
                    if (h <= 0) {
                        ++d.fills_before_range;
                        continue;
                    }
                    f.fee *= h / f.sz;
                    f.sz = h;
                    ++d.fills_before_range;
                    h = 0;
                } else {
                    h -= f.sz;
                }
            }
            d.fills.push_back(std::move(f));
        }
    }
    {
        auto q = st.prepare("SELECT count(*) FROM strategy_assignments WHERE run_id = ?");
        q.bind(1, std::string_view(run));
        if (q.step()) {
            d.assignments = q.column_int(0);
        }
    }
    {
        auto q = st.prepare("SELECT ts, inst, prev, strategy, reasons FROM strategy_assignments "
                            "WHERE run_id = ? AND prev IS NOT NULL AND prev != strategy AND ts >= "
                            "? AND ts <= ? ORDER BY ts, inst");
        q.bind(1, std::string_view(run));
        q.bind(2, from);
        q.bind(3, to);
        while (q.step()) {
            Switch s;
            s.ts = q.column_int(0);
            s.inst = q.column_text(1);
            s.from = q.column_text(2);
            s.to = q.column_text(3);
            const auto reasons = nlohmann::json::parse(q.column_text(4), nullptr, false);
            if (reasons.is_array()) {
                for (const auto& r : reasons) {
                    if (r.is_string()) {
                        s.reasons.push_back(r.get<std::string>());
                    }
                }
            }
            d.switches.push_back(std::move(s));
        }
    }
    return d;
}

std::string render_text(const RunData& d, const Performance& p) {
    return render(d, p, false);
}

std::string render_markdown(const RunData& d, const Performance& p) {
    return render(d, p, true);
}

std::string render_json(const RunData& d, const Performance& p) {
    nlohmann::json j;
    j["run"] = d.run;
    j["from"] = d.curve.front().ts;
    j["to"] = d.curve.back().ts;
    j["bar_ms"] = d.bar_ms;
    j["bars"] = p.points;
    j["fill_models"] = d.fill_models;
    j["fills_before_range"] = d.fills_before_range;
    j["optimistic"] = d.optimistic();
    j["start_equity"] = opt(p.start_equity);
    j["end_equity"] = opt(p.end_equity);
    j["total_return"] = opt(p.total_return);
    j["cagr"] = opt(p.cagr);
    j["sharpe"] = opt(p.sharpe);
    j["sortino"] = opt(p.sortino);
    j["max_drawdown"] = p.max_drawdown;
    j["max_drawdown_duration_ms"] = p.max_drawdown_duration_ms;
    j["calmar"] = opt(p.calmar);
    j["exposure_time"] = opt(p.exposure_time);
    j["turnover"] = opt(p.turnover);
    j["fees"] = p.fees;
    j["fills"] = p.fills;
    j["trades"] = p.trades;
    j["open_trades"] = p.open_trades;
    j["win_rate"] = opt(p.win_rate);
    j["profit_factor"] = opt(p.profit_factor);
    j["expectancy"] = opt(p.expectancy);
    j["avg_win"] = opt(p.avg_win);
    j["avg_loss"] = opt(p.avg_loss);
    const auto attribution = [](const std::map<std::string, Attribution>& by) {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& [k, a] : by) {
            o[k] = {{"pnl", a.pnl}, {"fees", a.fees}, {"fills", a.fills}, {"trades", a.trades}};
        }
        return o;
    };
    j["by_symbol"] = attribution(p.by_symbol);
    j["by_strategy"] = attribution(p.by_strategy);
    nlohmann::json months = nlohmann::json::array();
    for (const MonthlyReturn& m : p.monthly) {
        months.push_back({{"month", month_text(m)}, {"return", opt(m.ret)}});
    }
    j["monthly"] = months;
    nlohmann::json switches = nlohmann::json::array();
    for (const Switch& s : d.switches) {
        switches.push_back({{"ts", s.ts},
                            {"inst", s.inst},
                            {"from", s.from},
                            {"to", s.to},
                            {"reasons", s.reasons}});
    }
    j["switches"] = d.assignments > 0 ? switches : nlohmann::json();
    return j.dump();
}

} // namespace okxkit::audit

namespace okxkit::audit {

std::string render_html(const RunData& d, const Performance& p) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out += "<title>okxkit report: run " + esc(d.run) + "</title>\n";
    out += "<style>\n"
           "body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; max-width: 900px; }\n"
           "table { border-collapse: collapse; margin: 8px 0 16px; }\n"
           "th, td { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }\n"
           "td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
           ".optimistic { background: #fde8e8; border: 2px solid #d62728; padding: 8px; "
           "font-weight: bold; }\n"
           "svg.chart text { font: 11px sans-serif; fill: #444; }\n"
           "</style>\n</head>\n<body>\n";
    const std::string banner =
        d.optimistic() ? "<p class=\"optimistic\">" + esc(kOptimistic) + "</p>\n" : "";
    out += banner;
    out += "<h1>okxkit report</h1>\n<p>" + esc(heading(d, p)) + "</p>\n";
    out += "<h2>Summary</h2>\n" + html_table(summary_rows(d, p));

    std::vector<std::int64_t> ts;
    std::vector<double> equity;
    ts.reserve(d.curve.size());
    equity.reserve(d.curve.size());
    for (const EquityPoint& e : d.curve) {
        ts.push_back(e.ts);
        equity.push_back(e.equity);
    }
    out += "<h2>Equity</h2>\n" +
           series_chart("equity", "equity over time", ts, equity, kBlue, false, 2, false);
    out += "<h2>Drawdown</h2>\n" + series_chart("drawdown", "drawdown from the running peak", ts,
                                                p.drawdown, kRed, true, 2, true);
    const auto pnl_rows = [](const std::map<std::string, Attribution>& by) {
        std::vector<std::pair<std::string, double>> rows;
        rows.reserve(by.size());
        for (const auto& [k, a] : by) {
            rows.emplace_back(k, a.pnl);
        }
        return rows;
    };
    out += "<h2>P&amp;L by symbol</h2>\n" +
           bar_chart("pnl-symbol", "realised P&L of closed trades by symbol", pnl_rows(p.by_symbol),
                     false) +
           html_table(attribution_rows("symbol", p.by_symbol));
    out += "<h2>P&amp;L by strategy</h2>\n" +
           bar_chart("pnl-strategy", "realised P&L of closed trades by strategy",
                     pnl_rows(p.by_strategy), false) +
           html_table(attribution_rows("strategy", p.by_strategy));
    std::vector<std::pair<std::string, double>> months;
    months.reserve(p.monthly.size());
    for (const MonthlyReturn& m : p.monthly) {
        months.emplace_back(month_text(m), m.ret.value_or(0));
    }
    out += "<h2>Monthly returns</h2>\n" +
           bar_chart("monthly", "return of each calendar month", months, true);
    out += "<h2>Strategy switches</h2>\n";
    if (d.switches.empty()) {
        out += d.assignments == 0 ? "<p>n/a: this store holds no strategy assignment of the "
                                    "run (select-strategy stored them in another store, or "
                                    "none).</p>\n"
                                  : "<p>none</p>\n";
    } else {
        out += "<ul>\n";
        for (const Switch& s : d.switches) {
            std::string reasons;
            for (const std::string& r : s.reasons) {
                reasons += reasons.empty() ? "" : "; ";
                reasons += r;
            }
            out += "<li>" + esc(core::format_iso_ms(s.ts)) + " " + esc(s.inst) + ": " +
                   esc(s.from) + " &rarr; " + esc(s.to) +
                   (reasons.empty() ? std::string() : " (" + esc(reasons) + ")") + "</li>\n";
        }
        out += "</ul>\n";
    }
    out += banner;
    out += "</body>\n</html>\n";
    return out;
}

} // namespace okxkit::audit
