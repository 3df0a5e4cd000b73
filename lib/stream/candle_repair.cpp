// The candle gap-repair machine of LiveSession: every confirmed bar written once and in order,
// holes announced by a gap message and filled from the CandleSource (OKX REST when live).
#include "stream/session_impl.hpp"

#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/timeutil.hpp"
#include "okx/envelope.hpp"

#include <chrono>
#include <thread>

namespace okxkit::stream {

namespace {

// Waiting for REST to confirm the bar that just closed: the first wait and the most waited in
// all; the waits double (0.25, 0.5, 1, 2 s).
constexpr std::int64_t kTailFirstWaitMs = 250;
constexpr std::int64_t kTailWaitMs = 4000;

} // namespace

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

void LiveSession::Impl::write_candle(const Sub& s, std::int64_t ts,
                                     const std::array<std::string_view, 5>& text, double o,
                                     double h, double l, double c, double vol,
                                     std::optional<double> vq, bool confirm, std::int64_t recv_ts,
                                     bool from_rest) {
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

void LiveSession::Impl::repair(Sub& s, std::int64_t hi, std::int64_t to, std::int64_t recv_ts) {
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
        core::Log::debug(s.inst + " " + std::string(s.bar.name) + " " + core::format_iso_ms(last) +
                         ": not confirmed by REST yet; asking again in " + std::to_string(wait) +
                         " ms");
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
        if (!okx::parse_decimal(k.o, o) || !okx::parse_decimal(k.h, h) ||
            !okx::parse_decimal(k.l, l) || !okx::parse_decimal(k.c, c) ||
            !okx::parse_decimal(k.vol, vol) || core::check_ohlcv(o, h, l, c, vol)) {
            core::Log::warning("okx sent a bad " + s.inst + " " + std::string(s.bar.name) +
                               " candle at " + core::format_iso_ms(k.ts) + "; skipped");
            continue;
        }
        std::optional<double> vol_quote;
        if (okx::parse_decimal(k.vol_quote, vq)) {
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

void LiveSession::Impl::on_candle(Sub& s, const okx::PushCandle& k, std::int64_t recv_ts) {
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
                     k.has_vq ? std::optional<double>(k.vq) : std::nullopt, true, recv_ts, false);
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

} // namespace okxkit::stream
