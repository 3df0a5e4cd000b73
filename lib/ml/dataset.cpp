// Datasets: candles (store or NDJSON) to feature rows, labels, purged walk-forward folds.
#include "ml/dataset.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

namespace okxkit::ml {

std::vector<CandleIn> load_candles(store::Store& store, const std::string& inst,
                                   const std::string& bar, std::int64_t from, std::int64_t to) {
    auto st = store.prepare("SELECT ts, o, h, l, c, vol FROM candles WHERE inst = ?1 AND bar = ?2 "
                            "AND ts >= ?3 AND ts < ?4 ORDER BY ts");
    st.bind(1, inst).bind(2, bar).bind(3, from).bind(4, to);
    std::vector<CandleIn> out;
    while (st.step()) {
        out.push_back({st.column_int(0), st.column_double(1), st.column_double(2),
                       st.column_double(3), st.column_double(4), st.column_double(5)});
    }
    return out;
}

std::vector<std::string> stored_insts(store::Store& store, const std::string& bar) {
    auto st = store.prepare("SELECT DISTINCT inst FROM candles WHERE bar = ?1 ORDER BY inst");
    st.bind(1, bar);
    std::vector<std::string> out;
    while (st.step()) {
        out.push_back(st.column_text(0));
    }
    return out;
}

namespace {

std::int64_t bar_length(const std::string& bar) {
    auto b = core::parse_bar(bar);
    if (!b || b->name != bar) {
        throw core::UsageError("\"" + bar + "\" is not an OKX bar name (" + core::bar_names() +
                               ")");
    }
    return b->ms;
}

} // namespace

Dataset build_dataset(const features::FeatureSet& set, const std::string& inst,
                      const std::string& bar, const std::vector<CandleIn>& candles,
                      const std::vector<CandleIn>& reference) {
    Dataset d;
    d.inst = inst;
    d.bar = bar;
    d.bar_ms = bar_length(bar);
    d.schema = set.hash();
    d.names = set.names();
    const std::size_t cols = d.cols();
    d.ts.reserve(candles.size());
    d.close.reserve(candles.size());
    d.x.reserve(candles.size() * cols);

    features::Engine engine(set, features::GapPolicy::kReset);
    std::size_t next_close = 0;
    const features::Engine::Sink sink = [&](const features::Emitted& e) {
        if (e.inst != inst) {
            return;
        }
        while (next_close < candles.size() && candles[next_close].ts < e.ts) {
            ++next_close;
        }
        d.ts.push_back(e.ts);
        d.close.push_back(candles[next_close].c);
        for (double v : e.values) {
            d.x.push_back(static_cast<float>(v));
        }
    };
    const bool cross = inst != features::kReferenceInst;
    std::size_t i = 0;
    std::size_t j = 0;
    auto feed = [&](const std::string& which, const CandleIn& k) {
        engine.candle(which, bar, d.bar_ms, features::Ohlcv{k.ts, k.o, k.h, k.l, k.c, k.vol}, sink);
    };
    const std::string ref(features::kReferenceInst);
    while (i < candles.size()) {
        // At equal times the reference candle goes first, as nothing then waits for it.
        if (cross && j < reference.size() && reference[j].ts <= candles[i].ts) {
            feed(ref, reference[j++]);
        } else {
            feed(inst, candles[i++]);
        }
    }
    engine.finish(sink);
    return d;
}

std::vector<Dataset> read_feature_datasets(core::LineReader& in, const ReadOptions& options) {
    struct Pending {
        std::map<std::int64_t, double> close; // candles not yet matched with their features
    };
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> schemas; // by bar
    std::map<std::string, std::size_t> index; // "inst bar" -> datasets[]
    std::map<std::string, Pending> pending;
    std::vector<Dataset> out;
    const std::string file = in.name() == "-" ? std::string() : in.name();
    std::uint64_t bad = 0;
    // A bad line: one diagnostic (the first max_errors of them), skipped; --strict stops.
    auto reject = [&](const std::string& msg) {
        ++bad;
        if (bad <= options.max_errors) {
            core::Log::emit_at(core::Level::kError, file, in.line_no(), msg);
        }
        if (options.strict) {
            throw core::InputError((file.empty() ? "line " : file + ":") +
                                   std::to_string(in.line_no()) + ": " + msg +
                                   " (--strict: nothing was trained)");
        }
    };
    std::string_view line;
    for (;;) {
        auto st = in.next(line);
        if (st == core::LineReader::Status::kEof) {
            break;
        }
        if (st == core::LineReader::Status::kInterrupted || core::interrupted()) {
            throw core::Error(core::interrupt_exit(),
                              "interrupted while reading " + in.name() + ": nothing was trained");
        }
        if (st == core::LineReader::Status::kTooLong) {
            reject("line longer than " + std::to_string(in.max_line()) + " bytes (see --max-line)");
            continue;
        }
        const nlohmann::json m = core::parse_json(line);
        if (m.is_discarded()) {
            reject("not valid JSON: " + core::excerpt(line));
            continue;
        }
        if (auto err = core::validate_message(m)) {
            reject(*err);
            continue;
        }
        const auto& type = m["type"].get_ref<const std::string&>();
        const core::KindSpec* kind = core::find_kind(type);
        if (kind == nullptr || core::is_newer(*kind, m)) {
            continue; // a kind or version train does not read
        }
        if (type == "feature_schema") {
            if (!m["names"].is_array() ||
                !std::all_of(m["names"].begin(), m["names"].end(),
                             [](const nlohmann::json& n) { return n.is_string(); })) {
                reject("\"names\" must be an array of strings");
                continue;
            }
            schemas[m["bar"].get<std::string>()] = {m["schema"].get<std::string>(),
                                                    m["names"].get<std::vector<std::string>>()};
        } else if (type == "candle") {
            if (!m["confirm"].get<bool>()) {
                continue;
            }
            std::string key = m["inst"].get<std::string>() + " " + m["bar"].get<std::string>();
            pending[key].close[m["ts"].get<std::int64_t>()] = m["c"].get<double>();
        } else if (type == "features") {
            const std::string inst = m["inst"].get<std::string>();
            const std::string bar = m["bar"].get<std::string>();
            const std::string schema = m["schema"].get<std::string>();
            const std::int64_t ts = m["ts"].get<std::int64_t>();
            auto s = schemas.find(bar);
            if (s == schemas.end() || s->second.first != schema) {
                reject("features of schema " + schema +
                       " without its feature_schema message before it");
                continue;
            }
            std::string key = inst;
            key += ' ';
            key += bar;
            const auto& f = m["f"];
            if (f.size() != s->second.second.size() ||
                !std::all_of(f.begin(), f.end(), [](const nlohmann::json& v) {
                    return v.is_null() || v.is_number();
                })) {
                reject("\"f\" must be an array of " + std::to_string(s->second.second.size()) +
                       " numbers or nulls");
                continue;
            }
            auto found = index.find(key);
            if (found != index.end() && out[found->second].schema != schema) {
                std::string msg = "feature schema of " + key + " changed from ";
                msg += out[found->second].schema;
                msg += " to ";
                msg += schema;
                reject(msg + ": train on one feature set at a time");
                continue;
            }
            auto& closes = pending[key].close;
            auto c = closes.find(ts);
            if (c == closes.end()) {
                reject("features of " + key + " at ts " + std::to_string(ts) +
                       " without the candle before them (pipe featurize's whole output)");
                continue;
            }
            if (found != index.end() && ts <= out[found->second].ts.back()) {
                reject("features of " + key + " at ts " + std::to_string(ts) +
                       " are not after the previous ones");
                continue;
            }
            if (found == index.end()) {
                Dataset d;
                d.inst = inst;
                d.bar = bar;
                d.bar_ms = bar_length(bar);
                d.schema = schema;
                d.names = s->second.second;
                found = index.emplace(key, out.size()).first;
                out.push_back(std::move(d));
            }
            Dataset& d = out[found->second];
            d.ts.push_back(ts);
            d.close.push_back(c->second);
            closes.erase(closes.begin(), std::next(c));
            for (const auto& v : f) {
                d.x.push_back(v.is_number() ? v.get<float>()
                                            : std::numeric_limits<float>::quiet_NaN());
            }
        }
    }
    if (bad > options.max_errors) {
        core::Log::error(std::to_string(bad - options.max_errors) +
                         " more malformed lines not shown (" + std::to_string(bad) + " in all)");
    }
    if (bad > 0) {
        core::Log::warning("skipped " + std::to_string(bad) + " malformed line" +
                           (bad == 1 ? "" : "s") + " of " + in.name());
    }
    return out;
}

bool row_ready(const float* row, std::size_t cols, double max_null_frac) {
    const auto max_nulls = static_cast<std::size_t>(max_null_frac * static_cast<double>(cols));
    std::size_t nulls = 0;
    for (std::size_t c = 0; c < cols; ++c) {
        nulls += std::isnan(row[c]) ? 1 : 0;
    }
    return nulls <= max_nulls;
}

Labelled make_labels(const Dataset& d, int horizon, double threshold, double max_null_frac) {
    Labelled l;
    l.horizon = horizon;
    l.threshold = threshold;
    l.data.inst = d.inst;
    l.data.bar = d.bar;
    l.data.bar_ms = d.bar_ms;
    l.data.schema = d.schema;
    l.data.names = d.names;
    const std::size_t cols = d.cols();
    const std::int64_t ahead = static_cast<std::int64_t>(horizon) * d.bar_ms;
    std::size_t j = 0;
    for (std::size_t i = 0; i < d.rows(); ++i) {
        const std::int64_t want = d.ts[i] + ahead;
        j = std::max(j, i);
        while (j < d.rows() && d.ts[j] < want) {
            ++j;
        }
        if (j >= d.rows() || d.ts[j] != want) {
            continue; // the candle horizon bars later is missing (end of data or a gap)
        }
        const float* r = d.row(i);
        if (!row_ready(r, cols, max_null_frac)) {
            continue;
        }
        double ret = std::log(d.close[j] / d.close[i]);
        l.data.ts.push_back(d.ts[i]);
        l.data.close.push_back(d.close[i]);
        l.data.x.insert(l.data.x.end(), r, r + cols);
        l.ret.push_back(ret);
        l.up.push_back(ret > threshold ? 1.0F : 0.0F);
    }
    return l;
}

std::size_t purged_end(const std::vector<std::int64_t>& ts, std::int64_t bar_ms, int embargo,
                       std::size_t start) {
    if (start >= ts.size()) {
        start = ts.size();
        if (start == 0) {
            return 0;
        }
    }
    const std::int64_t limit = start < ts.size() ? ts[start] : ts.back() + bar_ms;
    const std::int64_t gap = static_cast<std::int64_t>(embargo) * bar_ms;
    std::size_t e = start;
    while (e > 0 && ts[e - 1] + gap >= limit) {
        --e;
    }
    return e;
}

std::vector<Fold> walk_forward(const std::vector<std::int64_t>& ts, std::int64_t bar_ms,
                               int horizon, const SplitOptions& opt, std::size_t min_rows) {
    if (opt.embargo < horizon) {
        throw core::UsageError("the embargo (" + std::to_string(opt.embargo) +
                               " bars) must be at least the horizon (" + std::to_string(horizon) +
                               " bars), or label windows would overlap the next block");
    }
    if (opt.folds < 1) {
        throw core::UsageError("at least one fold is needed");
    }
    const std::size_t n = ts.size();
    const auto test_rows = static_cast<std::size_t>(opt.test_frac * static_cast<double>(n));
    const std::size_t block = test_rows / static_cast<std::size_t>(opt.folds);
    std::vector<Fold> folds;
    if (block < min_rows) {
        return folds;
    }
    const std::size_t first_test = n - block * static_cast<std::size_t>(opt.folds);
    for (int k = 0; k < opt.folds; ++k) {
        Fold f;
        f.test_begin = first_test + block * static_cast<std::size_t>(k);
        f.test_end = k + 1 == opt.folds ? n : f.test_begin + block;
        f.valid_end = purged_end(ts, bar_ms, opt.embargo, f.test_begin);
        const auto valid_rows =
            static_cast<std::size_t>(opt.valid_frac * static_cast<double>(f.valid_end));
        f.valid_begin = f.valid_end - valid_rows;
        f.train_begin = 0;
        f.train_end = purged_end(ts, bar_ms, opt.embargo, f.valid_begin);
        if (valid_rows < min_rows || f.train_end < min_rows) {
            return {};
        }
        folds.push_back(f);
    }
    return folds;
}

} // namespace okxkit::ml
