// Unit tests for lib/okx/ws: URLs, subscribe batching, frame classification, event frames.
#include "okx/ws.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace okxkit::okx {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/ws/" + name);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A pretty-printed fixture as the one-line frame OKX sends.
std::string frame(const std::string& name) {
    return nlohmann::json::parse(fixture(name)).dump();
}

std::vector<std::string> lines(const std::string& name) {
    std::vector<std::string> out;
    std::istringstream in(fixture(name));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

TEST(OkxWsUrl, ParsesSchemesHostsPortsAndPaths) {
    WsUrl u = parse_ws_url("wss://ws.okx.com:8443/ws/v5/public");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "ws.okx.com");
    EXPECT_EQ(u.port, 8443);
    EXPECT_EQ(u.path, "/ws/v5/public");

    u = parse_ws_url("ws://127.0.0.1:4001/ws/v5/business");
    EXPECT_FALSE(u.tls);
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 4001);
    EXPECT_EQ(u.path, "/ws/v5/business");

    u = parse_ws_url("ws://localhost");
    EXPECT_EQ(u.port, 80);
    EXPECT_EQ(u.path, "/");
    EXPECT_EQ(parse_ws_url("wss://example.com/x?y=1").port, 443);
    EXPECT_EQ(parse_ws_url("wss://example.com/x?y=1").path, "/x?y=1");

    u = parse_ws_url("ws://[::1]:9000/ws");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 9000);
}

TEST(OkxWsUrl, RejectsWhatIsNotAWebSocketUrl) {
    for (const char* bad :
         {"https://www.okx.com", "ws://", "ws://:80/x", "ws://host:0/x", "ws://host:65536",
          "ws://host:x/", "ws://host:/", "ws://[::1/x", "ws://user@host/x", "wss//ws.okx.com"}) {
        EXPECT_THROW(parse_ws_url(bad), core::UsageError) << bad;
    }
    try {
        parse_ws_url("http://x");
        FAIL();
    } catch (const core::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("http://x"), std::string::npos) << e.what();
    }
}

TEST(OkxWsSubscribe, OneMessageMatchesTheDocsRequest) {
    auto ops = subscribe_ops("subscribe", {{"tickers", "BTC-USDT", {}}});
    ASSERT_EQ(ops.size(), 1U);
    nlohmann::json want = nlohmann::json::parse(fixture("ws_subscribe_request_docs.json"));
    want.erase("id"); // optional; okx-stream sends none
    EXPECT_EQ(nlohmann::json::parse(ops[0]), want);
    EXPECT_EQ(ops[0], R"({"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"}]})");
    // Private channels: by instrument type, or of the whole account.
    ops = subscribe_ops("subscribe", {{"orders", "", "SPOT"}, {"account", "", ""}});
    ASSERT_EQ(ops.size(), 1U);
    EXPECT_EQ(ops[0], R"({"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"},)"
                      R"({"channel":"account"}]})");
}

TEST(OkxWsSubscribe, BatchesByCountAndBySize) {
    std::vector<WsArg> args;
    for (int i = 0; i < 250; ++i) {
        args.push_back({"candle1m", "COIN" + std::to_string(i) + "-USDT", {}});
    }
    auto ops = subscribe_ops("subscribe", args, 100, 1 << 20);
    ASSERT_EQ(ops.size(), 3U);
    std::size_t total = 0;
    for (const auto& op : ops) {
        auto j = nlohmann::json::parse(op);
        EXPECT_EQ(j["op"], "subscribe");
        EXPECT_LE(j["args"].size(), 100U);
        total += j["args"].size();
    }
    EXPECT_EQ(total, 250U);
    EXPECT_EQ(nlohmann::json::parse(ops[2])["args"][49]["instId"], "COIN249-USDT");

    // By size: every message stays within the byte limit and nothing is lost or reordered.
    ops = subscribe_ops("unsubscribe", args, 1000, 600);
    total = 0;
    for (const auto& op : ops) {
        EXPECT_LE(op.size(), 600U);
        auto j = nlohmann::json::parse(op);
        EXPECT_EQ(j["op"], "unsubscribe");
        for (const auto& a : j["args"]) {
            EXPECT_EQ(a["instId"], "COIN" + std::to_string(total++) + "-USDT");
        }
    }
    EXPECT_EQ(total, 250U);
    EXPECT_GT(ops.size(), 10U);
    EXPECT_TRUE(subscribe_ops("subscribe", {}).empty());
    // The defaults keep a realistic subscription (8 symbols x 4 channels) in one message.
    std::vector<WsArg> some(32, {"candle1m", "BTC-USDT", {}});
    EXPECT_EQ(subscribe_ops("subscribe", some).size(), 1U);
}

TEST(OkxWsFrames, ClassifiesRecordedFrames) {
    for (const char* name :
         {"ws_candle1m_btc_usdt_recorded.ndjson", "ws_candle1m_btc_usdt_swap_recorded.ndjson",
          "ws_tickers_btc_usdt_recorded.ndjson", "ws_trades_btc_usdt_swap_recorded.ndjson",
          "ws_books5_btc_usdt_recorded.ndjson"}) {
        int pushes = 0, events = 0;
        for (const auto& line : lines(name)) {
            switch (classify_frame(line)) {
            case FrameKind::kPush:
                ++pushes;
                break;
            case FrameKind::kEvent:
                ++events;
                break;
            default:
                ADD_FAILURE() << name << ": " << line;
            }
        }
        EXPECT_EQ(pushes, 2) << name;
        EXPECT_EQ(events, 1) << name;
    }
    EXPECT_EQ(classify_frame("pong"), FrameKind::kPong);
    EXPECT_EQ(classify_frame(frame("ws_notice_64008_docs.json")), FrameKind::kEvent);
    EXPECT_EQ(classify_frame(frame("ws_error_60018.json")), FrameKind::kEvent);
    EXPECT_EQ(classify_frame(frame("ws_channel_conn_count_docs.json")), FrameKind::kEvent);
    // Pretty-printed pushes are pushes too (arg is not the first thing).
    EXPECT_EQ(classify_frame(fixture("ws_candle1D_push_docs.json")), FrameKind::kPush);
    EXPECT_EQ(classify_frame(R"({"data":[],"arg":{"channel":"trades"}})"), FrameKind::kPush);
    for (const char* bad : {"", "ping", "pong ", "{", "[1,2]", R"({"foo":1})", "\"x\"",
                            R"({"event":1})", "{\"arg\""}) {
        const FrameKind k = classify_frame(bad);
        // A frame that starts like a push is left to the push parser, which reports it.
        if (std::string_view(bad).starts_with("{\"arg\":")) {
            EXPECT_EQ(k, FrameKind::kPush) << bad;
        } else {
            EXPECT_EQ(k, FrameKind::kMalformed) << bad;
        }
    }
}

TEST(OkxWsFrames, ParsesEventFrames) {
    auto ack = parse_event_frame(lines("ws_candle1m_btc_usdt_recorded.ndjson")[0]);
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->event, "subscribe");
    EXPECT_EQ(ack->channel, "candle1m");
    EXPECT_EQ(ack->inst_id, "BTC-USDT");
    EXPECT_EQ(ack->conn_id, "4280e5d7");

    auto err = parse_event_frame(frame("ws_error_60018.json"));
    ASSERT_TRUE(err);
    EXPECT_EQ(err->event, "error");
    EXPECT_EQ(err->code, "60018");
    EXPECT_NE(err->msg.find("Wrong URL or channel"), std::string::npos);

    auto moved = parse_event_frame(frame("ws_error_64001_business_migrated.json"));
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->code, "64001");
    EXPECT_EQ(moved->conn_id, "");

    auto notice = parse_event_frame(frame("ws_notice_64008_docs.json"));
    ASSERT_TRUE(notice);
    EXPECT_EQ(notice->event, "notice");
    EXPECT_EQ(notice->code, "64008");

    auto count = parse_event_frame(frame("ws_channel_conn_count_docs.json"));
    ASSERT_TRUE(count);
    EXPECT_EQ(count->event, "channel-conn-count");
    EXPECT_EQ(count->channel, "orders");

    // A numeric code is read as its text.
    auto numeric = parse_event_frame(R"({"event":"error","code":60012,"msg":"x"})");
    ASSERT_TRUE(numeric);
    EXPECT_EQ(numeric->code, "60012");

    EXPECT_FALSE(parse_event_frame("pong"));
    EXPECT_FALSE(parse_event_frame(R"({"arg":{},"data":[]})"));
    EXPECT_FALSE(parse_event_frame(R"({"event":null})"));
}

TEST(OkxWsFrames, ErrorCodesThatAReconnectCannotFixAreFatal) {
    for (const char* code : {"60018", "64001", "64002", "60012", "60013", "60008", "", "99999"}) {
        EXPECT_EQ(ws_error_action(code), WsErrorAction::kFatal) << code;
    }
    for (const char* code : {"60014", "64007"}) {
        EXPECT_EQ(ws_error_action(code), WsErrorAction::kReconnect) << code;
    }
}

TEST(OkxWsClient, ChecksItsOptionsAndUrls) {
    WsOptions bad;
    bad.ping_after_ms = 0;
    EXPECT_THROW(WsClient{bad}, core::UsageError);
    WsClient client{WsOptions{}};
    EXPECT_THROW(client.add_endpoint("http://127.0.0.1/ws", {}), core::UsageError);
    const std::size_t ep = client.add_endpoint("ws://127.0.0.1:1/ws/v5/public", {});
    EXPECT_EQ(client.url(ep), "ws://127.0.0.1:1/ws/v5/public");
    EXPECT_EQ(event_name(WsEvent::Kind::kDisconnect), "disconnect");
}

TEST(OkxWsClient, GivesUpWhenNothingAnswersBeforeTheFirstConnection) {
    // Port 1 on the loopback refuses at once: every attempt fails, then run() gives up with
    // exit 5 (service unavailable) after max_failures retries, and the backoff stays short.
    WsOptions o;
    o.max_failures = 2;
    o.backoff_base_ms = 10;
    o.backoff_cap_ms = 20;
    WsClient client{o};
    client.add_endpoint("ws://127.0.0.1:1/ws/v5/public", {{"tickers", "BTC-USDT", {}}});
    int frames = 0;
    client.on_frame = [&](std::size_t, std::string_view, std::int64_t) { ++frames; };
    try {
        client.run();
        FAIL() << "run() returned";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::Exit::kUnavailable) << e.what();
        EXPECT_NE(std::string(e.what()).find("ws://127.0.0.1:1/ws/v5/public"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(frames, 0);
    EXPECT_EQ(client.stats().connects, 0U);
    // Failed attempts are freed as they fail: at most the last one is still held.
    EXPECT_LE(client.stats().held, 1U);
}

} // namespace
} // namespace okxkit::okx
