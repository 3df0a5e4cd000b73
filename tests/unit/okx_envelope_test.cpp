// Unit tests for lib/okx/envelope: REST envelope parsing, item errors, retry classification.
#include "okx/envelope.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace okxkit::okx {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/okx/" + name);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs parse_envelope expecting an OkxError and returns it.
OkxError parse_error(const std::string& body, long http_status, const std::string& endpoint) {
    try {
        parse_envelope(body, http_status, endpoint);
    } catch (const OkxError& e) {
        return e;
    }
    ADD_FAILURE() << "no OkxError for " << body;
    return OkxError("?", "?", 0, endpoint);
}

TEST(OkxEnvelope, CandlesDataIsReturned) {
    const nlohmann::json data =
        parse_envelope(fixture("rest_candles_docs.json"), 200, "GET /api/v5/market/candles");
    ASSERT_TRUE(data.is_array());
    ASSERT_EQ(data.size(), 2U);
    EXPECT_EQ(data[0][0], "1597026383085");
    EXPECT_EQ(data[1][4], "3.72");
}

TEST(OkxEnvelope, SingleObjectAnswerIsAnArrayOfOne) {
    const nlohmann::json data =
        parse_envelope(fixture("rest_time_docs.json"), 200, "GET /api/v5/public/time");
    ASSERT_EQ(data.size(), 1U);
    EXPECT_EQ(data[0]["ts"], "1597026383085");
}

TEST(OkxEnvelope, RateLimitBodyWithoutData) {
    const OkxError e =
        parse_error(fixture("rest_error_50011_rate_limit.json"), 429, "GET /api/v5/market/candles");
    EXPECT_EQ(e.okx_code(), "50011");
    EXPECT_EQ(e.okx_msg(), "Too Many Requests");
    EXPECT_EQ(e.http_status(), 429);
    EXPECT_EQ(e.retry(), Retry::kBackoff);
    EXPECT_EQ(e.code(), core::Exit::kUnavailable);
    EXPECT_STREQ(e.what(), "okx GET /api/v5/market/candles: 50011 Too Many Requests (HTTP 429)");
}

TEST(OkxEnvelope, RateLimitWithHttp200IsStillBackoff) {
    // OKX sometimes answers 50011 with HTTP 200 (§6.2).
    const OkxError e =
        parse_error(fixture("rest_error_50011_rate_limit.json"), 200, "GET /api/v5/market/candles");
    EXPECT_EQ(e.retry(), Retry::kBackoff);
    EXPECT_EQ(exit_status(e.code()), 5);
}

TEST(OkxEnvelope, ExpiredTimestampAsksForResync) {
    const OkxError e =
        parse_error(fixture("rest_error_50102_timestamp.json"), 401, "GET /api/v5/account/balance");
    EXPECT_EQ(e.okx_code(), "50102");
    EXPECT_EQ(e.retry(), Retry::kResyncTime);
    EXPECT_EQ(e.code(), core::Exit::kRuntime);
    EXPECT_STREQ(e.what(),
                 "okx GET /api/v5/account/balance: 50102 Timestamp request expired (HTTP 401)");
}

TEST(OkxEnvelope, FailedOrderReportsTheItemCode) {
    // Top-level "1" with an empty msg: the reason is only in the item (§0 result rules).
    const OkxError e = parse_error(fixture("rest_place_order_failure_51008.json"), 200,
                                   "POST /api/v5/trade/order");
    EXPECT_EQ(e.okx_code(), "51008");
    EXPECT_EQ(e.retry(), Retry::kNo);
    EXPECT_EQ(e.code(), core::Exit::kRuntime);
    EXPECT_STREQ(e.what(), "okx POST /api/v5/trade/order: 51008 (HTTP 200)");
}

TEST(OkxEnvelope, FailedOrderWithTimedOutItemMustReconcile) {
    const std::string body =
        R"({"code":"1","msg":"","data":[{"clOrdId":"a","sCode":"51149","sMsg":"Order timed out"}]})";
    const OkxError e = parse_error(body, 500, "POST /api/v5/trade/order");
    EXPECT_EQ(e.okx_code(), "51149");
    EXPECT_EQ(e.retry(), Retry::kReconcile);
}

TEST(OkxEnvelope, NonZeroCodeWithoutItemsKeepsTopLevel) {
    const OkxError e = parse_error(R"({"code":"51000","msg":"Parameter bar error","data":[]})", 200,
                                   "GET /api/v5/market/candles");
    EXPECT_EQ(e.okx_code(), "51000");
    EXPECT_EQ(e.okx_msg(), "Parameter bar error");
    EXPECT_EQ(e.retry(), Retry::kNo);
}

TEST(OkxEnvelope, InvalidJsonNamesEndpointAndStatus) {
    const OkxError e =
        parse_error("<html>502 Bad Gateway</html>", 502, "GET /api/v5/market/tickers");
    EXPECT_EQ(e.okx_code(), "");
    EXPECT_EQ(e.http_status(), 502);
    EXPECT_EQ(e.retry(), Retry::kBackoff);
    EXPECT_STREQ(e.what(), "okx GET /api/v5/market/tickers: response is not JSON (HTTP 502)");

    const OkxError truncated = parse_error(R"({"code":"0","data":[)", 200, "GET /x");
    EXPECT_EQ(truncated.okx_code(), "");
    EXPECT_EQ(truncated.retry(), Retry::kNo);
    EXPECT_EQ(parse_error("", 200, "GET /x").okx_code(), "");
}

TEST(OkxEnvelope, MalformedEnvelopesAreErrors) {
    EXPECT_EQ(parse_error("[1,2]", 200, "GET /x").okx_msg(), "response is not a JSON object");
    // code must be a string: a number 0 is not success.
    EXPECT_EQ(parse_error(R"({"code":0,"msg":"","data":[]})", 200, "GET /x").okx_code(), "");
    EXPECT_EQ(parse_error(R"({"msg":"","data":[]})", 200, "GET /x").okx_code(), "");
    // Success without data, or with data that is not an array.
    const OkxError no_data = parse_error(R"({"code":"0","msg":""})", 200, "GET /x");
    EXPECT_EQ(no_data.okx_code(), "");
    EXPECT_NE(std::string(no_data.what()).find("data"), std::string::npos);
    EXPECT_EQ(parse_error(R"({"code":"0","data":{}})", 200, "GET /x").okx_code(), "");
}

TEST(OkxEnvelope, EmptyDataArrayIsFine) {
    EXPECT_TRUE(parse_envelope(R"({"code":"0","msg":"","data":[]})", 200, "GET /x").empty());
}

TEST(OkxEnvelope, ItemErrorOnRejectedCancel) {
    const nlohmann::json data = parse_envelope(fixture("rest_cancel_order_rejected_51400.json"),
                                               200, "POST /api/v5/trade/cancel-order");
    ASSERT_EQ(data.size(), 1U);
    const auto err = item_error(data[0], "POST /api/v5/trade/cancel-order");
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->okx_code(), "51400");
    EXPECT_EQ(err->okx_msg(), "Order does not exist");
    EXPECT_EQ(err->retry(), Retry::kNo);
    EXPECT_STREQ(err->what(),
                 "okx POST /api/v5/trade/cancel-order: 51400 Order does not exist (HTTP 200)");
}

TEST(OkxEnvelope, ItemErrorNulloptOnSuccess) {
    for (const char* name :
         {"rest_cancel_order_success_docs.json", "rest_place_order_success_docs.json"}) {
        const nlohmann::json data = parse_envelope(fixture(name), 200, "POST /x");
        ASSERT_EQ(data.size(), 1U) << name;
        EXPECT_FALSE(item_error(data[0], "POST /x").has_value()) << name;
    }
    // Items without sCode (market data rows) carry no per-item result.
    const nlohmann::json candles = parse_envelope(fixture("rest_candles_docs.json"), 200, "GET /x");
    EXPECT_FALSE(item_error(candles[0], "GET /x").has_value());
    EXPECT_FALSE(item_error(nlohmann::json::object(), "GET /x").has_value());
}

TEST(OkxEnvelope, RetryClassification) {
    for (const char* code : {"50001", "50005", "50011", "50013", "50026"}) {
        EXPECT_EQ(retry_for(code, 200), Retry::kBackoff) << code;
    }
    EXPECT_EQ(retry_for("50004", 400), Retry::kReconcile);
    EXPECT_EQ(retry_for("51149", 500), Retry::kReconcile);
    EXPECT_EQ(retry_for("50102", 401), Retry::kResyncTime);
    EXPECT_EQ(retry_for("", 429), Retry::kBackoff);
    EXPECT_EQ(retry_for("", 500), Retry::kBackoff);
    EXPECT_EQ(retry_for("", 503), Retry::kBackoff);
    EXPECT_EQ(retry_for("12345", 502), Retry::kBackoff);
    EXPECT_EQ(retry_for("", 0), Retry::kBackoff);
    EXPECT_EQ(retry_for("", 200), Retry::kNo);
    EXPECT_EQ(retry_for("", 404), Retry::kNo);
    EXPECT_EQ(retry_for("50113", 401), Retry::kNo); // invalid signature, not a rate limit
    EXPECT_EQ(retry_for("50111", 401), Retry::kNo);
    EXPECT_EQ(retry_for("51008", 200), Retry::kNo);
    EXPECT_EQ(retry_for("51016", 200), Retry::kNo);
    EXPECT_EQ(retry_for("50014", 400), Retry::kNo);
    EXPECT_EQ(retry_for("0", 200), Retry::kNo);
}

TEST(OkxEnvelope, ExitCodeFollowsRetry) {
    EXPECT_EQ(OkxError("50013", "System busy", 429, "GET /x").code(), core::Exit::kUnavailable);
    EXPECT_EQ(OkxError("50004", "timeout", 400, "POST /x").code(), core::Exit::kRuntime);
    EXPECT_EQ(OkxError("50113", "Invalid Sign", 401, "GET /x").code(), core::Exit::kRuntime);
}

TEST(OkxEnvelope, TransportFailureMessage) {
    const OkxError e("", "connection refused", 0, "GET /api/v5/public/time");
    EXPECT_STREQ(e.what(), "okx GET /api/v5/public/time: connection refused (no response)");
    EXPECT_EQ(e.code(), core::Exit::kUnavailable);
    EXPECT_STREQ(OkxError("", "", 500, "GET /x").what(), "okx GET /x: request failed (HTTP 500)");
}

} // namespace
} // namespace okxkit::okx
