// okx-stream live mode: the network loop (OKX WebSocket, REST backfill, tape) around a
// LiveSession, and the replay of a live tape.
#include "stream/live.hpp"

#include "stream/history.hpp"
#include "stream/tape_header.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "okx/envelope.hpp"
#include "okx/instruments.hpp"
#include "okx/tape.hpp"
#include "okx/ws.hpp"
#include "store/store.hpp"
#include "stream/session_impl.hpp"

#include <chrono>
#include <cstdio>

namespace okxkit::stream {

using detail::percentile;

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
            (c.business ? business : pub).args.push_back({c.name, inst, {}});
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
// check_instruments, and when it fails (OKX unreachable: exit 5; an unknown symbol: exit 2)
// the run row ends with the status of that exit, not "running".
void checked_instruments(okx::RestClient& client, const LiveOptions& opts, store::CandleRun* sink) {
    try {
        check_instruments(client, opts, sink);
    } catch (const core::Error& e) {
        if (sink != nullptr) {
            sink->abandon(core::exit_status(e.code()));
        }
        throw;
    }
}

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
            report(session, sink, store::RunRecord::status_of(core::exit_status(e.code())));
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
    checked_instruments(client, opts, sink.get());

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
        ws.resubscribe(ep, {channel, inst, {}});
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

LiveOptions live_options_from_tape(const nlohmann::json& header, const std::string& where) {
    const TapeHeader h(header, where);
    LiveOptions l;
    l.insts = h.texts("symbols", 64);
    for (const std::string& c : h.texts("channels", 32)) {
        l.channels.push_back(parse_channel(c));
    }
    if (l.channels.empty()) {
        throw h.wrong("channels", "must name at least one channel", nullptr);
    }
    l.rest.base_url = h.text_or("rest_url", okx::kProductionRestUrl, 512);
    l.ws_public_url = h.text_or("ws_public_url", okx::kProductionWsPublicUrl, 512);
    l.ws_business_url = h.text_or("ws_business_url", okx::kProductionWsBusinessUrl, 512);
    l.session.partial = h.boolean_or("partial", false);
    l.session.depth = static_cast<int>(h.integer_or("depth", 5, 1, 400));
    l.session.health_out = h.boolean_or("health", false);
    l.session.until = h.integer("until");
    return l;
}

int live_replay(const std::shared_ptr<okx::TapeReader>& tape, const std::string& store_path,
                const std::string& run_id, core::Output& out) {
    LiveOptions opts = live_options_from_tape(tape->header(), tape->path() + ":1");
    opts.rest.tape = tape;
    okx::RestClient client(opts.rest);
    std::unique_ptr<store::CandleRun> sink;
    if (!store_path.empty()) {
        sink = std::make_unique<store::CandleRun>(store_path, run_id, "okx-stream",
                                                  "live tape replay");
    }
    checked_instruments(client, opts, sink.get());
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

int replay_tape(const std::shared_ptr<okx::TapeReader>& tape, const std::string& store_path,
                const std::string& run_id, core::Output& out) {
    const std::string where = tape->path() + ":1";
    const std::string mode = TapeHeader(tape->header(), where).mode();
    if (mode == "live") {
        return live_replay(tape, store_path, run_id, out);
    }
    if (mode != "history") {
        throw core::UsageError(where + ": a tape of mode " + core::excerpt(mode) +
                               " cannot be replayed by this okx-stream (expected \"live\" or "
                               "\"history\")");
    }
    HistoryOptions h = history_options_from_tape(tape->header(), where);
    h.rest.tape = tape;
    h.store_path = store_path;
    h.run_id = run_id;
    return history(h, out);
}

} // namespace okxkit::stream
