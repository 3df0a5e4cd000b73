// Paging OKX candle history (market/candles, market/history-candles) into complete ranges.
#pragma once

#include "core/bar.hpp"
#include "okx/rest.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace okxkit::okx {

// One candle as OKX sends it: numbers kept as the exchange's decimal strings.
struct RestCandle {
    std::int64_t ts = 0;
    std::string o, h, l, c;
    std::string vol;       // base currency (contracts are converted by OKX's volCcy column)
    std::string vol_quote; // quote currency
    bool confirm = false;
};

// Parses one row [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]. For derivatives (-SWAP,
// futures, options) the base volume is volCcy, for spot vol. Throws OkxError (code "") on a
// row that does not have that shape.
RestCandle parse_candle_row(const nlohmann::json& row, bool derivative, std::string_view endpoint);

// Fetches candle ranges of one instrument and bar. Pages with exclusive before/after bounds
// (okx-v5-protocol.md §2.1) and keeps asking for older rows until the range is covered, so a
// short page (a server limit below the one asked for) never loses bars. Uses
// market/candles inside its 1,440-bar window and market/history-candles before it.
class CandlePager {
public:
    CandlePager(RestClient& client, std::string inst, core::Bar bar, std::int64_t server_now_ms,
                int limit = 300);

    // Confirmed candles with lo <= ts < hi, oldest first, each ts once. Cost: about
    // (hi - lo) / (limit * bar) requests.
    std::vector<RestCandle> fetch(std::int64_t lo, std::int64_t hi);

private:
    RestClient& client_;
    std::string inst_;
    core::Bar bar_;
    std::int64_t now_;
    int limit_;
    bool derivative_;
};

// The server's clock (GET /api/v5/public/time), in ms.
std::int64_t server_time_ms(RestClient& client);

} // namespace okxkit::okx
