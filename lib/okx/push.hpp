// OKX's public WebSocket channels and the data of their pushes (okx-v5-protocol.md §5), read
// from a tokenized frame as views of its text: candles, tickers, trades and book levels.
#pragma once

#include "core/bar.hpp"
#include "okx/book.hpp"
#include "okx/json_reader.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// An OKX decimal as the API sends it ("64040.2", "0.0000102", "1e-8"): finite and not negative,
// digits, point, exponent and sign only (no "nan", no hex). False when s is anything else.
bool parse_decimal(std::string_view s, double& v);

// Milliseconds since the epoch as OKX sends them ("1597026383085"): not negative, at most 18
// digits.
bool parse_ms(std::string_view s, std::int64_t& v);

// True for a swap, future or option instId (two or more '-'): their candle volume is counted
// in contracts, the base currency volume is volCcy (§2.1).
bool is_derivative(std::string_view inst);

// A channel okx-stream can subscribe to (okx-v5-protocol.md §5.1, §5.4).
struct ChannelSpec {
    enum class Kind { kCandle, kTickers, kTrades, kBooks5, kBboTbt, kBooks };
    Kind kind = Kind::kCandle;
    std::string name;      // OKX's channel name: candle1m, tickers, trades, books5, bbo-tbt, books
    core::Bar bar{};       // candles only
    bool business = false; // served on /ws/v5/business (candles) or /ws/v5/public
};

// Resolves a channel name as the user wrote it: candle<BAR> with any bar core::parse_bar
// accepts (candle1m, candle1H, candle1h → candle1H), tickers, trades, books5, bbo-tbt, books.
// Throws core::UsageError naming the channel and what is accepted.
ChannelSpec parse_channel(std::string_view name);

// One candle row of a push: [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm].
struct PushCandle {
    std::int64_t ts = 0;
    std::array<std::string_view, 5> text{}; // o h l c vol (base currency)
    std::string_view vol_quote;
    double o = 0, h = 0, l = 0, c = 0, vol = 0, vq = 0;
    bool has_vq = false;
    bool confirm = false;
};

// Reads the rows of the candle push array at token data into out. derivative: take the base
// volume from volCcy. A row dated after max_ts is refused (a clock far off, or a bad row).
// False, with why set, when any row is malformed (not nine plain strings, a bad number, a
// candle that breaks core::check_ohlcv, confirm neither "0" nor "1"); out is then partial.
bool read_candle_rows(const JsonReader& json, std::uint32_t data, bool derivative,
                      std::int64_t max_ts, std::vector<PushCandle>& out, const char*& why);

// One ticker of a push (tickers channel).
struct PushTicker {
    std::int64_t ts = 0;
    std::string_view last, bid, bid_sz, ask, ask_sz, vol;
    double vlast = 0, vbid = 0, vbid_sz = 0, vask = 0, vask_sz = 0, vvol = 0;
    bool has_vol = false;
};

enum class TickerRead {
    kOk,        // every field read
    kNoQuote,   // a side without orders: OKX sends "" for its price and size
    kMalformed, // not an object with a ts
};

// Reads the ticker object at token obj; the 24 h volume from vol24h, or volCcy24h for a
// derivative.
TickerRead read_ticker(const JsonReader& json, std::uint32_t obj, bool derivative, PushTicker& t);

// One trade of a push (trades channel).
struct PushTrade {
    std::int64_t ts = 0;
    std::string_view px, sz, side, id;
    double vpx = 0, vsz = 0;
};

// Reads every trade of the push array at token data; false, with why set, when any lacks ts,
// px, sz, side (buy or sell) or tradeId.
bool read_trades(const JsonReader& json, std::uint32_t data, std::vector<PushTrade>& out,
                 const char*& why);

// One price level of a book push, [px, sz, ...].
struct PushLevel {
    std::string_view px, sz;
    double vpx = 0, vsz = 0;
};

// Reads the levels of the side array at token side (the first depth of them kept); false when
// it is not an array of [px, sz, ...] with decimal strings.
bool read_levels(const JsonReader& json, std::uint32_t side, std::vector<PushLevel>& out,
                 std::size_t depth);

// The levels of a `books` side as views of the frame, for okx::OrderBook; false when not an
// array of [px, sz, ...] of plain strings.
bool read_book_side(const JsonReader& json, std::uint32_t side, std::vector<BookLevelText>& out);

// A plain JSON integer member (seqId, prevSeqId, checksum): false when absent; true with bad
// set when present but not an integer.
bool integer_field(const JsonReader& json, std::uint32_t obj, std::string_view key, std::int64_t& v,
                   bool& bad);

// The seqId of a book object when it is a plain integer.
std::optional<std::int64_t> seq_id(const JsonReader& json, std::uint32_t obj);

} // namespace okxkit::okx
