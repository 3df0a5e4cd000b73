// The state machine of okx-stream's live mode: OKX WebSocket frames in, messages out, candle
// holes repaired from a CandleSource; no network of its own, so tests and tape replays drive it.
#pragma once

#include "core/bar.hpp"
#include "core/io.hpp"
#include "okx/candles.hpp"
#include "okx/push.hpp"
#include "okx/rest.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::store {
class CandleRun;
}

namespace okxkit::stream {

using okx::ChannelSpec;
using okx::parse_channel;

// Where missing candles come from: OKX REST in live mode, a table in tests.
class CandleSource {
public:
    virtual ~CandleSource() = default;
    // The confirmed candles of inst and bar with lo <= ts < hi, oldest first, each ts once.
    // May throw okx::OkxError; the caller reports it and leaves the gap open.
    virtual std::vector<okx::RestCandle> fetch(const std::string& inst, core::Bar bar,
                                               std::int64_t lo, std::int64_t hi) = 0;
    // Waits before asking again (a no-op where no time passes, as in a tape replay).
    virtual void pause(std::int64_t /*ms*/) {}
};

// Fetches from OKX REST with okx::CandlePager.
class RestCandleSource : public CandleSource {
public:
    explicit RestCandleSource(okx::RestClient& client) : client_(client) {}
    std::vector<okx::RestCandle> fetch(const std::string& inst, core::Bar bar, std::int64_t lo,
                                       std::int64_t hi) override;
    void pause(std::int64_t ms) override;

private:
    okx::RestClient& client_;
};

struct SessionOptions {
    bool partial = false;                  // also write forming candles (confirm:false)
    int depth = 5;                         // levels per side of book messages
    bool health_out = false;               // also write health messages to stdout
    std::optional<std::int64_t> until;     // stop once every channel reached this event time
    std::int64_t latency_every_ms = 60000; // health latency summary period (receive time)
};

struct SessionStats {
    std::uint64_t lines = 0;      // messages written (health included when written)
    std::uint64_t candles = 0;    // confirmed candles written, live and backfilled
    std::uint64_t backfilled = 0; // of which from REST
    std::uint64_t gaps = 0;
    std::uint64_t duplicates = 0; // pushes dropped as already written or stale
    std::uint64_t malformed = 0;  // frames reported and skipped
    std::uint64_t disconnects = 0;
    std::uint64_t resyncs = 0; // books dropped and resubscribed (sequence gap, bad checksum)
};

// The state machine of live mode, independent of the network so tests and tape replays can
// drive it: frames in (with their receive time), messages out.
//
// Candles: a bar is written once, confirmed, when its confirm "1" push arrives (and, with
// partial, each distinct forming update before that). Per (inst, bar) the session knows the
// next bar it owes; a push for a later bar means the ones in between were not received:
// they are fetched from the CandleSource and written, in order, before the push itself, so
// every confirmed candle is written exactly once and in order. When bars are missing (not
// just the confirm of the bar that was forming), or after a disconnect of the endpoint, a gap
// message comes first: {"type":"gap","ts":first missing,"from":bar before it,"to":first bar
// after the hole,"cause":reconnect|stall|notice|missing}. Older and repeated pushes are
// dropped. Tickers, trades and book snapshots are written as they come.
//
// Books (the 400-level `books` channel): a book per instrument is kept from the snapshot and
// the updates (okx::OrderBook: seqId chain, CRC32 checksum when not 0), and after each push
// applied its top `depth` levels are written, as for books5. On a sequence gap or a checksum
// mismatch (and after a malformed books push) the book is dropped, the reason is reported
// once on stderr and as a health "gap" event, and on_resubscribe asks for a fresh snapshot;
// nothing is written for that instrument until the snapshot comes. Updates before any
// snapshot are ignored. A disconnect drops the books of its endpoint, since the new connection
// starts with snapshots; a notice (64008) does not, since the replacement connection goes on
// with the same sequence and the seqId check decides.
//
// Every message carries recv_ts, the receive time of the frame (backfilled candles: that of
// the frame that revealed the hole), so the output depends only on the frames.
// Health events (connect, disconnect, reconnect, gap, backfill, latency, error) go to the
// store when there is one, and to the output with health_out. Cost: O(1) per pushed item
// besides the output, no allocation per message once warm.
class LiveSession {
public:
    LiveSession(SessionOptions options, core::Output& out, CandleSource* source,
                store::CandleRun* sink, std::string run_id = "default");
    ~LiveSession();
    LiveSession(const LiveSession&) = delete;
    LiveSession& operator=(const LiveSession&) = delete;

    // Declares an endpoint (its health component name, e.g. "okx-ws-business", and URL for
    // diagnostics); returns its index. Endpoints are declared in the order of WsClient's.
    std::size_t add_endpoint(std::string component, std::string url);
    // Declares a subscription of an endpoint: pushes for other (channel, inst) pairs are
    // skipped.
    void subscribe(std::size_t endpoint, const ChannelSpec& channel, const std::string& inst);

    // A text frame received on endpoint at recv_ts (ms). Pushes are normalised; a malformed
    // frame is reported once on stderr and skipped; events and "pong" are ignored here.
    void frame(std::size_t endpoint, std::string_view text, std::int64_t recv_ts);
    // The endpoint's connection is up (reconnect: not the first one).
    void connected(std::size_t endpoint, bool reconnect, std::int64_t ts);
    // The endpoint's connection went away; cause is the gap cause of any hole it leaves
    // (reconnect, stall, notice).
    void disconnected(std::size_t endpoint, std::string_view cause, std::int64_t ts,
                      std::string_view detail);
    // Between bursts of frames: flushes the output and the store's pending rows.
    void idle();
    // Ends the session: writes the last latency summary, flushes.
    void finish();

    // With until: true once every subscription has reached it.
    [[nodiscard]] bool done() const;
    [[nodiscard]] const SessionStats& stats() const;

    // Called when a subscription of an endpoint must start afresh (a books channel lost its
    // sequence or checksum): live mode unsubscribes and subscribes it again on its connection
    // (okx::WsClient::resubscribe). Unset in a replay: the tape holds what followed.
    std::function<void(std::size_t endpoint, const std::string& channel, const std::string& inst)>
        on_resubscribe;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace okxkit::stream
