// OKX WebSocket wire format without a connection: URLs, subscribe requests, frame kinds,
// event frames and what an error code calls for.
#include "okx/ws_frames.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/message.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace okxkit::okx {

WsUrl parse_ws_url(std::string_view url) {
    const auto bad = [&](std::string_view why) {
        std::string msg = "\"";
        msg.append(url).append("\" is not a WebSocket URL (").append(why);
        msg += "; e.g. wss://ws.okx.com:8443/ws/v5/public)";
        return core::UsageError(msg);
    };
    WsUrl out;
    std::string_view rest;
    if (url.starts_with("wss://")) {
        out.tls = true;
        rest = url.substr(6);
    } else if (url.starts_with("ws://")) {
        rest = url.substr(5);
    } else {
        throw bad("it must start with ws:// or wss://");
    }
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            throw bad("unclosed [ in the host");
        }
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') {
                throw bad("junk after the host");
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                throw bad("empty port");
            }
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                throw bad("empty port");
            }
        }
    }
    if (out.host.empty()) {
        throw bad("no host");
    }
    for (char c : out.host) {
        if (c == '@' || c == ' ' || c == '/' || c == '?' || c == '#') {
            throw bad("bad character in the host");
        }
    }
    out.port = out.tls ? 443 : 80;
    if (!port_text.empty()) {
        int port = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            throw bad("the port must be a number from 1 to 65535");
        }
        out.port = port;
    }
    return out;
}

std::vector<std::string> subscribe_ops(std::string_view op, const std::vector<WsArg>& args,
                                       std::size_t max_args, std::size_t max_bytes) {
    std::vector<std::string> ops;
    std::string head = "{\"op\":";
    core::append_json_string(head, op);
    head += ",\"args\":[";
    std::string cur;
    std::size_t n = 0;
    std::string one;
    for (const WsArg& a : args) {
        one.clear();
        one += "{\"channel\":";
        core::append_json_string(one, a.channel);
        if (!a.inst_type.empty()) {
            one += ",\"instType\":";
            core::append_json_string(one, a.inst_type);
        } else if (!a.inst_id.empty()) {
            one += ",\"instId\":";
            core::append_json_string(one, a.inst_id);
        } // else a channel of the whole account: {"channel":"account"}
        one += '}';
        // 2 bytes close the message: "]}".
        if (n > 0 && (n >= max_args || cur.size() + 1 + one.size() + 2 > max_bytes)) {
            cur += "]}";
            ops.push_back(std::move(cur));
            cur.clear();
            n = 0;
        }
        if (n == 0) {
            cur = head;
        } else {
            cur += ',';
        }
        cur += one;
        ++n;
    }
    if (n > 0) {
        cur += "]}";
        ops.push_back(std::move(cur));
    }
    return ops;
}

FrameKind classify_frame(std::string_view text) {
    if (text.starts_with("{\"arg\":")) {
        return FrameKind::kPush;
    }
    if (text == "pong") {
        return FrameKind::kPong;
    }
    const nlohmann::json doc = core::parse_json(text);
    if (doc.is_discarded() || !doc.is_object()) {
        return FrameKind::kMalformed;
    }
    if (auto it = doc.find("event"); it != doc.end() && it->is_string()) {
        return FrameKind::kEvent;
    }
    if (doc.contains("arg") && doc.contains("data")) {
        return FrameKind::kPush;
    }
    return FrameKind::kMalformed;
}

std::optional<WsEventFrame> parse_event_frame(std::string_view text) {
    const nlohmann::json doc = core::parse_json(text);
    if (doc.is_discarded() || !doc.is_object()) {
        return std::nullopt;
    }
    const auto it = doc.find("event");
    if (it == doc.end() || !it->is_string()) {
        return std::nullopt;
    }
    const auto text_of = [](const nlohmann::json& obj, const char* key) {
        const auto f = obj.find(key);
        if (f == obj.end()) {
            return std::string();
        }
        if (f->is_string()) {
            return f->get<std::string>();
        }
        return f->is_number() ? f->dump() : std::string();
    };
    WsEventFrame ev;
    ev.event = it->get<std::string>();
    ev.code = text_of(doc, "code");
    ev.msg = text_of(doc, "msg");
    ev.conn_id = text_of(doc, "connId");
    if (auto arg = doc.find("arg"); arg != doc.end() && arg->is_object()) {
        ev.channel = text_of(*arg, "channel");
        ev.inst_id = text_of(*arg, "instId");
    } else if (ev.event == "channel-conn-count" || ev.event == "channel-conn-count-error") {
        ev.channel = text_of(doc, "channel");
    }
    return ev;
}

WsErrorAction ws_error_action(std::string_view code) {
    // 60014: requests too frequent; 64007: internal error, retry (okx-v5-protocol.md §6.3).
    if (code == "60014" || code == "64007") {
        return WsErrorAction::kReconnect;
    }
    return WsErrorAction::kFatal;
}

} // namespace okxkit::okx
