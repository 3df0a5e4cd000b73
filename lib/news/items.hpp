// News items: reading recorded ones (CSV or NDJSON), the keys that find a repeat, the symbols
// an item concerns, and the `news` line.
#pragma once

#include "news/vader.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::news {

struct Item {
    std::int64_t ts = 0;                   // first seen (ingest time; replay: published+delay)
    std::optional<std::int64_t> published; // the feed's claim
    std::string headline;
    std::string source;
    std::string url;                  // "" when none
    std::vector<std::string> symbols; // instIds, in the order of the configured list
    std::optional<Sentiment> sentiment;
};

// The keys under which an item is a repeat of an earlier one: its headline lower-cased with
// punctuation and spacing evened out ("h:..."), and its URL without scheme, "www.", fragment,
// utm_* parameters and a trailing '/' ("u:..."; none when the item has no URL). An item is a
// repeat when either key was seen.
std::string headline_key(std::string_view headline);
std::optional<std::string> url_key(std::string_view url);

// Which configured instruments a headline concerns.
class Tagger {
public:
    // insts: OKX instIds ("BTC-USDT"); aliases: "BASE=name" each, adding a name (one or
    // more words, any case) for the instruments of that base currency. Built in: the names of
    // the default symbols (bitcoin, xbt; ethereum, ether; cardano; polkadot; chainlink;
    // litecoin; ripple) and, for every base, its ticker in capitals ("BTC") or after '$'
    // or '#' in any case ("$btc"). Names of other coins that contain one ("bitcoin cash",
    // "ethereum classic", "wrapped bitcoin") do not count. Throws core::UsageError on an
    // alias that is not BASE=name.
    Tagger(std::vector<std::string> insts, const std::vector<std::string>& aliases);
    // The instIds the text names, each once, in the order of insts. O(words × names).
    [[nodiscard]] std::vector<std::string> symbols(std::string_view text) const;

private:
    struct Name {
        std::vector<std::string> words; // lower-case
        std::size_t inst;               // index in insts_
    };
    std::vector<std::string> insts_;
    std::vector<std::string> bases_;       // per inst
    std::vector<std::string> lower_bases_; // per inst, lower-cased
    std::vector<Name> names_;
    std::vector<std::vector<std::string>> other_coins_; // phrases that name another coin
};

// Appends the `news` line of item (without newline) to out: type, v, ts, published, headline,
// source, url, symbols, sentiment (compound rounded to 4 decimals) and, with explain, terms
// ([{"term":..,"valence":..}]).
void append_news_line(std::string& out, const Item& item, bool explain);

// Reading recorded items. CSV: a header naming at least `published` and `headline` (any
// case, any order; also `url` or `link`, and `source` or `origin`), RFC 4180 quoting
// (fields may hold commas, quotes and newlines). NDJSON: `news` lines (other types are
// skipped); ts kept when present. A row that cannot be read is reported to problem(line,
// why) and skipped.
struct Recorded {
    Item item;
    bool has_ts = false; // NDJSON with its ts: replayed at that ts
};
std::vector<Recorded> read_recorded(std::string_view text, std::string_view file_name,
                                    const std::function<void(std::size_t, std::string)>& problem);

} // namespace okxkit::news
