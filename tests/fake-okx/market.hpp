// The fake server's market data: candle CSVs loaded from --data, and candle selection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fake {

// One OKX bar name with its length. Month bars have ms == 0 and months > 0.
struct OkxBar {
    std::string_view name; // exactly as OKX spells it
    std::int64_t ms;       // fixed length, or 0 for month bars
    int months;            // 1 or 3 for month bars, else 0
    std::int64_t anchor;   // offset of the bar's clock from UTC: 8 h for HK-anchored, else 0
    bool history_only;     // "1s" exists on /market/history-candles only
};

// Looks a bar up in OKX's list, case-sensitively (OKX answers 51000 for "1h" or "1d").
std::optional<OkxBar> find_okx_bar(std::string_view name);

// The open time of the bar after the one that opens at ts. O(1).
std::int64_t bar_end(const OkxBar& bar, std::int64_t ts);

// One row of a candle CSV, numbers kept as the decimal text of the file.
struct Candle {
    std::int64_t ts;
    std::string open, high, low, close, vol;
    std::string vol_quote; // vol × close, exact decimal
};

// The candles of one instrument and bar, oldest first, timestamps unique.
struct Series {
    OkxBar bar;
    std::vector<Candle> rows;
};

// A spot instrument seen in --data.
struct Instrument {
    std::string inst_id, base, quote;
    std::string tick_sz;    // 10^-d, d = most decimals of any price in its files
    std::int64_t list_time; // oldest candle of any of its files
    int code;               // instIdCode: 1000000000 + rank in instId order
};

// All market data of one --data directory.
class MarketData {
public:
    // Loads every INST_BAR.csv of dir (header ts_ms,open,high,low,close,volume). Other files
    // are ignored; a .csv whose name does not parse is skipped with a warning. Throws
    // core::UsageError when dir is not a directory and core::RuntimeError naming FILE:LINE
    // for a malformed row or a repeated timestamp. O(rows × log rows).
    static MarketData load(const std::filesystem::path& dir);

    // Adds one series from CSV text; name is used in error messages. For tests and load().
    void add_csv(std::string_view inst_id, const OkxBar& bar, std::string_view text,
                 std::string_view name);

    [[nodiscard]] const Instrument* instrument(std::string_view inst_id) const;
    [[nodiscard]] const Series* series(std::string_view inst_id, std::string_view bar) const;
    [[nodiscard]] std::vector<const Instrument*> instruments() const;
    // Every series of inst_id, finest bar first (month bars last); empty when unknown.
    [[nodiscard]] std::vector<const Series*> series_of(std::string_view inst_id) const;

private:
    void finish();
    std::map<std::string, Instrument, std::less<>> instruments_;
    std::map<std::string, std::map<std::string, Series, std::less<>>, std::less<>> series_;
    std::map<std::string, int, std::less<>> decimals_;
};

// What a candles request asks for, already validated.
struct CandleQuery {
    std::optional<std::int64_t> after;  // ts < after
    std::optional<std::int64_t> before; // ts > before
    std::size_t limit = 100;
    std::int64_t now = 0;              // bars opening after now do not exist yet
    std::optional<std::size_t> window; // only the last N bars at or before now (/candles)
};

// The rows a candles request returns, newest first: of the bars opening at or before now
// (the last `window` of them when set), those strictly inside the after/before bounds, the
// newest `limit` of them. So `before` alone gives the latest bars, not the ones right after
// `before` (§2.1). O(log rows + limit).
std::vector<const Candle*> select_candles(const Series& series, const CandleQuery& query);

// "0" while the bar that opens at ts is still forming at now, else "1".
std::string_view confirm_flag(const OkxBar& bar, std::int64_t ts, std::int64_t now);

// The exact product of two non-negative decimal strings ("1040.37" × "102820.4"), without
// trailing zeros. O(digits²).
std::string decimal_mul(std::string_view a, std::string_view b);

// Exact sum and difference of non-negative decimal strings, at the larger number of
// decimals of the two ("30000.0" + "0.1" = "30000.1"). decimal_sub gives "0" when b > a.
std::string decimal_add(std::string_view a, std::string_view b);
std::string decimal_sub(std::string_view a, std::string_view b);
// -1, 0 or 1 as a < b, a == b, a > b, by value ("1.50" == "1.5").
int decimal_cmp(std::string_view a, std::string_view b);

// The candle of series whose bar is forming at now (ts <= now < end), or nullptr.
const Candle* forming_candle(const Series& series, std::int64_t now);

} // namespace okxkit::fake
