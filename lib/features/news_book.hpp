// Internal to lib/features: the news items a stream has carried so far, and the news features
// of a candle computed from those of them that were public by its close.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::features {

// One news feature: what it measures, over which items, with which half-life or window.
struct NewsQuery {
    enum class Kind {
        kSent,     // decayed sum of the sentiment
        kSentMean, // decayed mean of the sentiment
        kCount,    // items in the trailing window
        kAge,      // hours since the latest item
    };
    Kind kind = Kind::kCount;
    bool market = false; // all items; false: the items whose symbols hold the candle's inst
    double hours = 0;    // the half-life (kSent, kSentMean) or the window (kCount); 0 for kAge
    friend bool operator==(const NewsQuery&, const NewsQuery&) = default;
};

// The query of the news family `family` (news_sent, news_mkt_count, ...) with its parameters,
// or nothing when family is not a news family.
std::optional<NewsQuery> news_query(std::string_view family, std::span<const double> params);

// The news items of a stream and the values of the news queries at a candle's close.
//
// The value for a candle of inst closing at T uses exactly the items added before the call
// whose ts <= T: an item added early with a later ts is held back (it waits until a candle
// closes at or after its ts), an item added late counts from the next call on. Closes may go
// back in time (a backfilled candle): values stay exact for a close down to 24 h before the
// latest close seen (kBackfillMs); before that they are NaN, as the items that old are no
// longer all kept. Memory: the items of the last (longest count window + 24 h) per symbol,
// plus those not yet public. Cost: O(log n) per item and per query of a candle, plus the
// items of the candle's symbol later than its close when it goes back in time.
class NewsBook {
public:
    static constexpr std::int64_t kBackfillMs = std::int64_t{24} * 3600 * 1000;

    explicit NewsBook(std::vector<NewsQuery> queries);

    [[nodiscard]] std::size_t size() const { return queries_.size(); }

    // An item seen at ts naming symbols (repeats count once); sentiment NaN = not scored
    // (it counts for kCount and kAge only).
    void add(std::int64_t ts, std::span<const std::string> symbols, double sentiment);

    // Writes the value of every query (in the order given to the constructor) for a candle of
    // inst that closes at close_ms into out[0 .. size()). NaN = null: a decayed mean before a
    // scored item, an age before any item, everything for a close more than kBackfillMs before
    // the latest close.
    void values(std::string_view inst, std::int64_t close_ms, double* out);

private:
    struct Entry {
        std::int64_t ts;
        double s; // NaN: not scored
    };
    // The public items of one scope (a symbol, or the market) as decayed sums referenced at
    // `at`, the latest ts among them, and the recent ones themselves (sorted by ts).
    struct Scope {
        std::int64_t at = INT64_MIN;
        std::vector<double> sum;    // per half-life: sum of s 2^(-(at - ts) / h)
        std::vector<double> weight; // per half-life: sum of 2^(-(at - ts) / h), scored items
        std::deque<Entry> recent;   // ts > the pruning cut
        std::int64_t pruned_last = INT64_MIN; // the latest ts dropped from recent
        std::int64_t first_scored = INT64_MAX;
    };
    struct Pending {
        double s;
        std::vector<std::string> symbols;
    };

    Scope& scope(const std::string& name);
    void apply(Scope& sc, std::int64_t ts, double s);
    void evaluate(const Scope* sc, std::int64_t t, double* out, bool market);

    std::vector<NewsQuery> queries_;
    std::vector<double> half_ms_;                  // the distinct half-lives, ms
    std::vector<std::size_t> half_of_;             // per query: its index in half_ms_
    std::int64_t retention_ms_ = 0;                // how long an item stays in recent
    std::multimap<std::int64_t, Pending> pending_; // not yet public, by ts then arrival
    std::int64_t latest_ = INT64_MIN;              // the latest close asked for
    Scope market_;
    std::map<std::string, Scope, std::less<>> symbols_;
    std::vector<double> later_sum_; // per half-life, for evaluate
    std::vector<double> later_weight_;
};

} // namespace okxkit::features
