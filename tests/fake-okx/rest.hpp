// The fake server's REST API: routing, faults, rate limits and the OKX v5 market endpoints.
#pragma once

#include "auth.hpp"
#include "market.hpp"
#include "rate_limit.hpp"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace okxkit::fake {

// One HTTP request, independent of the transport.
struct Request {
    std::string method;                                     // "GET", "POST", ...
    std::string path;                                       // "/api/v5/market/candles"
    std::vector<std::pair<std::string, std::string>> query; // decoded, in order
    std::string body;
    std::int64_t t_ms = 0;    // arrival, monotonic ms since the server started
    std::int64_t mono_us = 0; // arrival on CLOCK_MONOTONIC in µs, as other processes read it
    // The OK-ACCESS-* and x-simulated-trading headers, names lowercase (never logged).
    Headers headers;

    // The value of the first query parameter called name, or nullopt.
    [[nodiscard]] std::optional<std::string> param(std::string_view name) const;
    // The query as "k=v&k=v" (decoded), for the request log.
    [[nodiscard]] std::string query_text() const;
};

// One HTTP answer: the status, a JSON body and the OKX code it carries (for the log).
struct Response {
    int status = 200;
    std::string body;
    std::string code;
    std::vector<std::pair<std::string, std::string>> headers; // extra headers
};

// OKX's envelope: {"code":"0","msg":"","data":data}, HTTP 200; and an error with "data":[].
Response ok_response(nlohmann::ordered_json data);
Response error_response(int status, std::string_view code, std::string_view msg);

struct RestOptions {
    std::optional<std::int64_t> now_ms; // fixed market clock; wall clock when unset
    std::size_t history_limit = 300;    // max rows of history-candles
    std::uint64_t fault_50011_every = 0;
    std::uint64_t fault_500_every = 0;
    // Every Nth order placed is accepted, but its answer is lost: HTTP 500, code 50026, as a
    // gateway answers when the order went through and the response did not come back.
    std::uint64_t fault_lost_answer_every = 0;
    bool rate_limit = true;
    std::int64_t confirm_lag_ms = 0; // a closed bar stays confirm "0" this long (market ms)
    AuthConfig auth;                 // the one API key the private endpoints accept
    double cash = 10'000;            // the account's USDT at the start
    double maker_fee = 0.0008;       // the fees the fills are charged (trade-fee shows them)
    double taker_fee = 0.0010;
};

// One change of an order, for the orders channel of /ws/v5/private (§5.5): its instrument
// and the push's data row as JSON text.
struct OrderPush {
    std::string inst_id;
    std::string row;
};

class Trading;
class StateFile;
struct StateEntry;

// Whether path is a private POST endpoint served by Trading: what --state journals.
bool trade_post_path(std::string_view path);

// Answers REST requests from the market data. Not thread-safe; one per server.
class Rest {
public:
    Rest(const MarketData& data, RestOptions options);
    ~Rest();
    Rest(const Rest&) = delete;
    Rest& operator=(const Rest&) = delete;

    // The response to req. Order of checks: the fault counters (every request counts),
    // the route (404), the method (405), the endpoint's rate limit (429, 50011), then the
    // endpoint itself. O(log rows + limit) for candles.
    Response handle(const Request& req);

    // The market clock in ms: --now, or the wall clock, until set_now_ms moves it.
    [[nodiscard]] std::int64_t now_ms() const;
    // Fixes the market clock at ms from now on; the WebSocket clock calls it as it advances.
    // A change is journaled (--state).
    void set_now_ms(std::int64_t ms);
    // Whether the market clock is the wall clock (no --now, and no WebSocket clock yet).
    [[nodiscard]] bool wall_clock() const { return !options_.now_ms.has_value(); }

    // The private WebSocket's side (ws.cpp). The one API key, for the login.
    [[nodiscard]] const AuthConfig& auth() const { return options_.auth; }
    // A WebSocket trading op: place (POST /api/v5/trade/order) or cancel
    // (POST /api/v5/trade/cancel-order) with body, arrived at t_ms: the same rate-limit
    // bucket (per method, path and instId), the same bars worked first and the same Trading
    // call as the REST request, hence the same answer. No REST fault counters, no signature
    // (the connection logged in).
    Response trade_op(bool place, const std::string& body, std::int64_t t_ms);
    // Works the bars the market clock has passed (fills, the dead-man switch) now, rather
    // than at the next private request, so that their pushes go out.
    void advance_trading();
    // The order changes since the last call, oldest first (every path: REST, WebSocket ops,
    // the clock, cancel-all-after).
    std::vector<OrderPush> take_order_pushes();
    // The account as GET /account/balance's data[0] has it now, one JSON object: the row of
    // the private WebSocket's account channel.
    std::string account_row();

    // --state: replays entries (a journal an earlier run wrote on the same data and account
    // options) into the fresh account, each at its recorded clock, with no rate limit, fault
    // counter or push; then journals every later change (each private POST that reaches
    // Trading, each WebSocket op, each move of the fixed clock) to journal. The market clock
    // ends where the journal left it, or later with a later --now (or the wall clock), never
    // earlier. O(entries × the cost of each).
    void restore(const std::vector<StateEntry>& entries, StateFile* journal);

private:
    Response time(const Request& req);
    Response instruments(const Request& req);
    Response candles(const Request& req, bool history);
    Response books(const Request& req);
    // The rate limit of req's endpoint (§6.1): false when it is refused.
    bool admit(const Request& req);
    // The Trading call of a private POST (trade_post_path), the bars the clock passed already
    // worked.
    Response trade_post(const Request& req);

    const MarketData& data_;
    RestOptions options_;
    std::uint64_t count_ = 0;
    std::uint64_t places_ = 0; // orders accepted (fault_lost_answer_every)
    SlidingWindow window_;
    std::unique_ptr<Trading> trading_;
    StateFile* journal_ = nullptr; // --state, once restored
};

} // namespace okxkit::fake
