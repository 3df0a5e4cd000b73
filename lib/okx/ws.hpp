// The OKX WebSocket client on libwebsockets: connections, subscriptions, keepalive, reconnects.
#pragma once

#include "okx/credentials.hpp"
#include "okx/ws_frames.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

struct WsOptions {
    std::int64_t ping_after_ms = 25000;  // send "ping" after this long without a frame (< 30 s)
    std::int64_t pong_timeout_ms = 5000; // then reconnect when nothing comes back in this long
    std::int64_t connect_timeout_ms = 10000;
    int max_failures = 5; // failed connection attempts in a row, before the first success, that
                          // end run() with OkxError (exit 5); once connected, retried forever
    std::int64_t backoff_base_ms = 500; // reconnect delays: exponential with jitter (Backoff)
    std::int64_t backoff_cap_ms = 10000;
    double connects_per_second = 2.4; // OKX allows 3 new connections per second per IP
    std::uint64_t seed = 1;           // backoff jitter
};

// Something that happened to a connection, as reported to WsClient::on_event.
struct WsEvent {
    enum class Kind {
        kConnect,    // the connection is up and its subscriptions were sent
        kSubscribed, // every subscription of the connection was acknowledged
        kDisconnect, // the connection is gone (cause says why); a new one is on its way
        kNotice,     // OKX announced a service upgrade (64008): a new connection is opened
        kError,      // an error event OKX sent that a reconnect may fix (detail says which)
    };
    Kind kind = Kind::kConnect;
    std::size_t endpoint = 0;
    std::int64_t recv_ts = 0; // wall clock, ms
    // kDisconnect: "reconnect" (dropped or failed), "stall" (no pong), "notice" (64008).
    // kConnect: "connect" for the first connection of the endpoint, "reconnect" afterwards.
    std::string cause;
    std::string detail; // for people: close code and reason, the error, the notice
};

// Short name of an event kind: connect, subscribed, disconnect, notice, error.
std::string_view event_name(WsEvent::Kind kind);

// A single-threaded OKX WebSocket client: one connection per endpoint URL, each with its own
// subscriptions. It subscribes on connect (batched, subscribe_ops), reads the acks, sends the
// text "ping" after ping_after_ms without any received frame and reconnects when nothing
// arrives within pong_timeout_ms after it, reconnects with exponential backoff and jitter
// after a drop and subscribes again, and answers notice 64008 by opening a new connection
// before the old one is closed. Every received text frame goes to on_frame with its local
// receive time (the wall clock enters okxkit here). Not thread-safe; run() is the event loop.
class WsClient {
public:
    explicit WsClient(WsOptions options);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // Adds an endpoint (ws:// or wss:// URL, checked here: UsageError) with its subscriptions,
    // before run(). Returns its index, used in on_frame and on_event. With login (the private
    // and business endpoints), every connection of the endpoint first logs in (the signed
    // login of okx-v5-protocol.md §5.3, timestamp in seconds corrected by clock_offset_ms)
    // and subscribes only after OKX acknowledged it; OKX refusing the login ends run() with
    // core::UsageError naming its code (the key, passphrase or clock to check).
    std::size_t add_endpoint(const std::string& url, std::vector<WsArg> args,
                             std::optional<Credentials> login = std::nullopt,
                             std::int64_t clock_offset_ms = 0);
    [[nodiscard]] const std::string& url(std::size_t endpoint) const;

    // Every text frame received (pushes, acks, errors, "pong"), in arrival order.
    std::function<void(std::size_t endpoint, std::string_view frame, std::int64_t recv_ts)>
        on_frame;
    // Connects, disconnects, notices (see WsEvent).
    std::function<void(const WsEvent& event)> on_event;
    // Called before each wait for the network, with the wall clock: flush output here.
    std::function<void(std::int64_t now_ms)> on_idle;

    // Connects every endpoint and serves them until stop() is called (from a callback) or
    // SIGINT/SIGTERM arrives. Exceptions thrown by the callbacks end run() and are rethrown
    // from it. Throws core::UsageError when OKX rejects a subscription (see ws_error_action),
    // OkxError (exit 5) when no connection could be made after max_failures attempts,
    // core::RuntimeError when libwebsockets cannot start.
    void run();
    // Ends run() after the current callback; also from another thread.
    void stop();

    // The same event loop driven from the caller's own loop, on one thread: open() starts the
    // connections; each pump() serves what is due (callbacks run inside it) and returns at
    // once, or with wait, after the next event (at most 100 ms); close() ends them. pump()
    // rethrows what a callback threw (as run() does) and returns false once stopped.
    void open();
    bool pump(bool wait = false);
    void close();
    // Sends text on the endpoint's delivering connection now, from the thread that pumps:
    // false (nothing sent) when it is not ready. With a tag, the moment of the write is kept
    // for take_written().
    bool send(std::size_t endpoint, std::string_view text, std::uint64_t tag = 0);

    // Starts one subscription of the endpoint afresh on its delivering connection: sends
    // "unsubscribe" then "subscribe" for arg, as OKX asks of a client whose `books` sequence
    // broke (§5.4; the subscribe brings a new snapshot). Their acks do not count as the
    // connection's own subscriptions. Does nothing without an open connection, since the next
    // one subscribes to everything anyway. When the connection has sent kMaxOpsPerHour
    // requests within the hour, it is replaced instead (a disconnect with cause "reconnect").
    // Call it from a callback of run().
    void resubscribe(std::size_t endpoint, const WsArg& arg);

    // Whether the endpoint's delivering connection is open, logged in (when it logs in) and
    // has every subscription acknowledged. Thread-safe.
    [[nodiscard]] bool ready(std::size_t endpoint) const;

    // Sends text (a request such as an order op) on the endpoint's delivering connection, from
    // any thread while run() runs on another: true when the endpoint was ready and the text
    // is queued, false (nothing queued) otherwise. A connection that drops after this call
    // loses the text without a word: a caller that needs an answer waits for it with a
    // timeout. With a tag (not 0), the moment the frame is written to the socket is recorded
    // for take_written(). Thread-safe.
    bool post(std::size_t endpoint, std::string text, std::uint64_t tag = 0);

    // The frames posted or sent with a tag that were written since the last call: tag and the
    // moment the frame was handed to the socket (steady clock) each. Thread-safe.
    std::vector<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> take_written();

    // Counters for diagnostics and tests.
    struct Stats {
        std::uint64_t frames = 0;
        std::uint64_t connects = 0;
        std::uint64_t disconnects = 0;
        std::uint64_t pings = 0;
        std::uint64_t resubscribes = 0;
        std::uint64_t held = 0; // connection records not yet freed when run() last looked
    };
    [[nodiscard]] const Stats& stats() const;

    // The wall clock in ms since the epoch: the one clock of the live path.
    static std::int64_t wall_ms();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace okxkit::okx
