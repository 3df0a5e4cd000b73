// OKX WebSocket wire format without a connection: endpoints, URLs, subscribe requests, the
// kinds of received frames, event frames and what an error code calls for.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// OKX's WebSocket endpoints (okx-v5-protocol.md §0): live and demo ("paper") trading.
inline constexpr std::string_view kProductionWsPublicUrl = "wss://ws.okx.com:8443/ws/v5/public";
inline constexpr std::string_view kProductionWsBusinessUrl = "wss://ws.okx.com:8443/ws/v5/business";
inline constexpr std::string_view kDemoWsPublicUrl = "wss://wspap.okx.com:8443/ws/v5/public";
inline constexpr std::string_view kDemoWsBusinessUrl = "wss://wspap.okx.com:8443/ws/v5/business";
inline constexpr std::string_view kProductionWsPrivateUrl = "wss://ws.okx.com:8443/ws/v5/private";
inline constexpr std::string_view kDemoWsPrivateUrl = "wss://wspap.okx.com:8443/ws/v5/private";

// A ws:// or wss:// URL taken apart.
struct WsUrl {
    bool tls = false;
    std::string host; // without brackets for an IPv6 literal
    int port = 0;     // 80 or 443 when the URL names none
    std::string path; // "/ws/v5/public"; "/" when the URL has none
};

// Parses ws[s]://host[:port][/path]. Throws core::UsageError naming the URL otherwise.
WsUrl parse_ws_url(std::string_view url);

// One subscription: {"channel":"candle1m","instId":"BTC-USDT"}, or of a private channel by
// instrument type when inst_type is set: {"channel":"orders","instType":"SPOT"}, or of the
// whole account when both are empty: {"channel":"account"}.
struct WsArg {
    std::string channel;
    std::string inst_id;
    std::string inst_type;
};

// OKX's limits on one subscribe message (okx-v5-protocol.md §5.2: at most 64 KB), with room.
inline constexpr std::size_t kMaxArgsPerOp = 100;
inline constexpr std::size_t kMaxOpBytes = std::size_t{32} * 1024;
// OKX allows 480 subscribe, unsubscribe and login requests per hour and connection (§5.2);
// a client keeps below this many, with room.
inline constexpr std::size_t kMaxOpsPerHour = 400;

// The text of the "subscribe" (or "unsubscribe") requests for args, in order: as few messages
// as the limits allow, each with at most max_args args and max_bytes bytes. O(total size).
std::vector<std::string> subscribe_ops(std::string_view op, const std::vector<WsArg>& args,
                                       std::size_t max_args = kMaxArgsPerOp,
                                       std::size_t max_bytes = kMaxOpBytes);

// What a received text frame is. A data push ({"arg":...,"data":...}) is recognised by its
// first bytes, without parsing, so the cost on the hot path is O(1); anything else is parsed.
enum class FrameKind {
    kPush,      // market data: {"arg":{...},"data":[...]} (whether well-formed is not checked)
    kPong,      // the text "pong" answering our "ping"
    kEvent,     // {"event":...}: acks, errors, notices
    kMalformed, // not JSON, or JSON of no known shape
};
FrameKind classify_frame(std::string_view text);

// A control frame {"event":...} (okx-v5-protocol.md §5.3), fields "" when absent.
struct WsEventFrame {
    std::string event; // subscribe, unsubscribe, error, notice, channel-conn-count, ...
    std::string code;
    std::string msg;
    std::string channel; // of arg, for acks
    std::string inst_id; // of arg, for acks
    std::string conn_id;
};

// Parses an event frame; nullopt when text is not a JSON object with a string "event".
std::optional<WsEventFrame> parse_event_frame(std::string_view text);

// What a client does about an error event: codes that a new connection can fix (60014 too
// frequent, 64007 internal error, okx-v5-protocol.md §6.3) are retried; every other code
// (60018 wrong URL or channel, 64001 channel moved to /business, 60012 invalid request, ...)
// is a configuration error that retrying would only repeat.
enum class WsErrorAction { kReconnect, kFatal };
WsErrorAction ws_error_action(std::string_view code);

} // namespace okxkit::okx
