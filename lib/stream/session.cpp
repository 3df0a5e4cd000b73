// LiveSession: frames dispatched to the handler of their subscription, connection events, the
// public interface of live mode's state machine.
#include "stream/session_impl.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "okx/ws_frames.hpp"

#include <algorithm>

namespace okxkit::stream {

namespace {

constexpr std::int64_t kFutureSlackMs = 3600LL * 1000;
using detail::kNone;

} // namespace

LiveSession::Impl::Sub* LiveSession::Impl::find(std::string_view channel, std::string_view inst) {
    key_scratch.assign(channel);
    key_scratch += '\x1f';
    key_scratch += inst;
    auto it = by_key.find(key_scratch);
    return it == by_key.end() ? nullptr : &subs[it->second];
}

void LiveSession::Impl::push(std::size_t ep, std::string_view text, std::int64_t recv_ts) {
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
    if (!data || json.at(*data).type != okx::JsonReader::Type::kArray) {
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
        // A bar opening more than kFutureSlackMs (plus one bar) after its push was received is
        // not believed: a hole up to it would be "repaired" with nothing and every real bar
        // before it dropped as stale. The slack leaves room for a local clock behind OKX's.
        ok = okx::read_candle_rows(json, *data, s->derivative, recv_ts + kFutureSlackMs + s->bar.ms,
                                   candles, why);
        if (ok) {
            for (const okx::PushCandle& k : candles) {
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
    sub.derivative = okx::is_derivative(inst);
    if (channel.kind == ChannelSpec::Kind::kBooks) {
        sub.book = std::make_unique<okx::OrderBook>(400); // the depth of `books` (§5.4)
    }
    s.subs.push_back(std::move(sub));
    s.by_key.emplace(s.key_scratch, s.subs.size() - 1);
}

void LiveSession::frame(std::size_t endpoint, std::string_view text, std::int64_t recv_ts) {
    Impl& s = *impl_;
    // Invalid UTF-8 is replaced (U+FFFD) before anything reads the frame, exactly as the tape
    // writer records it, so a live run and the replay of its tape see the same text.
    std::string valid;
    if (!core::valid_utf8(text)) {
        valid = core::replace_invalid_utf8(text);
        text = valid;
    }
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

} // namespace okxkit::stream
