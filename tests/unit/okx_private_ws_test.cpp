// The private WebSocket's frames without a connection (okx-v5-protocol.md §5.5): the order op
// execute sends, OKX's answers to it, and the orders channel's pushes (OKX's documented
// sample), as execute's order state machine reads them.
#include "core/error.hpp"
#include "okx/envelope.hpp"
#include "okx/trade.hpp"
#include "okx/ws_frames.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace okxkit::okx {
namespace {

// OKX's documented orders push of a spot fill, with the fields execute reads (the docs'
// sample has more; they are ignored).
constexpr const char* kFillPush =
    R"({"arg":{"channel":"orders","instType":"SPOT","instId":"BTC-USDT","uid":"614488474791936"},)"
    R"("data":[{"accFillSz":"0.001","avgPx":"31527.1","cancelSource":"","clOrdId":"k1a2",)"
    R"("cTime":"1654084334977","execType":"M","fee":"-0.05","feeCcy":"USDT",)"
    R"("fillFee":"-0.02522168","fillFeeCcy":"USDT","fillPx":"31527.1","fillSz":"0.001",)"
    R"("fillTime":"1654084353263","instId":"BTC-USDT","instType":"SPOT",)"
    R"("ordId":"452197707845865472","ordType":"limit","px":"31527.1","side":"sell",)"
    R"("state":"filled","sz":"0.001","tag":"","tdMode":"cash","tradeId":"242589207",)"
    R"("uTime":"1654084353264"}]})";

TEST(PrivateWs, TheOrderOpCarriesThePlaceBodyUnderTheClientOrderId) {
    PlaceOrder o;
    o.inst_id = "BTC-USDT";
    o.side = core::Side::kBuy;
    o.ord_type = core::OrdType::kLimit;
    o.px = *Decimal::parse("31496");
    o.sz = *Decimal::parse("0.01");
    o.cl_ord_id = "k1a2";
    const std::string op = order_op("k1a2", o);
    EXPECT_EQ(op, R"({"id":"k1a2","op":"order","args":[)" + place_body(o) + "]}");
    const auto doc = nlohmann::json::parse(op);
    EXPECT_EQ(doc["args"][0]["tdMode"], "cash");
    EXPECT_EQ(doc["args"][0]["px"], "31496");
    EXPECT_THROW(order_op("not-alnum", o), core::UsageError);
    EXPECT_THROW(order_op("", o), core::UsageError);
}

TEST(PrivateWs, AnAnswerSaysAcceptedOrGivesOkxsCodeAndMessage) {
    auto ok = parse_op_answer(
        R"({"id":"k1","op":"order","data":[{"clOrdId":"k1","ordId":"12345689","tag":"",)"
        R"("ts":"1695190491421","sCode":"0","sMsg":""}],"code":"0","msg":"",)"
        R"("inTime":"1695190491421339","outTime":"1695190491423240"})");
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->ok());
    EXPECT_EQ(ok->id, "k1");
    EXPECT_EQ(ok->ord_id, "12345689");

    auto refused = parse_op_answer(
        R"({"id":"k2","op":"order","data":[{"clOrdId":"k2","ordId":"","tag":"",)"
        R"("ts":"1695190491421","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance"}],)"
        R"("code":"1","msg":"","inTime":"1","outTime":"2"})");
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->ok());
    EXPECT_EQ(refused->s_code, "51008");
    EXPECT_EQ(refused->s_msg, "Order failed. Insufficient USDT balance");

    // The whole op refused: no item, the op's own code.
    auto invalid = parse_op_answer(
        R"({"id":"k3","op":"order","data":[],"code":"60013","msg":"Invalid args"})");
    ASSERT_TRUE(invalid);
    EXPECT_FALSE(invalid->ok());
    EXPECT_EQ(invalid->s_code, "60013");
    EXPECT_EQ(invalid->s_msg, "Invalid args");

    // An item that says 0 under an op that failed is no success.
    auto odd = parse_op_answer(
        R"({"id":"k4","op":"order","data":[{"sCode":"0","sMsg":""}],"code":"50011","msg":"Too Many Requests"})");
    ASSERT_TRUE(odd);
    EXPECT_FALSE(odd->ok());
    EXPECT_EQ(odd->s_code, "50011");

    // Not answers: events, pushes, pong, garbage.
    EXPECT_FALSE(parse_op_answer(R"({"event":"login","code":"0","msg":"","connId":"a4d3ae55"})"));
    EXPECT_FALSE(parse_op_answer(kFillPush));
    EXPECT_FALSE(parse_op_answer("pong"));
    EXPECT_FALSE(parse_op_answer("{\"id\":"));
}

TEST(PrivateWs, AFillPushIsTheOrderAndThatOneFillWithItsOwnFee) {
    auto updates = parse_orders_push(kFillPush);
    ASSERT_TRUE(updates);
    ASSERT_EQ(updates->size(), 1U);
    const OrderUpdate& u = updates->front();
    EXPECT_EQ(u.order.cl_ord_id, "k1a2");
    EXPECT_EQ(u.order.state, core::OrderState::kFilled);
    EXPECT_DOUBLE_EQ(u.order.acc_fill_sz, 0.001);
    EXPECT_DOUBLE_EQ(u.order.fee, 0.05); // the order's, all its fills
    ASSERT_TRUE(u.fill);
    EXPECT_EQ(u.fill->trade_id, "242589207");
    EXPECT_EQ(u.fill->ord_id, "452197707845865472");
    EXPECT_EQ(u.fill->side, core::Side::kSell);
    EXPECT_DOUBLE_EQ(u.fill->px, 31527.1);
    EXPECT_DOUBLE_EQ(u.fill->sz, 0.001);
    EXPECT_DOUBLE_EQ(u.fill->fee, 0.02522168); // this fill's alone, paid
    EXPECT_EQ(u.fill->fee_ccy, "USDT");
    EXPECT_EQ(u.fill->liquidity, core::Liquidity::kMaker);
    EXPECT_EQ(u.fill->ts, 1654084353263);
}

TEST(PrivateWs, APushWithoutAFillIsAStateChangeOnly) {
    nlohmann::json doc = nlohmann::json::parse(kFillPush);
    auto& row = doc["data"][0];
    row["state"] = "live";
    row["accFillSz"] = "0";
    row["avgPx"] = "";
    row["fillSz"] = "0";
    row["fillPx"] = "";
    row["tradeId"] = "";
    auto updates = parse_orders_push(doc.dump());
    ASSERT_TRUE(updates);
    EXPECT_EQ(updates->front().order.state, core::OrderState::kLive);
    EXPECT_FALSE(updates->front().fill);
    // A market order OKX reports filled with fillSz "0" and no tradeId: no fill is made up.
    row["state"] = "filled";
    row["fillSz"] = "0";
    updates = parse_orders_push(doc.dump());
    ASSERT_TRUE(updates);
    EXPECT_FALSE(updates->front().fill);
}

TEST(PrivateWs, OtherFramesAreNotOrdersPushesAndABrokenRowSaysWhichField) {
    EXPECT_FALSE(parse_orders_push(
        R"({"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1","2","3","4","5","6","7","8","0"]]})"));
    EXPECT_FALSE(parse_orders_push(R"({"event":"subscribe","arg":{"channel":"orders"}})"));
    EXPECT_FALSE(parse_orders_push("pong"));
    // Found by fuzz_ws: an arg whose channel is not a string threw the JSON library's error.
    EXPECT_FALSE(parse_orders_push(R"({"arg":{"channel":true},"data":[["1951.083.61","0"]]})"));
    EXPECT_FALSE(parse_account_push(R"({"arg":{"channel":7},"data":[]})"));
    nlohmann::json doc = nlohmann::json::parse(kFillPush);
    doc["data"][0].erase("fillTime");
    try {
        parse_orders_push(doc.dump());
        FAIL() << "a fill without its time was taken";
    } catch (const OkxError& e) {
        EXPECT_NE(std::string(e.what()).find("fillTime"), std::string::npos) << e.what();
    }
}

TEST(PrivateWs, APrivateSubscriptionIsByInstrumentType) {
    const auto ops = subscribe_ops("subscribe", {WsArg{"orders", "", "SPOT"}});
    ASSERT_EQ(ops.size(), 1U);
    EXPECT_EQ(ops[0], R"({"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]})");
}

} // namespace
} // namespace okxkit::okx
