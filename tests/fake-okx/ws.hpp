// The fake server's WebSocket protocol (§5): subscriptions, the market clock, pushes and
// faults. No libwebsockets here: the transport in server.cpp feeds frames in and writes out
// what each connection's queue holds.
#pragma once

#include "book.hpp"
#include "market.hpp"
#include "rest.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::fake {

// The market clock advances by this much per --ws-interval-ms of wall time.
constexpr std::int64_t kWsStepMs = 60'000;

struct WsOptions {
    std::int64_t interval_ms = 1000;      // wall time per clock step; 0: the clock never moves
    std::int64_t idle_ms = 30'000;        // close 4004 after this long without a client frame
    std::uint64_t start_subs = 0;         // the clock starts at this many live subscriptions
                                          // (0: at the first connection)
    std::uint64_t drop_every = 0;         // drop the connection after every Nth push
    std::uint64_t notice_every = 0;       // notice 64008 after every Nth push, then close
    std::uint64_t malformed_every = 0;    // a garbage frame before every Nth push
    std::uint64_t dup_every = 0;          // send every Nth push twice
    std::uint64_t skip_every = 0;         // never send every Nth confirmed candle
    std::uint64_t stall_every = 0;        // go silent after every Nth push (no push, no pong)
    std::uint64_t bad_checksum_every = 0; // a wrong checksum on every Nth books update
    std::uint64_t seq_gap_every = 0;      // never send every Nth books update (a seqId gap)
    bool checksum_zero = false;           // books checksums are 0 (OKX's 2026 retirement)
    bool no_pong = false;                 // never answer "ping"
    std::uint64_t drop_order_every = 0;   // drop the connection instead of answering every
                                          // Nth order the WebSocket placed (accepted)
};

enum class WsEndpoint { kPublic, kBusiness, kPrivate };

// The uid of the account, in the arg of every private push.
constexpr std::string_view kFakeUid = "614488474791936";

// /ws/v5/public, /ws/v5/business and /ws/v5/private; nullopt for any other path.
std::optional<WsEndpoint> ws_endpoint(std::string_view path);

// What a connection does next: send a text frame, drop the TCP connection without a close
// frame, or close with a close frame carrying code and text as the reason.
struct WsOut {
    enum class Kind { kText, kDrop, kClose };
    Kind kind = Kind::kText;
    std::string text;
    int code = 0;
    bool notice = false; // the 64008 notice, for the log
};

struct WsSub {
    std::string channel;        // "candle1m", "tickers", "trades", "books", "orders"
    std::string inst_id;        // "" for an orders subscription without instId
    std::string inst_type;      // orders: "SPOT", "ANY", ... as subscribed
    std::optional<OkxBar> bar;  // candle channels only
    bool snapshot_sent = false; // books: the snapshot went out, updates follow
};

// A subscribe or unsubscribe the hub accepted, for the server's log; n counts the requests
// of that op for that channel and instId on the whole server, from 1.
struct WsOpEvent {
    std::string op; // "subscribe" or "unsubscribe"
    std::string channel;
    std::string inst_id;
    std::uint64_t n = 0;
};

// A trading op of /ws/v5/private ("order", "cancel-order"), for the server's request log:
// the op's id, the HTTP status and OKX code the REST request would have had.
struct WsTradeOp {
    std::string op;
    std::string id;
    int status = 200;
    std::string code;
};

// The protocol state of one WebSocket connection.
struct WsConn {
    WsEndpoint endpoint = WsEndpoint::kPublic;
    std::string conn_id; // 8 hex digits
    std::vector<WsSub> subs;
    std::deque<WsOut> out;
    std::uint64_t pushes = 0;       // data messages queued (duplicates and garbage not counted)
    std::uint64_t confirmed = 0;    // confirmed candle pushes due, sent or skipped
    std::uint64_t garbage = 0;      // garbage frames sent
    std::uint64_t book_updates = 0; // books updates due, sent or skipped
    bool notice_pending = false;    // notice sent: close at the next tick, or after 1 s
    bool ended = false;             // a drop or close is queued: nothing more is queued
    bool stalled = false;           // silent for good, yet open (--ws-stall-every)
    std::vector<WsOpEvent> ops;     // accepted ops not yet logged (the server drains it)
    bool logged_in = false;         // /ws/v5/private: the login was accepted
    std::vector<WsTradeOp> trades;  // trading ops not yet logged (the server drains it)
};

// All WebSocket connections share one hub: the market clock, trade ids and the faults.
class WsHub {
public:
    WsHub(const MarketData& data, Rest& rest, WsOptions options);

    [[nodiscard]] const WsOptions& options() const { return options_; }

    // A new connection on endpoint, with a fresh connId. The first one starts the clock.
    std::unique_ptr<WsConn> open(WsEndpoint endpoint);
    [[nodiscard]] bool started() const { return started_; }

    // One text frame from the client, arrived at t_ms (steady ms since the server started,
    // for the rate limits): queues the answers (pong, acks, errors, first pushes, op answers).
    void receive(WsConn& conn, std::string_view text, std::int64_t t_ms = 0);

    // Queues the orders pushes of the order changes Rest has collected since the last call
    // on every connection of conns that logged in and subscribed to orders matching the
    // change (instType SPOT or ANY, and the instId if the subscription named one).
    void order_pushes(const std::vector<WsConn*>& conns);

    // The frame as the log may show it: a login's apiKey, passphrase and sign are masked.
    static std::string loggable(std::string_view text);

    // Advances the clock one step and queues the pushes of every connection in conns.
    void tick(const std::vector<WsConn*>& conns);
    [[nodiscard]] std::int64_t clock_ms() const { return clock_; }

    // The idle timer fired: queue close 4004.
    static void idle_close(WsConn& conn);
    // The notice's grace time is over: queue the close that follows it.
    static void notice_close(WsConn& conn);

private:
    void receive_private(WsConn& conn, const std::string& id, const std::string& op,
                         const nlohmann::ordered_json& req, std::int64_t t_ms);
    void login(WsConn& conn, const std::string& id, const nlohmann::ordered_json& req);
    void trade(WsConn& conn, const std::string& op, const nlohmann::ordered_json& req,
               std::int64_t t_ms);
    void subscribe(WsConn& conn, const std::string& id, WsSub& sub);
    void push_account(WsConn& conn, std::string_view event_type);
    void push(WsConn& conn, const std::string& text);
    void push_candle(WsConn& conn, const WsSub& sub, const Candle& c, bool confirmed);
    void push_tick(WsConn& conn, WsSub& sub, std::int64_t prev);
    void push_book(WsConn& conn, WsSub& sub, std::int64_t prev);
    const std::optional<FakeBook>& book(const std::string& inst_id, std::int64_t clock);
    std::optional<std::string> ticker_data(const std::string& inst_id);
    std::optional<std::string> trade_data(const std::string& inst_id);
    const Candle* current_bar(const std::string& inst_id, const Series** series) const;

    const MarketData& data_;
    Rest& rest_;
    WsOptions options_;
    bool started_ = false;
    std::int64_t clock_ = 0;
    std::uint64_t connections_ = 0;
    std::uint64_t ws_places_ = 0; // orders placed over the WebSocket (drop_order_every)
    std::map<std::string, std::uint64_t, std::less<>> trade_ids_;
    std::map<std::string, std::uint64_t, std::less<>> op_counts_; // "op channel inst" → n
    // The books of each instrument at the last two clocks asked for (a pure function of the
    // clock, kept to compute each once).
    std::map<std::string, std::map<std::int64_t, std::optional<FakeBook>>, std::less<>> books_;
    // Per tick: the ticker and trade data of each instrument, shared by all connections.
    std::map<std::string, std::optional<std::string>, std::less<>> tick_tickers_;
    std::map<std::string, std::optional<std::string>, std::less<>> tick_trades_;
};

} // namespace okxkit::fake
