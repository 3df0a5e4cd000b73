// The feature engine: named feature sets, their definitions, and the incremental computation
// of every feature per candle and per (instrument, bar), free of lookahead.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::features {

// The instrument the cross-asset features are measured against.
inline constexpr std::string_view kReferenceInst = "BTC-USDT";

// One feature of a set, as --list and the man page show it.
struct FeatureInfo {
    std::string name;        // with its parameters: "rsi_14", "bb_pctb_20_2"
    std::string group;       // trend, momentum, volatility, volume, strength, statistics, ...
    std::string definition;  // the formula, in words
    std::uint64_t warmup;    // candles needed: null before the warmup-th candle, a number from it
    std::string warmup_text; // "15", or for cross-asset features what they wait for
};

// A validated, ordered list of feature names. Names carry their parameters; each family
// (rsi, macd_hist, bb_pctb, ...) says how many it takes and which values it accepts.
class FeatureSet {
public:
    // The default set (>= 215 features), in a fixed order.
    static FeatureSet default_set();
    // Parses names. Throws std::invalid_argument naming the first unknown or malformed name
    // (and how to write it) and duplicate names.
    static FeatureSet from_names(std::span<const std::string> names);
    // Reads a set file (TOML): `default = true|false` (start from the default set; true when
    // `features` is absent), `groups = [groups]` (the default parameter sets of every family
    // of each group not in the set yet: how the opt-in news group is asked for), `features =
    // [names]` (appended in order), `exclude = [names]`. Throws std::invalid_argument with
    // file:line on any problem.
    static FeatureSet from_toml_file(const std::string& path);

    [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
    [[nodiscard]] std::size_t size() const { return names_.size(); }
    // 16 hex digits: FNV-1a 64 of the version tag and the names, so a change of any name,
    // parameter or order changes it.
    [[nodiscard]] std::string hash() const;
    // Definitions and warm-ups, in set order.
    [[nodiscard]] std::vector<FeatureInfo> describe() const;

private:
    std::vector<std::string> names_;
};

// Every feature family: a one-line synopsis per family (for errors and docs).
std::vector<std::string> family_synopses();

// What to do when bars are missing (a gap message, or a candle more than one bar after the
// previous one of its instrument and bar).
enum class GapPolicy {
    kReset,   // forget that instrument's state and warm up again (default)
    kMissing, // reset on missing bars only: a gap message whose hole the backfilled candles
              // that follow it fill (as okx-stream repairs live gaps) keeps the state
    kIgnore,  // compute across the hole as if the bars were adjacent
};

class Graph;    // the indicators of one (instrument, bar), defined in graph.hpp
class NewsBook; // the news items of a stream, defined in news_book.hpp

// A candle as the engine takes it.
struct Ohlcv {
    std::int64_t ts = 0; // open time, ms
    double o = 0, h = 0, l = 0, c = 0, v = 0;
};

// The features of a single series (one instrument and bar), without cross-asset inputs and
// without gap detection: the kernel. O(1) amortised per candle, independent of history.
class Series {
public:
    explicit Series(const FeatureSet& set);
    ~Series();
    Series(Series&&) noexcept;
    Series& operator=(Series&&) noexcept;
    // Adds a closed candle and returns the feature values (NaN = null), valid until the next
    // call. The candle must be later than the previous one.
    std::span<const double> push(const Ohlcv& bar);
    // Forgets everything (as after a gap).
    void reset();

private:
    std::unique_ptr<Graph> graph_;
};

// One features result: the candle it belongs to and the values (NaN = null).
struct Emitted {
    std::int64_t ts;
    std::string_view inst;
    std::string_view bar;
    std::span<const double> values;
};

// All series of a stream, keyed by (instrument, bar), with the cross-asset alignment and the
// gap policy.
//
// Cross-asset features of an instrument X at time t use BTC-USDT's candle of the same bar
// and the same t, never a later one. In a stream merged by time (as okx-stream writes it),
// X's candle at t may come before BTC-USDT's: once BTC-USDT of that bar has been seen, X's
// features at t wait until BTC-USDT's candle at t arrives, or until any candle of that bar
// later than t arrives (BTC-USDT's bar t is then missing, and X's cross-asset features at t
// are null), or until the end of input. Before BTC-USDT of that bar has been seen, nothing
// waits and the cross-asset features are null.
class Engine {
public:
    using Sink = std::function<void(const Emitted&)>;
    Engine(FeatureSet set, GapPolicy policy);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    [[nodiscard]] const FeatureSet& set() const { return set_; }

    // Feeds a confirmed candle of (inst, bar); bar_ms is the bar's length. Emits through sink
    // the features of this candle and of any candles released by it, in order. Returns false
    // (and does nothing) when ts is not after the previous candle of that instrument and bar.
    bool candle(std::string_view inst, std::string_view bar, std::int64_t bar_ms,
                const Ohlcv& candle, const Sink& sink);
    // True when a candle of (inst, bar) at ts would be accepted (it is after the previous one).
    [[nodiscard]] bool is_new(std::string_view inst, std::string_view bar, std::int64_t ts) const;
    // A gap message for (inst, bar): under kReset that series warms up again; kMissing and
    // kIgnore leave it (missing bars are still found by their timestamps under kMissing).
    void gap(std::string_view inst, std::string_view bar, const Sink& sink);
    // Releases every candle still waiting for BTC-USDT.
    void finish(const Sink& sink);

    // True when the set has news features (news_* families): only then do news items matter.
    [[nodiscard]] bool uses_news() const { return news_ != nullptr; }
    // A news item first seen at ts (ms) naming the instruments `symbols`, with its sentiment in
    // [-1, 1] or NaN when it has none. It counts for the news features of every candle given
    // after this call whose close (ts + bar length) is at or after ts, never for an earlier
    // one, even one still waiting for BTC-USDT. Nothing happens when !uses_news().
    void news(std::int64_t ts, std::span<const std::string> symbols, double sentiment);

    // Series resets so far (gaps, missing bars), for diagnostics.
    [[nodiscard]] std::uint64_t resets() const { return resets_; }

private:
    struct SeriesState;
    struct Group;
    Group& group(std::string_view bar, std::int64_t bar_ms);
    SeriesState& series(Group& g, std::string_view inst);
    void process(Group& g, SeriesState& s, const Ohlcv& b, bool cross_ok, const double* news,
                 const Sink& sink);
    void release(Group& g, std::int64_t upto, bool inclusive, const Sink& sink);

    FeatureSet set_;
    GapPolicy policy_;
    std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_;
    std::uint64_t resets_ = 0;
    std::unique_ptr<NewsBook> news_; // null when the set has no news features
    std::vector<double> news_row_;   // the news values of the candle being processed
};

} // namespace okxkit::features
