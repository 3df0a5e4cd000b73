// Reading OKX's public channel pushes: decimals, times, channel names and the rows of each
// channel, from a tokenized frame.
#include "okx/push.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/message.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace okxkit::okx {

bool parse_decimal(std::string_view s, double& v) {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
            return false;
        }
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v >= 0;
}

bool parse_ms(std::string_view s, std::int64_t& v) {
    if (s.empty() || s.size() > 18) {
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v >= 0;
}

bool is_derivative(std::string_view inst) {
    return std::count(inst.begin(), inst.end(), '-') >= 2;
}

ChannelSpec parse_channel(std::string_view name) {
    ChannelSpec spec;
    if (name.starts_with("candle")) {
        auto bar = core::parse_bar(name.substr(6));
        if (!bar) {
            throw core::UsageError("--channels: " + core::excerpt(name) +
                                   " is not a candle channel of an OKX bar (candle1m candle5m "
                                   "candle15m candle1H candle4H candle1Dutc ...)");
        }
        spec.kind = ChannelSpec::Kind::kCandle;
        spec.bar = *bar;
        spec.name = "candle" + std::string(bar->name);
        spec.business = true; // candles moved to /ws/v5/business in 2023 (§5.1)
        return spec;
    }
    static constexpr std::pair<std::string_view, ChannelSpec::Kind> kPublic[] = {
        {"tickers", ChannelSpec::Kind::kTickers}, {"trades", ChannelSpec::Kind::kTrades},
        {"books5", ChannelSpec::Kind::kBooks5},   {"bbo-tbt", ChannelSpec::Kind::kBboTbt},
        {"books", ChannelSpec::Kind::kBooks},
    };
    for (const auto& [n, kind] : kPublic) {
        if (name == n) {
            spec.kind = kind;
            spec.name = std::string(n);
            return spec;
        }
    }
    throw core::UsageError("--channels: " + core::excerpt(name) +
                           " is not a channel okx-stream knows (candle<BAR> such as candle1m, "
                           "tickers, trades, books5, bbo-tbt, books)");
}

namespace {

using Type = JsonReader::Type;

// A member that is a plain string holding an OKX decimal.
bool number_field(const JsonReader& json, std::uint32_t obj, std::string_view key,
                  std::string_view& text, double& v) {
    return json.string(obj, key, text) && parse_decimal(text, v);
}

} // namespace

bool read_candle_rows(const JsonReader& json, std::uint32_t data, bool derivative,
                      std::int64_t max_ts, std::vector<PushCandle>& out, const char*& why) {
    out.clear();
    const auto& arr = json.at(data);
    std::uint32_t i = data + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        const auto& r = json.at(i);
        if (r.type != Type::kArray || r.size < 9) {
            why = "candle row is not [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]";
            return false;
        }
        std::array<std::string_view, 9> f{};
        std::uint32_t j = i + 1;
        for (std::size_t col = 0; col < 9; ++col, j = json.at(j).next) {
            if (json.at(j).type != Type::kString || json.at(j).escaped) {
                why = "candle row holds a value that is not a plain string";
                return false;
            }
            f[col] = json.text(j);
        }
        PushCandle k;
        // Derivatives count vol in contracts; volCcy is the base currency (§2.1).
        k.text = {f[1], f[2], f[3], f[4], derivative ? f[6] : f[5]};
        if (!parse_ms(f[0], k.ts) || !parse_decimal(k.text[0], k.o) ||
            !parse_decimal(k.text[1], k.h) || !parse_decimal(k.text[2], k.l) ||
            !parse_decimal(k.text[3], k.c) || !parse_decimal(k.text[4], k.vol)) {
            why = "candle row with a bad number";
            return false;
        }
        if (auto err = core::check_ohlcv(k.o, k.h, k.l, k.c, k.vol)) {
            why = "candle breaks the OHLCV rules";
            return false;
        }
        if (f[8] != "0" && f[8] != "1") {
            why = "candle confirm is neither 0 nor 1";
            return false;
        }
        if (k.ts > max_ts) {
            why = "candle dated in the future";
            return false;
        }
        k.confirm = f[8] == "1";
        k.vol_quote = f[7];
        k.has_vq = parse_decimal(f[7], k.vq);
        out.push_back(k);
    }
    return true;
}

TickerRead read_ticker(const JsonReader& json, std::uint32_t obj, bool derivative, PushTicker& t) {
    std::string_view ts_text;
    if (json.at(obj).type != Type::kObject || !json.string(obj, "ts", ts_text) ||
        !parse_ms(ts_text, t.ts)) {
        return TickerRead::kMalformed;
    }
    if (!number_field(json, obj, "last", t.last, t.vlast) ||
        !number_field(json, obj, "bidPx", t.bid, t.vbid) ||
        !number_field(json, obj, "bidSz", t.bid_sz, t.vbid_sz) ||
        !number_field(json, obj, "askPx", t.ask, t.vask) ||
        !number_field(json, obj, "askSz", t.ask_sz, t.vask_sz)) {
        return TickerRead::kNoQuote;
    }
    t.has_vol = number_field(json, obj, derivative ? "volCcy24h" : "vol24h", t.vol, t.vvol);
    return TickerRead::kOk;
}

bool read_trades(const JsonReader& json, std::uint32_t data, std::vector<PushTrade>& out,
                 const char*& why) {
    out.clear();
    const auto& arr = json.at(data);
    std::uint32_t i = data + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        PushTrade t;
        std::string_view ts_text;
        if (json.at(i).type != Type::kObject || !json.string(i, "ts", ts_text) ||
            !parse_ms(ts_text, t.ts) || !number_field(json, i, "px", t.px, t.vpx) ||
            !number_field(json, i, "sz", t.sz, t.vsz) || !json.string(i, "side", t.side) ||
            (t.side != "buy" && t.side != "sell") || !json.string(i, "tradeId", t.id) ||
            t.id.empty()) {
            why = "trade without ts, px, sz, side (buy or sell) or tradeId";
            return false;
        }
        out.push_back(t);
    }
    return true;
}

bool read_levels(const JsonReader& json, std::uint32_t side, std::vector<PushLevel>& out,
                 std::size_t depth) {
    out.clear();
    const auto& arr = json.at(side);
    if (arr.type != Type::kArray) {
        return false;
    }
    std::uint32_t i = side + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        const auto& lv = json.at(i);
        if (lv.type != Type::kArray || lv.size < 2 || json.at(i + 1).type != Type::kString ||
            json.at(json.at(i + 1).next).type != Type::kString) {
            return false;
        }
        PushLevel l;
        l.px = json.text(i + 1);
        l.sz = json.text(json.at(i + 1).next);
        if (!parse_decimal(l.px, l.vpx) || !parse_decimal(l.sz, l.vsz)) {
            return false;
        }
        if (out.size() < depth) {
            out.push_back(l);
        }
    }
    return true;
}

bool read_book_side(const JsonReader& json, std::uint32_t side, std::vector<BookLevelText>& out) {
    out.clear();
    const auto& arr = json.at(side);
    if (arr.type != Type::kArray) {
        return false;
    }
    std::uint32_t i = side + 1;
    for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
        const auto& lv = json.at(i);
        if (lv.type != Type::kArray || lv.size < 2) {
            return false;
        }
        const std::uint32_t px = i + 1;
        const std::uint32_t sz = json.at(px).next;
        if (json.at(px).type != Type::kString || json.at(px).escaped ||
            json.at(sz).type != Type::kString || json.at(sz).escaped) {
            return false;
        }
        out.push_back({json.text(px), json.text(sz)});
    }
    return true;
}

bool integer_field(const JsonReader& json, std::uint32_t obj, std::string_view key, std::int64_t& v,
                   bool& bad) {
    const auto q = json.member(obj, key);
    if (!q) {
        return false;
    }
    const std::string_view t = json.text(*q);
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    bad = json.at(*q).type != Type::kNumber || ec != std::errc() || p != t.data() + t.size();
    return !bad;
}

std::optional<std::int64_t> seq_id(const JsonReader& json, std::uint32_t obj) {
    auto q = json.member(obj, "seqId");
    if (!q || json.at(*q).type != Type::kNumber) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    const std::string_view t = json.text(*q);
    if (auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        ec == std::errc() && p == t.data() + t.size()) {
        return v;
    }
    return std::nullopt;
}

} // namespace okxkit::okx
