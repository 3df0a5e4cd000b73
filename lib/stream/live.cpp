// okx-stream live mode: frame normalisation, the candle gap/dedupe machine, health, the loop.
#include "stream/live.hpp"

#include "core/cli.hpp"
#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"
#include "okx/book.hpp"
#include "okx/envelope.hpp"
#include "okx/instruments.hpp"
#include "okx/tape.hpp"
#include "okx/ws.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <unordered_map>

#include <unistd.h>

namespace okxkit::stream {

namespace {

constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
// Waiting for REST to confirm the bar that just closed: the first wait and the most waited in
// all; the waits double (0.25, 0.5, 1, 2 s).
constexpr std::int64_t kTailFirstWaitMs = 250;
constexpr std::int64_t kTailWaitMs = 4000;
// A bar opening more than this (plus one bar) after its push was received is not believed:
// a hole up to it would be "repaired" with nothing and every real bar before it dropped as
// stale. It leaves room for a local clock that is behind the exchange's.
constexpr std::int64_t kFutureSlackMs = 3600LL * 1000;

// --- a small JSON reader -----------------------------------------------------------------

// Tokenises one JSON text without allocating once warm (tokens live in a reused vector) and
// keeps strings as views of the text, which is all OKX's pushes need: their numbers come as
// strings and none of their fields needs unescaping. Depth and size are bounded.
class JsonReader {
public:
    enum class Type : std::uint8_t { kObject, kArray, kString, kNumber, kLiteral };
    struct Token {
        Type type;
        bool escaped;        // a string holding backslash escapes
        std::uint32_t begin; // strings: after the opening quote
        std::uint32_t end;   // strings: at the closing quote
        std::uint32_t next;  // index of the token after this one's subtree
        std::uint32_t size;  // objects: members; arrays: elements
    };

    // Parses text; false with error() set when it is not one JSON value.
    bool parse(std::string_view text) {
        src_ = text;
        toks_.clear();
        error_ = nullptr;
        if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
            error_ = "frame too long";
            return false;
        }
        std::size_t pos = 0;
        if (!value(pos, 0)) {
            return false;
        }
        skip_ws(pos);
        if (pos != src_.size()) {
            error_ = "text after the JSON value";
            return false;
        }
        return true;
    }
    [[nodiscard]] const char* error() const { return error_ != nullptr ? error_ : "bad JSON"; }

    [[nodiscard]] const Token& at(std::uint32_t i) const { return toks_[i]; }
    [[nodiscard]] std::string_view text(std::uint32_t i) const {
        const Token& t = toks_[i];
        return src_.substr(t.begin, t.end - t.begin);
    }
    // The value of member key of object i, or nullopt.
    [[nodiscard]] std::optional<std::uint32_t> member(std::uint32_t obj,
                                                      std::string_view key) const {
        const Token& o = toks_[obj];
        if (o.type != Type::kObject) {
            return std::nullopt;
        }
        std::uint32_t k = obj + 1;
        for (std::uint32_t m = 0; m < o.size; ++m) {
            const std::uint32_t v = k + 1;
            if (!toks_[k].escaped && text(k) == key) {
                return v;
            }
            k = toks_[v].next;
        }
        return std::nullopt;
    }
    // A plain (unescaped) string member.
    [[nodiscard]] bool string(std::uint32_t obj, std::string_view key,
                              std::string_view& out) const {
        auto v = member(obj, key);
        if (!v || toks_[*v].type != Type::kString || toks_[*v].escaped) {
            return false;
        }
        out = text(*v);
        return true;
    }

private:
    static constexpr int kMaxDepth = 32;

    void skip_ws(std::size_t& pos) const {
        while (pos < src_.size() &&
               (src_[pos] == ' ' || src_[pos] == '\n' || src_[pos] == '\r' || src_[pos] == '\t')) {
            ++pos;
        }
    }

    std::uint32_t push(Type type, std::size_t begin) {
        toks_.push_back({type, false, static_cast<std::uint32_t>(begin), 0, 0, 0});
        return static_cast<std::uint32_t>(toks_.size() - 1);
    }

    void close(std::uint32_t idx, std::size_t end) {
        toks_[idx].end = static_cast<std::uint32_t>(end);
        toks_[idx].next = static_cast<std::uint32_t>(toks_.size());
    }

    bool string_token(std::size_t& pos) {
        // src_[pos] == '"'
        const std::uint32_t idx = push(Type::kString, pos + 1);
        ++pos;
        bool escaped = false;
        while (pos < src_.size()) {
            const auto c = static_cast<unsigned char>(src_[pos]);
            if (c == '"') {
                toks_[idx].escaped = escaped;
                close(idx, pos);
                ++pos;
                return true;
            }
            if (c < 0x20) {
                error_ = "control character in a string";
                return false;
            }
            if (c == '\\') {
                escaped = true;
                if (pos + 1 >= src_.size()) {
                    break;
                }
                const char e = src_[pos + 1];
                if (e == 'u') {
                    if (pos + 5 >= src_.size()) {
                        break;
                    }
                    for (std::size_t k = pos + 2; k < pos + 6; ++k) {
                        if (std::isxdigit(static_cast<unsigned char>(src_[k])) == 0) {
                            error_ = "bad \\u escape";
                            return false;
                        }
                    }
                    pos += 6;
                    continue;
                }
                if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                    e != 'r' && e != 't') {
                    error_ = "bad escape in a string";
                    return false;
                }
                pos += 2;
                continue;
            }
            ++pos;
        }
        error_ = "unterminated string";
        return false;
    }

    bool number_token(std::size_t& pos) {
        const std::size_t begin = pos;
        const auto digits = [&] {
            const std::size_t from = pos;
            while (pos < src_.size() && src_[pos] >= '0' && src_[pos] <= '9') {
                ++pos;
            }
            return pos > from;
        };
        if (src_[pos] == '-') {
            ++pos;
        }
        if (!digits()) {
            error_ = "bad number";
            return false;
        }
        if (pos < src_.size() && src_[pos] == '.') {
            ++pos;
            if (!digits()) {
                error_ = "bad number";
                return false;
            }
        }
        if (pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
            ++pos;
            if (pos < src_.size() && (src_[pos] == '+' || src_[pos] == '-')) {
                ++pos;
            }
            if (!digits()) {
                error_ = "bad number";
                return false;
            }
        }
        const std::uint32_t idx = push(Type::kNumber, begin);
        close(idx, pos);
        return true;
    }

    bool value(std::size_t& pos, int depth) {
        skip_ws(pos);
        if (pos >= src_.size()) {
            error_ = "unexpected end of the text";
            return false;
        }
        if (depth > kMaxDepth) {
            error_ = "nested too deeply";
            return false;
        }
        const char c = src_[pos];
        if (c == '{' || c == '[') {
            const bool object = c == '{';
            const std::uint32_t idx = push(object ? Type::kObject : Type::kArray, pos);
            ++pos;
            skip_ws(pos);
            const char close_char = object ? '}' : ']';
            if (pos < src_.size() && src_[pos] == close_char) {
                ++pos;
                close(idx, pos);
                return true;
            }
            std::uint32_t n = 0;
            while (true) {
                if (object) {
                    skip_ws(pos);
                    if (pos >= src_.size() || src_[pos] != '"') {
                        error_ = "object key is not a string";
                        return false;
                    }
                    if (!string_token(pos)) {
                        return false;
                    }
                    skip_ws(pos);
                    if (pos >= src_.size() || src_[pos] != ':') {
                        error_ = "missing ':' in an object";
                        return false;
                    }
                    ++pos;
                }
                if (!value(pos, depth + 1)) {
                    return false;
                }
                ++n;
                skip_ws(pos);
                if (pos < src_.size() && src_[pos] == ',') {
                    ++pos;
                    continue;
                }
                if (pos < src_.size() && src_[pos] == close_char) {
                    ++pos;
                    break;
                }
                error_ =
                    object ? "missing ',' or '}' in an object" : "missing ',' or ']' in an array";
                return false;
            }
            toks_[idx].size = n;
            close(idx, pos);
            return true;
        }
        if (c == '"') {
            return string_token(pos);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number_token(pos);
        }
        for (std::string_view lit :
             {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
            if (src_.substr(pos, lit.size()) == lit) {
                const std::uint32_t idx = push(Type::kLiteral, pos);
                pos += lit.size();
                close(idx, pos);
                return true;
            }
        }
        error_ = "not JSON";
        return false;
    }

    std::string_view src_;
    std::vector<Token> toks_;
    const char* error_ = nullptr;
};

// OKX decimals ("64040.2", "0.0000102", "1e-8"): finite, not negative. No "nan", no hex.
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

// One candle row of a push, viewed in the frame's text.
struct CandleView {
    std::int64_t ts = 0;
    std::array<std::string_view, 5> text{}; // o h l c vol (base)
    std::string_view vol_quote;
    double o = 0, h = 0, l = 0, c = 0, vol = 0, vq = 0;
    bool has_vq = false;
    bool confirm = false;
};

// One trade of a push.
struct TradeView {
    std::int64_t ts = 0;
    std::string_view px, sz, side, id;
    double vpx = 0, vsz = 0;
};

// One price level of a book push.
struct Level {
    std::string_view px, sz;
    double vpx = 0, vsz = 0;
};

double percentile(std::vector<std::int64_t>& v, double q) {
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
}

} // namespace

ChannelSpec parse_channel(std::string_view name) {
    ChannelSpec spec;
    if (name.starts_with("candle")) {
        auto bar = core::parse_bar(name.substr(6));
        if (!bar) {
            throw core::UsageError("--channels: \"" + std::string(name) +
                                   "\" is not a candle channel of an OKX bar (candle1m candle5m "
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
    throw core::UsageError("--channels: \"" + std::string(name) +
                           "\" is not a channel okx-stream knows (candle<BAR> such as candle1m, "
                           "tickers, trades, books5, bbo-tbt, books)");
}

std::vector<okx::RestCandle> RestCandleSource::fetch(const std::string& inst, core::Bar bar,
                                                     std::int64_t lo, std::int64_t hi) {
    // hi is the open time of a bar OKX has pushed, so the server's clock is at least there;
    // an early "now" only makes the pager prefer history-candles, which serves every bar.
    okx::CandlePager pager(client_, inst, bar, hi + bar.ms);
    return pager.fetch(lo, hi);
}

void RestCandleSource::pause(std::int64_t ms) {
    if (!client_.replaying()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
}

// --- the session -------------------------------------------------------------------------

struct LiveSession::Impl {
    struct Endpoint {
        std::string component;
        std::string url;
        std::vector<std::int64_t> latency; // ms, since the last summary
        std::int64_t window_start = kNone;
    };
    struct Sub {
        ChannelSpec::Kind kind{};
        std::string channel;
        std::string inst;
        core::Bar bar{};
        std::size_t ep = 0;
        bool derivative = false;
        bool done = false;
        // candles
        std::int64_t next = kNone;    // open time of the next bar owed, confirmed
        std::int64_t forming = kNone; // open time of the forming bar last pushed
        std::string cause;            // gap cause pending since a disconnect
        std::int64_t partial_ts = kNone;
        std::string partial_sig; // the forming update last written (--partial)
        bool unknown_noted = false;
        // books
        std::unique_ptr<okx::OrderBook> book;
        bool resyncing = false;    // a resubscribe was asked for and its snapshot has not come
        bool after_notice = false; // its connection was replaced after a notice (64008)
    };

    Impl(SessionOptions o, core::Output& output, CandleSource* candle_source,
         store::CandleRun* candle_sink, std::string run)
        : options(o), out(output), source(candle_source), sink(candle_sink),
          run_id(std::move(run)) {}

    SessionOptions options;
    core::Output& out;
    CandleSource* source;
    store::CandleRun* sink;
    std::string run_id;
    std::vector<Endpoint> endpoints;
    std::vector<Sub> subs;
    std::unordered_map<std::string, std::size_t> by_key; // channel \x1f inst → subs index
    std::string key_scratch;
    SessionStats stats;
    JsonReader json;
    std::vector<CandleView> candles;
    std::vector<TradeView> trades;
    std::vector<Level> bids, asks;
    std::vector<okx::BookLevelText> book_bids, book_asks;
    LiveSession* owner = nullptr;
    store::CandleRow row;
    std::chrono::steady_clock::time_point last_commit = std::chrono::steady_clock::now();

    Sub* find(std::string_view channel, std::string_view inst) {
        key_scratch.assign(channel);
        key_scratch += '\x1f';
        key_scratch += inst;
        auto it = by_key.find(key_scratch);
        return it == by_key.end() ? nullptr : &subs[it->second];
    }

    void report(std::size_t ep, std::string_view why, std::string_view text, std::int64_t ts) {
        ++stats.malformed;
        std::string shown(text.substr(0, 120));
        for (char& c : shown) {
            if (static_cast<unsigned char>(c) < 0x20) {
                c = ' ';
            }
        }
        core::Log::warning(endpoints[ep].url + ": malformed frame skipped (" + std::string(why) +
                           "): " + shown + (text.size() > 120 ? "..." : ""));
        health(ts, endpoints[ep].component, "error", {}, std::nullopt,
               "malformed frame: " + std::string(why));
    }

    void health(std::int64_t ts, std::string_view component, std::string_view event,
                std::string_view inst, std::optional<double> value, const std::string& detail) {
        if (sink != nullptr) {
            store::add_health(sink->store(),
                              {ts, run_id, std::string(component), std::string(event),
                               std::string(inst), value, detail});
        }
        if (!options.health_out) {
            return;
        }
        std::string& buf = out.buffer();
        buf += R"({"type":"health","v":1,"ts":)";
        core::append_int(buf, ts);
        if (!inst.empty()) {
            buf += R"(,"inst":)";
            core::append_json_string(buf, inst);
        }
        buf += R"(,"component":)";
        core::append_json_string(buf, component);
        buf += R"(,"event":)";
        core::append_json_string(buf, event);
        if (value) {
            buf += R"(,"value":)";
            core::append_double(buf, *value);
        }
        if (!detail.empty()) {
            buf += R"(,"detail":)";
            core::append_json_string(buf, detail);
        }
        buf += '}';
        out.end_line();
        ++stats.lines;
    }

    void latency(std::size_t ep, std::int64_t exchange_ts, std::int64_t recv_ts) {
        Endpoint& e = endpoints[ep];
        if (e.window_start == kNone) {
            e.window_start = recv_ts;
        } else if (recv_ts - e.window_start >= options.latency_every_ms) {
            summarise(ep, recv_ts);
            e.window_start = recv_ts;
        }
        e.latency.push_back(recv_ts - exchange_ts);
    }

    void summarise(std::size_t ep, std::int64_t ts) {
        Endpoint& e = endpoints[ep];
        if (e.latency.empty()) {
            return;
        }
        const std::size_t n = e.latency.size();
        const double p50 = percentile(e.latency, 0.5);
        const double p99 = percentile(e.latency, 0.99);
        const double max =
            static_cast<double>(*std::max_element(e.latency.begin(), e.latency.end()));
        std::string detail = "p99 ms of " + std::to_string(n) + " pushes; p50 " +
                             std::to_string(static_cast<std::int64_t>(p50)) + ", max " +
                             std::to_string(static_cast<std::int64_t>(max));
        health(ts, e.component, "latency", {}, p99, detail);
        e.latency.clear();
    }

    // --- candles ---

    void write_candle(const Sub& s, std::int64_t ts, const std::array<std::string_view, 5>& text,
                      double o, double h, double l, double c, double vol, std::optional<double> vq,
                      bool confirm, std::int64_t recv_ts, bool from_rest) {
        core::Candle msg{ts, s.inst, s.bar.name, o, h, l, c, vol, vq, confirm, text};
        std::string& buf = out.buffer();
        core::append_candle(buf, msg);
        buf.pop_back(); // the closing brace: recv_ts follows
        buf += R"(,"recv_ts":)";
        core::append_int(buf, recv_ts);
        buf += '}';
        out.end_line();
        ++stats.lines;
        if (!confirm) {
            return;
        }
        ++stats.candles;
        if (sink != nullptr) {
            row.inst = s.inst;
            row.bar.assign(s.bar.name);
            row.ts = ts;
            row.o = o;
            row.h = h;
            row.l = l;
            row.c = c;
            row.vol = vol;
            row.vol_quote = vq;
            row.source = from_rest ? "okx:rest" : "okx:ws";
            sink->add(row);
        }
    }

    // Writes the bars [s.next, hi) from the CandleSource, after a gap message when bars are
    // missing from the stream (to: the pushed bar that showed the hole).
    void repair(Sub& s, std::int64_t hi, std::int64_t to, std::int64_t recv_ts) {
        const std::int64_t lo = s.next;
        const std::int64_t missing = (hi - lo + s.bar.ms - 1) / s.bar.ms;
        // Only the confirm of the bar that was forming is missing: not a gap, if REST has it.
        std::string cause = s.cause;
        if (cause.empty() && !(s.forming == lo && missing == 1)) {
            cause = "missing";
        }
        std::vector<okx::RestCandle> got;
        std::string failure;
        if (source != nullptr) {
            try {
                got = source->fetch(s.inst, s.bar, lo, hi);
            } catch (const okx::OkxError& e) {
                failure = e.what();
            }
        }
        std::erase_if(got, [&](const okx::RestCandle& k) { return k.ts < lo || k.ts >= hi; });
        // OKX's REST can lag its WebSocket: the bar that closed just before the pushed one may
        // still be forming there. Ask for it again a few times before calling it missing. This
        // blocks the loop for at most kTailWaitMs in all, well inside the ping interval.
        const std::int64_t last = hi - s.bar.ms;
        const auto only_last_absent = [&] {
            return got.empty() ? lo == last : got.back().ts == last - s.bar.ms;
        };
        for (std::int64_t wait = kTailFirstWaitMs, waited = 0;
             source != nullptr && failure.empty() && hi == to && waited + wait <= kTailWaitMs &&
             only_last_absent();
             waited += wait, wait *= 2) {
            core::Log::debug(
                s.inst + " " + std::string(s.bar.name) + " " + core::format_iso_ms(last) +
                ": not confirmed by REST yet; asking again in " + std::to_string(wait) + " ms");
            source->pause(wait);
            try {
                for (okx::RestCandle& k : source->fetch(s.inst, s.bar, last, hi)) {
                    if (k.ts == last) {
                        got.push_back(std::move(k));
                    }
                }
            } catch (const okx::OkxError& e) {
                failure = e.what();
            }
        }
        if (cause.empty() && (got.size() != 1 || got[0].ts != lo)) {
            cause = "missing";
        }
        const std::string& component = endpoints[s.ep].component;
        if (!cause.empty()) {
            std::string& buf = out.buffer();
            buf += R"({"type":"gap","v":1,"ts":)";
            core::append_int(buf, lo);
            buf += R"(,"inst":")";
            buf += s.inst;
            buf += R"(","bar":")";
            buf += s.bar.name;
            buf += R"(","from":)";
            core::append_int(buf, lo - s.bar.ms);
            buf += R"(,"to":)";
            core::append_int(buf, to);
            buf += R"(,"cause":")";
            buf += cause;
            buf += R"(","recv_ts":)";
            core::append_int(buf, recv_ts);
            buf += '}';
            out.end_line();
            ++stats.lines;
            ++stats.gaps;
            health(recv_ts, component, "gap", s.inst, static_cast<double>(missing),
                   cause + " " + std::string(s.bar.name) + " " + core::format_iso_ms(lo) + " .. " +
                       core::format_iso_ms(to));
        }
        if (!failure.empty()) {
            core::Log::error("cannot backfill " + s.inst + " " + std::string(s.bar.name) + " " +
                             core::format_iso_ms(lo) + " .. " + core::format_iso_ms(hi) + ": " +
                             failure + "; the gap stays open");
            health(recv_ts, "okx-rest", "error", s.inst, std::nullopt, failure);
        }
        std::size_t written = 0;
        for (const okx::RestCandle& k : got) {
            double o = 0, h = 0, l = 0, c = 0, vol = 0, vq = 0;
            if (!parse_decimal(k.o, o) || !parse_decimal(k.h, h) || !parse_decimal(k.l, l) ||
                !parse_decimal(k.c, c) || !parse_decimal(k.vol, vol) ||
                core::check_ohlcv(o, h, l, c, vol)) {
                core::Log::warning("okx sent a bad " + s.inst + " " + std::string(s.bar.name) +
                                   " candle at " + core::format_iso_ms(k.ts) + "; skipped");
                continue;
            }
            std::optional<double> vol_quote;
            if (parse_decimal(k.vol_quote, vq)) {
                vol_quote = vq;
            }
            write_candle(s, k.ts, {k.o, k.h, k.l, k.c, k.vol}, o, h, l, c, vol, vol_quote, true,
                         recv_ts, true);
            ++written;
        }
        stats.backfilled += written;
        if (source != nullptr) {
            health(recv_ts, "okx-rest", "backfill", s.inst, static_cast<double>(written),
                   std::string(s.bar.name) + " " + core::format_iso_ms(lo) + " .. " +
                       core::format_iso_ms(hi));
        }
        s.next = hi;
        s.forming = kNone;
    }

    void on_candle(Sub& s, const CandleView& k, std::int64_t recv_ts) {
        if (s.done) {
            return;
        }
        if (s.next == kNone) {
            s.next = k.ts; // the stream of this key starts with the first bar pushed
        }
        if (k.ts < s.next) {
            ++stats.duplicates;
            return;
        }
        const std::int64_t stop = options.until ? std::min(k.ts, *options.until) : k.ts;
        if (stop > s.next) {
            repair(s, stop, k.ts, recv_ts);
        }
        s.cause.clear();
        if (options.until && k.ts >= *options.until) {
            s.done = true;
            return;
        }
        if (k.confirm) {
            latency(s.ep, k.ts + s.bar.ms, recv_ts);
            write_candle(s, k.ts, k.text, k.o, k.h, k.l, k.c, k.vol,
                         k.has_vq ? std::optional<double>(k.vq) : std::nullopt, true, recv_ts,
                         false);
            s.next = k.ts + s.bar.ms;
            s.forming = kNone;
            s.partial_ts = kNone;
            if (options.until && s.next >= *options.until) {
                s.done = true;
            }
            return;
        }
        s.forming = k.ts;
        if (!options.partial) {
            return;
        }
        // OKX re-sends the forming bar; an update identical to the last one adds nothing.
        std::size_t sig_len = 0;
        for (auto t : k.text) {
            sig_len += t.size() + 1;
        }
        if (s.partial_ts == k.ts && s.partial_sig.size() == sig_len) {
            std::size_t pos = 0;
            bool same = true;
            for (auto t : k.text) {
                same = same && s.partial_sig.compare(pos, t.size(), t) == 0;
                pos += t.size() + 1;
            }
            if (same) {
                ++stats.duplicates;
                return;
            }
        }
        s.partial_ts = k.ts;
        s.partial_sig.clear();
        for (auto t : k.text) {
            s.partial_sig.append(t);
            s.partial_sig += '|';
        }
        write_candle(s, k.ts, k.text, k.o, k.h, k.l, k.c, k.vol,
                     k.has_vq ? std::optional<double>(k.vq) : std::nullopt, false, recv_ts, false);
    }

    // Reads the rows of a candle push; false (with why) when any is malformed.
    bool read_candles(const Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why) {
        candles.clear();
        const auto& arr = json.at(data);
        std::uint32_t i = data + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            const auto& r = json.at(i);
            if (r.type != JsonReader::Type::kArray || r.size < 9) {
                why = "candle row is not [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]";
                return false;
            }
            std::array<std::string_view, 9> f{};
            std::uint32_t j = i + 1;
            for (std::size_t col = 0; col < 9; ++col, j = json.at(j).next) {
                if (json.at(j).type != JsonReader::Type::kString || json.at(j).escaped) {
                    why = "candle row holds a value that is not a plain string";
                    return false;
                }
                f[col] = json.text(j);
            }
            CandleView k;
            // Derivatives count vol in contracts; volCcy is the base currency (§2.1).
            k.text = {f[1], f[2], f[3], f[4], s.derivative ? f[6] : f[5]};
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
            if (k.ts > recv_ts + kFutureSlackMs + s.bar.ms) {
                why = "candle dated in the future";
                return false;
            }
            k.confirm = f[8] == "1";
            k.vol_quote = f[7];
            k.has_vq = parse_decimal(f[7], k.vq);
            candles.push_back(k);
        }
        return true;
    }

    // --- tickers, trades, books ---

    bool number_field(std::uint32_t obj, std::string_view key, std::string_view& text,
                      double& v) const {
        return json.string(obj, key, text) && parse_decimal(text, v);
    }

    void append_number(std::string& buf, std::string_view key, std::string_view text, double v) {
        buf += ",\"";
        buf += key;
        buf += "\":";
        core::append_double_from_text(buf, text, v);
    }

    bool on_ticker(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why) {
        const auto& arr = json.at(data);
        std::uint32_t i = data + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            std::string_view ts_text, last, bid, bid_sz, ask, ask_sz, vol;
            double vlast = 0, vbid = 0, vbid_sz = 0, vask = 0, vask_sz = 0, vvol = 0;
            std::int64_t ts = 0;
            if (json.at(i).type != JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
                !parse_ms(ts_text, ts)) {
                why = "ticker without a ts";
                return false;
            }
            if (!number_field(i, "last", last, vlast) || !number_field(i, "bidPx", bid, vbid) ||
                !number_field(i, "bidSz", bid_sz, vbid_sz) ||
                !number_field(i, "askPx", ask, vask) ||
                !number_field(i, "askSz", ask_sz, vask_sz)) {
                // OKX sends "" for a side without orders: no quote to write.
                core::Log::debug(s.inst + ": ticker without a full quote skipped");
                continue;
            }
            const bool has_vol = number_field(i, s.derivative ? "volCcy24h" : "vol24h", vol, vvol);
            if (until_reached(s, ts)) {
                continue;
            }
            latency(s.ep, ts, recv_ts);
            std::string& buf = out.buffer();
            buf += R"({"type":"ticker","v":1,"ts":)";
            core::append_int(buf, ts);
            buf += R"(,"inst":")";
            buf += s.inst;
            buf += '"';
            append_number(buf, "last", last, vlast);
            append_number(buf, "bid", bid, vbid);
            append_number(buf, "bid_sz", bid_sz, vbid_sz);
            append_number(buf, "ask", ask, vask);
            append_number(buf, "ask_sz", ask_sz, vask_sz);
            if (has_vol) {
                append_number(buf, "vol_24h", vol, vvol);
            }
            buf += R"(,"recv_ts":)";
            core::append_int(buf, recv_ts);
            buf += '}';
            out.end_line();
            ++stats.lines;
        }
        return true;
    }

    bool until_reached(Sub& s, std::int64_t ts) {
        if (options.until && ts >= *options.until) {
            s.done = true;
        }
        return s.done;
    }

    bool on_trades(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why) {
        // Check every trade first: a malformed frame writes nothing.
        trades.clear();
        const auto& arr = json.at(data);
        std::uint32_t i = data + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            TradeView t;
            std::string_view ts_text;
            if (json.at(i).type != JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
                !parse_ms(ts_text, t.ts) || !number_field(i, "px", t.px, t.vpx) ||
                !number_field(i, "sz", t.sz, t.vsz) || !json.string(i, "side", t.side) ||
                (t.side != "buy" && t.side != "sell") || !json.string(i, "tradeId", t.id) ||
                t.id.empty()) {
                why = "trade without ts, px, sz, side (buy or sell) or tradeId";
                return false;
            }
            trades.push_back(t);
        }
        for (const TradeView& t : trades) {
            if (until_reached(s, t.ts)) {
                continue;
            }
            latency(s.ep, t.ts, recv_ts);
            std::string& buf = out.buffer();
            buf += R"({"type":"trade","v":1,"ts":)";
            core::append_int(buf, t.ts);
            buf += R"(,"inst":")";
            buf += s.inst;
            buf += '"';
            append_number(buf, "px", t.px, t.vpx);
            append_number(buf, "sz", t.sz, t.vsz);
            buf += R"(,"side":")";
            buf += t.side;
            buf += R"(","trade_id":)";
            core::append_json_string(buf, t.id);
            buf += R"(,"recv_ts":)";
            core::append_int(buf, recv_ts);
            buf += '}';
            out.end_line();
            ++stats.lines;
        }
        return true;
    }

    bool read_levels(std::uint32_t side, std::vector<Level>& out_levels, std::size_t depth) {
        out_levels.clear();
        const auto& arr = json.at(side);
        if (arr.type != JsonReader::Type::kArray) {
            return false;
        }
        std::uint32_t i = side + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            const auto& lv = json.at(i);
            if (lv.type != JsonReader::Type::kArray || lv.size < 2 ||
                json.at(i + 1).type != JsonReader::Type::kString ||
                json.at(json.at(i + 1).next).type != JsonReader::Type::kString) {
                return false;
            }
            Level l;
            l.px = json.text(i + 1);
            l.sz = json.text(json.at(i + 1).next);
            if (!parse_decimal(l.px, l.vpx) || !parse_decimal(l.sz, l.vsz)) {
                return false;
            }
            if (out_levels.size() < depth) {
                out_levels.push_back(l);
            }
        }
        return true;
    }

    void append_levels(std::string& buf, const std::vector<Level>& levels) {
        buf += '[';
        for (std::size_t k = 0; k < levels.size(); ++k) {
            if (k > 0) {
                buf += ',';
            }
            buf += '[';
            core::append_double_from_text(buf, levels[k].px, levels[k].vpx);
            buf += ',';
            core::append_double_from_text(buf, levels[k].sz, levels[k].vsz);
            buf += ']';
        }
        buf += ']';
    }

    bool on_book(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why) {
        const auto& arr = json.at(data);
        const std::size_t depth =
            s.kind == ChannelSpec::Kind::kBboTbt ? 1 : static_cast<std::size_t>(options.depth);
        std::uint32_t i = data + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            std::string_view ts_text;
            std::int64_t ts = 0;
            auto b = json.member(i, "bids");
            auto a = json.member(i, "asks");
            if (json.at(i).type != JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
                !parse_ms(ts_text, ts) || !b || !a || !read_levels(*b, bids, depth) ||
                !read_levels(*a, asks, depth)) {
                why = "book without ts, or with bids/asks that are not [[px,sz,...],...]";
                return false;
            }
            std::optional<std::int64_t> seq;
            if (auto q = json.member(i, "seqId");
                q && json.at(*q).type == JsonReader::Type::kNumber) {
                std::int64_t v = 0;
                const std::string_view t = json.text(*q);
                if (auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
                    ec == std::errc() && p == t.data() + t.size()) {
                    seq = v;
                }
            }
            if (until_reached(s, ts)) {
                continue;
            }
            latency(s.ep, ts, recv_ts);
            std::string& buf = out.buffer();
            buf += R"({"type":"book","v":1,"ts":)";
            core::append_int(buf, ts);
            buf += R"(,"inst":")";
            buf += s.inst;
            buf += R"(","bids":)";
            append_levels(buf, bids);
            buf += R"(,"asks":)";
            append_levels(buf, asks);
            buf += R"(,"depth":)";
            core::append_int(buf, static_cast<std::int64_t>(depth));
            if (seq) {
                buf += R"(,"seq":)";
                core::append_int(buf, *seq);
            }
            buf += R"(,"recv_ts":)";
            core::append_int(buf, recv_ts);
            buf += '}';
            out.end_line();
            ++stats.lines;
        }
        return true;
    }

    // A plain JSON integer member (seqId, prevSeqId, checksum); false when absent, true with
    // bad set when present but not an integer.
    bool integer_field(std::uint32_t obj, std::string_view key, std::int64_t& v, bool& bad) const {
        const auto q = json.member(obj, key);
        if (!q) {
            return false;
        }
        const std::string_view t = json.text(*q);
        const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        bad = json.at(*q).type != JsonReader::Type::kNumber || ec != std::errc() ||
              p != t.data() + t.size();
        return !bad;
    }

    // The levels of a books side as views of the frame: [[px, sz, ...], ...] of strings.
    bool read_book_side(std::uint32_t side, std::vector<okx::BookLevelText>& out) const {
        out.clear();
        const auto& arr = json.at(side);
        if (arr.type != JsonReader::Type::kArray) {
            return false;
        }
        std::uint32_t i = side + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            const auto& lv = json.at(i);
            if (lv.type != JsonReader::Type::kArray || lv.size < 2) {
                return false;
            }
            const std::uint32_t px = i + 1;
            const std::uint32_t sz = json.at(px).next;
            if (json.at(px).type != JsonReader::Type::kString || json.at(px).escaped ||
                json.at(sz).type != JsonReader::Type::kString || json.at(sz).escaped) {
                return false;
            }
            out.push_back({json.text(px), json.text(sz)});
        }
        return true;
    }

    // Drops the book of s and asks for a fresh snapshot, once until it comes. reason: for the
    // warning and the health event; empty when the frame was already reported as malformed.
    void resync(Sub& s, std::int64_t recv_ts, const std::string& reason) {
        s.book->clear();
        if (s.resyncing) {
            return;
        }
        s.resyncing = true;
        ++stats.resyncs;
        const Endpoint& e = endpoints[s.ep];
        if (!reason.empty()) {
            core::Log::warning(e.url + ": " + s.inst + " " + s.channel + ": " + reason +
                               "; resubscribing for a new snapshot");
            health(recv_ts, e.component, "gap", s.inst, std::nullopt,
                   s.channel + ": " + reason + "; resubscribed");
        }
        if (owner->on_resubscribe) {
            owner->on_resubscribe(s.ep, s.channel, s.inst);
        }
    }

    void write_book(const Sub& s, std::int64_t ts, std::int64_t recv_ts) {
        const okx::OrderBook& b = *s.book;
        const auto depth = static_cast<std::size_t>(options.depth);
        std::string& buf = out.buffer();
        buf += R"({"type":"book","v":1,"ts":)";
        core::append_int(buf, ts);
        buf += R"(,"inst":")";
        buf += s.inst;
        buf += R"(","bids":[)";
        for (std::size_t k = 0; k < std::min(depth, b.bid_count()); ++k) {
            const okx::OrderBook::Level l = b.bid(k);
            buf += k > 0 ? ",[" : "[";
            core::append_double_from_text(buf, l.px_text, l.px);
            buf += ',';
            core::append_double_from_text(buf, l.sz_text, l.sz);
            buf += ']';
        }
        buf += R"(],"asks":[)";
        for (std::size_t k = 0; k < std::min(depth, b.ask_count()); ++k) {
            const okx::OrderBook::Level l = b.ask(k);
            buf += k > 0 ? ",[" : "[";
            core::append_double_from_text(buf, l.px_text, l.px);
            buf += ',';
            core::append_double_from_text(buf, l.sz_text, l.sz);
            buf += ']';
        }
        buf += R"(],"depth":)";
        core::append_int(buf, static_cast<std::int64_t>(depth));
        if (const auto seq = b.seq_id()) {
            buf += R"(,"seq":)";
            core::append_int(buf, *seq);
        }
        buf += R"(,"recv_ts":)";
        core::append_int(buf, recv_ts);
        buf += '}';
        out.end_line();
        ++stats.lines;
    }

    // A `books` push (§5.4): the snapshot or update applied to the instrument's book, then its
    // top levels written; a gap or a bad checksum drops the book and resubscribes.
    bool on_books(Sub& s, std::uint32_t data, std::int64_t recv_ts, const char*& why) {
        std::string_view action;
        if (!json.string(0, "action", action) || (action != "snapshot" && action != "update")) {
            why = "books push without action snapshot or update";
            return false;
        }
        const auto& arr = json.at(data);
        std::uint32_t i = data + 1;
        for (std::uint32_t n = 0; n < arr.size; ++n, i = json.at(i).next) {
            okx::BookPush p;
            p.snapshot = action == "snapshot";
            std::string_view ts_text;
            auto b = json.member(i, "bids");
            auto a = json.member(i, "asks");
            if (json.at(i).type != JsonReader::Type::kObject || !json.string(i, "ts", ts_text) ||
                !parse_ms(ts_text, p.ts) || !b || !a || !read_book_side(*b, book_bids) ||
                !read_book_side(*a, book_asks)) {
                why = "books push without ts, or with bids/asks that are not [[px,sz,...],...]";
                return false;
            }
            std::int64_t v = 0;
            bool bad = false;
            if (integer_field(i, "seqId", v, bad)) {
                p.seq_id = v;
            }
            if (integer_field(i, "prevSeqId", v, bad)) {
                p.prev_seq_id = v;
            }
            if (integer_field(i, "checksum", v, bad)) {
                if (v < std::numeric_limits<std::int32_t>::min() ||
                    v > std::numeric_limits<std::int32_t>::max()) {
                    bad = true;
                }
                p.checksum = static_cast<std::int32_t>(v);
            }
            if (bad) {
                why = "books push whose seqId, prevSeqId or checksum is not an integer";
                return false;
            }
            p.bids = book_bids;
            p.asks = book_asks;
            if (until_reached(s, p.ts)) {
                continue;
            }
            switch (s.book->apply(p)) {
            case okx::OrderBook::Result::kOk:
                s.resyncing = false;
                latency(s.ep, p.ts, recv_ts);
                write_book(s, p.ts, recv_ts);
                break;
            case okx::OrderBook::Result::kIgnored:
                if (s.book->ready()) {
                    ++stats.duplicates; // a repeat of the last update
                }
                break;
            case okx::OrderBook::Result::kSequenceGap:
                resync(s, recv_ts, "sequence gap: " + s.book->why());
                break;
            case okx::OrderBook::Result::kChecksumMismatch:
                resync(s, recv_ts, "checksum mismatch: " + s.book->why());
                break;
            case okx::OrderBook::Result::kMalformed:
                why = s.book->why().c_str();
                return false;
            }
        }
        return true;
    }

    void push(std::size_t ep, std::string_view text, std::int64_t recv_ts) {
        if (!json.parse(text)) {
            report(ep, json.error(), text, recv_ts);
            return;
        }
        std::string_view channel, inst;
        const auto arg = json.member(0, "arg");
        const auto data = json.member(0, "data");
        if (!arg || !json.string(*arg, "channel", channel) || !json.string(*arg, "instId", inst)) {
            report(ep, "no arg with channel and instId", text, recv_ts);
            return;
        }
        if (!data || json.at(*data).type != JsonReader::Type::kArray) {
            report(ep, "no data array", text, recv_ts);
            return;
        }
        Sub* s = find(channel, inst);
        if (s == nullptr) {
            core::Log::debug(endpoints[ep].url + ": push for " + std::string(channel) + " " +
                             std::string(inst) + ", which was not asked for: skipped");
            return;
        }
        const char* why = nullptr;
        bool ok = true;
        switch (s->kind) {
        case ChannelSpec::Kind::kCandle:
            ok = read_candles(*s, *data, recv_ts, why);
            if (ok) {
                for (const CandleView& k : candles) {
                    on_candle(*s, k, recv_ts);
                }
            }
            break;
        case ChannelSpec::Kind::kTickers:
            ok = on_ticker(*s, *data, recv_ts, why);
            break;
        case ChannelSpec::Kind::kTrades:
            ok = on_trades(*s, *data, recv_ts, why);
            break;
        case ChannelSpec::Kind::kBooks5:
        case ChannelSpec::Kind::kBboTbt:
            ok = on_book(*s, *data, recv_ts, why);
            break;
        case ChannelSpec::Kind::kBooks:
            ok = on_books(*s, *data, recv_ts, why);
            break;
        }
        if (!ok) {
            report(ep, why != nullptr ? why : "bad push", text, recv_ts);
            if (s->kind == ChannelSpec::Kind::kBooks) {
                resync(*s, recv_ts, {}); // the book missed a push it cannot do without
            }
        }
    }
};

LiveSession::LiveSession(SessionOptions options, core::Output& out, CandleSource* source,
                         store::CandleRun* sink, std::string run_id)
    : impl_(std::make_unique<Impl>(options, out, source, sink, std::move(run_id))) {
    impl_->owner = this;
    if (options.depth < 1 || options.depth > 400) {
        throw core::UsageError("--depth must be between 1 and 400");
    }
}

LiveSession::~LiveSession() = default;

std::size_t LiveSession::add_endpoint(std::string component, std::string url) {
    impl_->endpoints.push_back({std::move(component), std::move(url), {}, kNone});
    impl_->endpoints.back().latency.reserve(4096);
    return impl_->endpoints.size() - 1;
}

void LiveSession::subscribe(std::size_t endpoint, const ChannelSpec& channel,
                            const std::string& inst) {
    Impl& s = *impl_;
    if (s.find(channel.name, inst) != nullptr) {
        return;
    }
    Impl::Sub sub;
    sub.kind = channel.kind;
    sub.channel = channel.name;
    sub.inst = inst;
    sub.bar = channel.bar;
    sub.ep = endpoint;
    sub.derivative = is_derivative(inst);
    if (channel.kind == ChannelSpec::Kind::kBooks) {
        sub.book = std::make_unique<okx::OrderBook>(400); // the depth of `books` (§5.4)
    }
    s.subs.push_back(std::move(sub));
    s.by_key.emplace(s.key_scratch, s.subs.size() - 1);
}

void LiveSession::frame(std::size_t endpoint, std::string_view text, std::int64_t recv_ts) {
    Impl& s = *impl_;
    switch (okx::classify_frame(text)) {
    case okx::FrameKind::kPush:
        s.push(endpoint, text, recv_ts);
        break;
    case okx::FrameKind::kMalformed:
        s.report(endpoint, "not JSON, or neither a push nor an event", text, recv_ts);
        break;
    case okx::FrameKind::kPong:
    case okx::FrameKind::kEvent:
        break;
    }
}

void LiveSession::connected(std::size_t endpoint, bool reconnect, std::int64_t ts) {
    Impl& s = *impl_;
    s.health(ts, s.endpoints[endpoint].component, reconnect ? "reconnect" : "connect", {},
             std::nullopt, s.endpoints[endpoint].url);
    for (Impl::Sub& sub : s.subs) {
        if (sub.ep != endpoint || !sub.after_notice) {
            continue;
        }
        sub.after_notice = false;
        // A replacement's pushes reach us once it is subscribed to everything: the snapshot
        // a book still waits for may have come before that.
        if (!sub.book->ready()) {
            sub.resyncing = false;
            s.resync(sub, ts, {});
        }
    }
}

void LiveSession::disconnected(std::size_t endpoint, std::string_view cause, std::int64_t ts,
                               std::string_view detail) {
    Impl& s = *impl_;
    ++s.stats.disconnects;
    for (Impl::Sub& sub : s.subs) {
        if (sub.ep == endpoint && sub.kind == ChannelSpec::Kind::kCandle && sub.cause.empty()) {
            sub.cause = cause;
        }
        // A new connection starts each book with a snapshot. A notice's replacement was
        // subscribed before it took over, so its snapshots are gone: the book goes on and its
        // next update's prevSeqId says whether it still fits.
        if (sub.ep == endpoint && sub.book) {
            if (cause == "notice") {
                sub.after_notice = true;
            } else {
                sub.book->clear();
                sub.resyncing = false;
            }
        }
    }
    s.health(ts, s.endpoints[endpoint].component, "disconnect", {}, std::nullopt,
             std::string(cause) + ": " + std::string(detail));
}

void LiveSession::idle() {
    Impl& s = *impl_;
    s.out.flush();
    if (s.sink != nullptr) {
        const auto now = std::chrono::steady_clock::now();
        if (now - s.last_commit >= std::chrono::milliseconds(200)) {
            s.sink->flush();
            s.last_commit = now;
        }
    }
}

void LiveSession::finish() {
    Impl& s = *impl_;
    for (std::size_t ep = 0; ep < s.endpoints.size(); ++ep) {
        if (s.endpoints[ep].window_start != kNone) {
            s.summarise(ep, s.endpoints[ep].window_start + s.options.latency_every_ms);
        }
    }
    s.out.flush();
    if (s.sink != nullptr) {
        s.sink->flush();
    }
}

bool LiveSession::done() const {
    const Impl& s = *impl_;
    if (!s.options.until || s.subs.empty()) {
        return false;
    }
    return std::all_of(s.subs.begin(), s.subs.end(), [](const Impl::Sub& x) { return x.done; });
}

const SessionStats& LiveSession::stats() const {
    return impl_->stats;
}

// --- live mode ---------------------------------------------------------------------------

namespace {

// Checks the symbols against OKX's instrument list (keeping the list in the store): a symbol
// OKX does not list would only come back as a subscription error (60018).
void check_instruments(okx::RestClient& client, const LiveOptions& opts, store::CandleRun* sink) {
    okx::InstrumentListSink keep;
    if (sink != nullptr) {
        keep = [sink](std::string_view type, const std::vector<core::InstrumentInfo>& rows) {
            store::save_instruments(sink->store(), type, rows, okx::WsClient::wall_ms());
        };
    }
    okx::verify_symbols(client, opts.insts, keep);
}

struct EndpointPlan {
    std::string url;
    std::vector<okx::WsArg> args;
};

// Declares the endpoints on the session (public, then business, each when a channel needs
// it) and the subscriptions; returns the endpoints in the same order for the WebSocket
// client, so the indexes of both agree.
std::vector<EndpointPlan> declare(LiveSession& session, const LiveOptions& opts) {
    EndpointPlan pub{opts.ws_public_url, {}};
    EndpointPlan business{opts.ws_business_url, {}};
    for (const ChannelSpec& c : opts.channels) {
        for (const auto& inst : opts.insts) {
            (c.business ? business : pub).args.push_back({c.name, inst});
        }
    }
    std::vector<EndpointPlan> plan;
    std::size_t public_ep = 0;
    std::size_t business_ep = 0;
    if (!pub.args.empty()) {
        public_ep = session.add_endpoint("okx-ws-public", pub.url);
        plan.push_back(std::move(pub));
    }
    if (!business.args.empty()) {
        business_ep = session.add_endpoint("okx-ws-business", business.url);
        plan.push_back(std::move(business));
    }
    for (const ChannelSpec& c : opts.channels) {
        for (const auto& inst : opts.insts) {
            session.subscribe(c.business ? business_ep : public_ep, c, inst);
        }
    }
    return plan;
}

nlohmann::json tape_args(const LiveOptions& opts) {
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& c : opts.channels) {
        channels.push_back(c.name);
    }
    nlohmann::json args = {{"symbols", opts.insts},
                           {"channels", channels},
                           {"rest_url", opts.rest.base_url},
                           {"ws_public_url", opts.ws_public_url},
                           {"ws_business_url", opts.ws_business_url},
                           {"partial", opts.session.partial},
                           {"depth", opts.session.depth},
                           {"health", opts.session.health_out}};
    if (opts.session.until) {
        args["until"] = *opts.session.until;
    }
    return args;
}

// Ends a run's store record and reports what was written.
void report(const LiveSession& session, store::CandleRun* sink, std::string_view status) {
    const SessionStats& st = session.stats();
    if (sink != nullptr) {
        sink->close(status, static_cast<std::int64_t>(st.candles));
    }
    core::Log::note(
        "wrote " + std::to_string(st.candles) + " confirmed candles (" +
        std::to_string(st.backfilled) + " from REST), " + std::to_string(st.gaps) + " gap(s), " +
        std::to_string(st.disconnects) + " disconnect(s), " + std::to_string(st.malformed) +
        " malformed frame(s)" +
        (st.resyncs > 0 ? ", " + std::to_string(st.resyncs) + " book resync(s)" : std::string()));
}

// Runs body; on the way out flushes the session and closes the store record with the status
// that matches how body ended. Returns 0, or the interrupt exit code.
template <typename Body> int finish_run(LiveSession& session, store::CandleRun* sink, Body&& body) {
    try {
        body();
        session.finish();
    } catch (const core::BrokenPipe&) {
        if (sink != nullptr) {
            sink->close("broken-pipe", static_cast<std::int64_t>(session.stats().candles));
        }
        throw;
    } catch (const core::Error& e) {
        if (e.code() != core::Exit::kInterrupted && e.code() != core::Exit::kTerminated) {
            try {
                session.finish();
            } catch (const core::BrokenPipe&) {
                if (sink != nullptr) {
                    sink->close("broken-pipe", static_cast<std::int64_t>(session.stats().candles));
                }
                throw;
            }
            report(session, sink, "failed");
            throw;
        }
        session.finish();
    }
    const int code = core::interrupted() ? core::exit_status(core::interrupt_exit()) : 0;
    report(session, sink, code == 0 ? "ok" : "interrupted");
    return code;
}

} // namespace

namespace {

// Processing latency of the live path: from the moment libwebsockets hands over a complete frame
// to the return of the write(2) that put the frame's lines on stdout. Only frames that produced
// output count. Measured with the monotonic clock; it never enters the output, which must not
// depend on the wall clock or on timing (a tape replay reproduces it byte for byte).
class LatencyMeter {
public:
    static std::int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    // A frame received at t_ns produced lines that now wait in the output buffer.
    void pending(std::int64_t t_ns) { pending_.push_back(t_ns); }
    // The output buffer was just written out.
    void written() {
        if (pending_.empty()) {
            return;
        }
        const std::int64_t t = now_ns();
        for (const std::int64_t r : pending_) {
            samples_.push_back(t - r);
        }
        pending_.clear();
    }
    // "p50 12.3 us, p99 40.1 us, max 210.0 us over 6400 frames", or "" with no sample.
    std::string summary() {
        if (samples_.empty()) {
            return "";
        }
        const auto us = [](double ns) {
            char text[32];
            std::snprintf(text, sizeof text, "%.1f us", ns / 1000.0);
            return std::string(text);
        };
        const double p50 = percentile(samples_, 0.50);
        const double p99 = percentile(samples_, 0.99);
        const double max = percentile(samples_, 1.0);
        return "p50 " + us(p50) + ", p99 " + us(p99) + ", max " + us(max) + " over " +
               std::to_string(samples_.size()) + " frames";
    }

private:
    std::vector<std::int64_t> pending_;
    std::vector<std::int64_t> samples_;
};

} // namespace

int live(const LiveOptions& opts, core::Output& out) {
    if (opts.channels.empty() || opts.insts.empty()) {
        throw core::UsageError("live mode needs at least one channel and one symbol");
    }
    okx::RestOptions rest = opts.rest;
    std::shared_ptr<okx::TapeWriter> tape;
    if (!opts.record_path.empty()) {
        tape = std::make_shared<okx::TapeWriter>(opts.record_path);
        tape->header(okx::WsClient::wall_ms(), "live", tape_args(opts));
        rest.record = tape;
    }
    okx::RestClient client(rest);
    std::unique_ptr<store::CandleRun> sink;
    if (!opts.store_path.empty()) {
        sink = std::make_unique<store::CandleRun>(opts.store_path, opts.run_id, "okx-stream",
                                                  "live " + opts.ws_business_url + " " +
                                                      opts.ws_public_url);
    }
    check_instruments(client, opts, sink.get());

    RestCandleSource source(client);
    LiveSession session(opts.session, out, &source, sink.get(), opts.run_id);
    okx::WsOptions wso;
    wso.ping_after_ms = opts.ping_after_ms;
    wso.pong_timeout_ms = opts.pong_timeout_ms;
    wso.max_failures = opts.rest.max_retries;
    okx::WsClient ws(wso);
    for (EndpointPlan& e : declare(session, opts)) {
        ws.add_endpoint(e.url, std::move(e.args));
    }

    LatencyMeter meter;
    ws.on_frame = [&](std::size_t ep, std::string_view frame, std::int64_t recv_ts) {
        const std::int64_t received = LatencyMeter::now_ns();
        const std::uint64_t lines = out.lines();
        if (tape) {
            tape->ws(recv_ts, ws.url(ep), frame);
        }
        session.frame(ep, frame, recv_ts);
        if (out.lines() != lines) {
            // A live consumer wants each event as soon as it is known: lines are written per
            // frame, not held for the rest of a burst (a replay of a tape is block-buffered).
            meter.pending(received);
            out.flush();
            meter.written();
        }
        if (session.done()) {
            ws.stop();
        }
    };
    ws.on_event = [&](const okx::WsEvent& ev) {
        switch (ev.kind) {
        case okx::WsEvent::Kind::kConnect:
            if (tape) {
                tape->ws_event(ev.recv_ts, ws.url(ev.endpoint), "connect", ev.cause);
            }
            core::Log::note(ws.url(ev.endpoint) + ": " +
                            (ev.cause == "reconnect" ? "reconnected" : "connected"));
            session.connected(ev.endpoint, ev.cause == "reconnect", ev.recv_ts);
            break;
        case okx::WsEvent::Kind::kDisconnect:
            // The tape keeps the gap cause first, then the reason: "stall: no pong ...".
            if (tape) {
                tape->ws_event(ev.recv_ts, ws.url(ev.endpoint), "disconnect",
                               ev.cause + ": " + ev.detail);
            }
            session.disconnected(ev.endpoint, ev.cause, ev.recv_ts, ev.detail);
            break;
        case okx::WsEvent::Kind::kSubscribed:
            core::Log::note(ws.url(ev.endpoint) + ": " + ev.detail + " subscription(s) active");
            break;
        case okx::WsEvent::Kind::kNotice:
        case okx::WsEvent::Kind::kError:
            break;
        }
    };
    ws.on_idle = [&](std::int64_t /*now*/) {
        session.idle();
        meter.written();
    };
    session.on_resubscribe = [&](std::size_t ep, const std::string& channel,
                                 const std::string& inst) {
        // On the tape for people: the replay takes what followed from the frames.
        if (tape) {
            tape->ws_event(okx::WsClient::wall_ms(), ws.url(ep), "resubscribe",
                           channel + " " + inst);
        }
        ws.resubscribe(ep, {channel, inst});
    };

    core::Log::note("streaming " + std::to_string(opts.channels.size()) + " channel(s) of " +
                    std::to_string(opts.insts.size()) + " instrument(s)");
    const int rc = finish_run(session, sink.get(), [&] { ws.run(); });
    meter.written();
    if (const std::string lat = meter.summary(); !lat.empty()) {
        core::Log::debug("receive-to-write latency: " + lat);
    }
    return rc;
}

LiveOptions live_options_from_tape(const nlohmann::json& header) {
    const nlohmann::json& args = header.value("args", nlohmann::json::object());
    LiveOptions l;
    try {
        l.insts = args.at("symbols").get<std::vector<std::string>>();
        for (const auto& c : args.at("channels")) {
            l.channels.push_back(parse_channel(c.get<std::string>()));
        }
        l.rest.base_url = args.value("rest_url", std::string(okx::kProductionRestUrl));
        l.ws_public_url = args.value("ws_public_url", std::string(okx::kProductionWsPublicUrl));
        l.ws_business_url =
            args.value("ws_business_url", std::string(okx::kProductionWsBusinessUrl));
        l.session.partial = args.value("partial", false);
        l.session.depth = args.value("depth", 5);
        l.session.health_out = args.value("health", false);
        if (args.contains("until")) {
            l.session.until = args["until"].get<std::int64_t>();
        }
    } catch (const nlohmann::json::exception& e) {
        throw core::UsageError(std::string("tape header: ") + e.what());
    }
    return l;
}

int live_replay(const std::shared_ptr<okx::TapeReader>& tape, const std::string& store_path,
                const std::string& run_id, core::Output& out) {
    LiveOptions opts = live_options_from_tape(tape->header());
    opts.rest.tape = tape;
    okx::RestClient client(opts.rest);
    std::unique_ptr<store::CandleRun> sink;
    if (!store_path.empty()) {
        sink = std::make_unique<store::CandleRun>(store_path, run_id, "okx-stream",
                                                  "live tape replay");
    }
    check_instruments(client, opts, sink.get());
    RestCandleSource source(client);
    LiveSession session(opts.session, out, &source, sink.get(), run_id);
    const std::vector<EndpointPlan> plan = declare(session, opts);
    const auto endpoint = [&](const std::string& url) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < plan.size(); ++i) {
            if (plan[i].url == url) {
                return i;
            }
        }
        return std::nullopt;
    };
    return finish_run(session, sink.get(), [&] {
        // Frames come in runs from one connection: remember the last URL's endpoint.
        const std::string* last_url = nullptr;
        std::optional<std::size_t> last_ep;
        for (const okx::TapeLine& line : tape->lines()) {
            if (core::interrupted()) {
                break;
            }
            if (line.kind != okx::TapeLine::Kind::kWs &&
                line.kind != okx::TapeLine::Kind::kWsEvent) {
                continue; // REST answers are taken by the client as it asks
            }
            if (last_url == nullptr || *last_url != line.url) {
                last_url = &line.url;
                last_ep = endpoint(line.url);
            }
            if (!last_ep) {
                continue;
            }
            const std::size_t ep = *last_ep;
            if (line.kind == okx::TapeLine::Kind::kWs) {
                session.frame(ep, line.frame, line.recv_ts);
                continue;
            }
            if (line.event == "connect") {
                session.connected(ep, line.detail == "reconnect", line.recv_ts);
            } else if (line.event == "disconnect") {
                const std::size_t colon = line.detail.find(": ");
                session.disconnected(ep, line.detail.substr(0, colon), line.recv_ts,
                                     colon == std::string::npos ? ""
                                                                : line.detail.substr(colon + 2));
            }
        }
    });
}

} // namespace okxkit::stream
