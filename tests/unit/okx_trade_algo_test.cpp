// lib/okx's amend, batch, account and algo-order pieces on their own: the exact bodies sent,
// the answers of OKX's docs read back (fixtures), a batch's items kept one by one, and nothing
// sent for what OKX would refuse outright. Against fake-okx: okx_private_rest_test.cpp.
#include "core/error.hpp"
#include "okx/envelope.hpp"
#include "okx/rest.hpp"
#include "okx/trade.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace okxkit::okx {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/okx/" + name);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Decimal dec(std::string_view s) {
    return *Decimal::parse(s);
}

// A client that would fail to connect: only used where nothing may be sent.
RestOptions nowhere() {
    RestOptions o;
    o.base_url = "http://127.0.0.1:1";
    o.max_retries = 0;
    o.credentials = Credentials{"k", "s", "p"};
    return o;
}

TEST(OkxTradeAlgo, AmendBodyNamesTheOrderAndOnlyWhatChanges) {
    EXPECT_EQ(amend_body({"BTC-USDT", "k1a", dec("31400.5"), dec("0.02"), "r7"}),
              R"({"instId":"BTC-USDT","clOrdId":"k1a","reqId":"r7","newSz":"0.02",)"
              R"("newPx":"31400.5"})");
    EXPECT_EQ(amend_body({"ETH-USDT", "k1b", std::nullopt, dec("1"), ""}),
              R"({"instId":"ETH-USDT","clOrdId":"k1b","newSz":"1"})");
    RestClient rest(nowhere());
    EXPECT_THROW(amend_order(rest, {"BTC-USDT", "k1a", std::nullopt, std::nullopt, ""}),
                 core::UsageError);
    EXPECT_THROW(amend_order(rest, {"BTC-USDT", "bad-id", dec("1"), std::nullopt, ""}),
                 core::UsageError);
    EXPECT_THROW(amend_order(rest, {"BTC-USDT", "k1a", dec("1"), std::nullopt, "r-1"}),
                 core::UsageError);
    EXPECT_EQ(rest.requests(), 0U);
}

TEST(OkxTradeAlgo, AlgoBodiesCarryTheLegsWithMarketAsMinusOne) {
    AlgoOrder oco{"BTC-USDT",   core::Side::kSell, "oco",        dec("0.004"), "kab1t1",
                  dec("32000"), std::nullopt,      dec("30500"), std::nullopt};
    EXPECT_EQ(algo_body(oco),
              R"({"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"oco",)"
              R"("sz":"0.004","algoClOrdId":"kab1t1","tpTriggerPx":"32000","tpOrdPx":"-1",)"
              R"("slTriggerPx":"30500","slOrdPx":"-1"})");
    AlgoOrder stop{"ETH-USDT",   core::Side::kSell, "conditional", dec("1.5"), "kab1s",
                   std::nullopt, std::nullopt,      dec("1800.1"), dec("1799")};
    EXPECT_EQ(algo_body(stop),
              R"({"instId":"ETH-USDT","tdMode":"cash","side":"sell","ordType":"conditional",)"
              R"("sz":"1.5","algoClOrdId":"kab1s","slTriggerPx":"1800.1","slOrdPx":"1799"})");
    // What OKX refuses outright is never sent: an oco without both legs, a conditional
    // without any, another ordType, a bad id.
    RestClient rest(nowhere());
    AlgoOrder half = oco;
    half.sl_trigger_px.reset();
    EXPECT_THROW(place_algo(rest, half), core::UsageError);
    AlgoOrder none = stop;
    none.sl_trigger_px.reset();
    EXPECT_THROW(place_algo(rest, none), core::UsageError);
    AlgoOrder trailing = oco;
    trailing.ord_type = "move_order_stop";
    EXPECT_THROW(place_algo(rest, trailing), core::UsageError);
    AlgoOrder bad = oco;
    bad.algo_cl_ord_id = "has_underscore";
    EXPECT_THROW(place_algo(rest, bad), core::UsageError);
    EXPECT_EQ(rest.requests(), 0U);
}

TEST(OkxTradeAlgo, BatchesHoldOneToTwentyAndValidIds) {
    RestClient rest(nowhere());
    EXPECT_THROW(place_orders(rest, {}), core::UsageError);
    std::vector<PlaceOrder> many(21, PlaceOrder{"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit,
                                                dec("1"), dec("1"), "k1"});
    EXPECT_THROW(place_orders(rest, many), core::UsageError);
    many.resize(2);
    many[1].cl_ord_id = "no-hyphens";
    EXPECT_THROW(place_orders(rest, many), core::UsageError);
    EXPECT_THROW(cancel_orders(rest, {}), core::UsageError);
    EXPECT_THROW(cancel_algos(rest, std::vector<CancelItem>(11, {"BTC-USDT", "k1"})),
                 core::UsageError);
    EXPECT_EQ(rest.requests(), 0U);
}

TEST(OkxTradeAlgo, ABatchAnswerKeepsEachItemsOutcome) {
    // All succeeded (the docs' sample): both items, no error.
    const nlohmann::json ok = parse_envelope(fixture("rest_batch_orders_success_docs.json"), 200,
                                             "POST /api/v5/trade/batch-orders", true);
    ASSERT_EQ(ok.size(), 2U);
    EXPECT_EQ(ok[1]["clOrdId"], "oktswap7");
    // Some failed ("2"): without keep_items the first failure is thrown, with it the items
    // come back, each with its own sCode.
    const std::string partial =
        R"({"code":"2","msg":"","data":[)"
        R"({"clOrdId":"a1","ordId":"11","ts":"1","sCode":"0","sMsg":""},)"
        R"({"clOrdId":"a2","ordId":"","ts":"1","sCode":"51008","sMsg":"Insufficient balance"}]})";
    try {
        (void)parse_envelope(partial, 200, "POST /api/v5/trade/batch-orders");
        ADD_FAILURE() << "a partial batch without keep_items must throw";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51008");
    }
    const nlohmann::json items =
        parse_envelope(partial, 200, "POST /api/v5/trade/batch-orders", true);
    ASSERT_EQ(items.size(), 2U);
    EXPECT_FALSE(item_error(items[0], "x").has_value());
    ASSERT_TRUE(item_error(items[1], "x").has_value());
    EXPECT_EQ(item_error(items[1], "x")->okx_code(), "51008");
    // A failure of the whole request ("1" with no items, or another code) still throws.
    EXPECT_THROW((void)parse_envelope(R"({"code":"50011","msg":"Too Many Requests"})", 429,
                                      "POST /api/v5/trade/batch-orders", true),
                 OkxError);
    EXPECT_THROW((void)parse_envelope(R"({"code":"1","msg":"Operation failed.","data":[]})", 200,
                                      "POST /api/v5/trade/batch-orders", true),
                 OkxError);
}

TEST(OkxTradeAlgo, AlgoAnswersAreReadAndARefusalUnderCodeZeroIsAnError) {
    const nlohmann::json ok = parse_envelope(fixture("rest_algo_order_success_docs.json"), 200,
                                             "POST /api/v5/trade/order-algo");
    ASSERT_EQ(ok.size(), 1U);
    EXPECT_FALSE(item_error(ok[0], "x").has_value());
    EXPECT_EQ(ok[0]["algoId"], "1836487817828872192");
    // OKX answers this refusal with top code "0": only the item's sCode tells.
    const nlohmann::json refused = parse_envelope(fixture("rest_algo_order_rejected.json"), 200,
                                                  "POST /api/v5/trade/order-algo");
    const auto e = item_error(refused[0], "POST /api/v5/trade/order-algo");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->okx_code(), "51000");
    EXPECT_EQ(e->okx_msg(), "Parameter instId error");
    const nlohmann::json amended = parse_envelope(fixture("rest_amend_order_success_docs.json"),
                                                  200, "POST /api/v5/trade/amend-order");
    EXPECT_FALSE(item_error(amended[0], "x").has_value());
    EXPECT_EQ(amended[0]["reqId"], "b12344");
}

TEST(OkxTradeAlgo, AnAlgoRecordIsReadWithItsTriggeredChild) {
    const auto item = nlohmann::json::parse(
        R"({"instType":"SPOT","instId":"BTC-USDT","algoId":"681096944655273984",)"
        R"("algoClOrdId":"kab1t1","ordType":"oco","side":"sell","sz":"0.004","tdMode":"cash",)"
        R"("state":"effective","tpTriggerPx":"32000","tpTriggerPxType":"last","tpOrdPx":"-1",)"
        R"("slTriggerPx":"30500","slTriggerPxType":"last","slOrdPx":"-1","actualSz":"0.004",)"
        R"("actualPx":"-1","actualSide":"tp","triggerTime":"1700000120000","ordId":"",)"
        R"("ordIdList":["681096944655273985"],"failCode":"","cTime":"1700000000000",)"
        R"("uTime":"1700000120000"})");
    const AlgoInfo a = algo_from_json(item);
    EXPECT_EQ(a.algo_cl_ord_id, "kab1t1");
    EXPECT_EQ(a.state, "effective");
    EXPECT_EQ(a.side, core::Side::kSell);
    EXPECT_DOUBLE_EQ(a.sz, 0.004);
    EXPECT_DOUBLE_EQ(*a.tp_trigger_px, 32000);
    EXPECT_DOUBLE_EQ(*a.sl_ord_px, -1);
    EXPECT_EQ(a.actual_side, "tp");
    EXPECT_EQ(a.ord_id, "681096944655273985"); // from ordIdList when ordId is empty
    EXPECT_EQ(a.trigger_time, 1700000120000);
    // A live one: no trigger time yet.
    auto live = item;
    live["state"] = "live";
    live["triggerTime"] = "";
    live["ordIdList"] = nlohmann::json::array();
    live["actualSide"] = "";
    const AlgoInfo l = algo_from_json(live);
    EXPECT_EQ(l.trigger_time, 0);
    EXPECT_TRUE(l.ord_id.empty());
    // A malformed record names the field.
    auto broken = item;
    broken["sz"] = "lots";
    try {
        (void)algo_from_json(broken);
        ADD_FAILURE() << "a malformed sz must throw";
    } catch (const OkxError& e) {
        EXPECT_NE(std::string(e.what()).find("sz"), std::string::npos) << e.what();
    }
}

TEST(OkxTradeAlgo, TradeFeesArePositiveWhenChargedAndPositionsAreRead) {
    const auto fee = trade_fee_from_json(nlohmann::json::parse(
        R"({"category":"1","delivery":"","exercise":"","instType":"SPOT","level":"Lv1",)"
        R"("maker":"-0.0008","taker":"-0.001","makerU":"","takerU":"","ts":"1700000000000"})"));
    EXPECT_EQ(fee.level, "Lv1");
    EXPECT_DOUBLE_EQ(fee.maker, 0.0008);
    EXPECT_DOUBLE_EQ(fee.taker, 0.001);
    const auto rebate = trade_fee_from_json(nlohmann::json::parse(
        R"({"instType":"SPOT","level":"VIP8","maker":"0.00005","taker":"-0.0004"})"));
    EXPECT_DOUBLE_EQ(rebate.maker, -0.00005); // a rebate is negative here
    const nlohmann::json data =
        parse_envelope(fixture("rest_positions.json"), 200, "GET /api/v5/account/positions");
    ASSERT_EQ(data.size(), 1U);
    const PositionInfo p = position_from_json(data[0]);
    EXPECT_EQ(p.inst_id, "BTC-USDT-SWAP");
    EXPECT_EQ(p.mgn_mode, "isolated");
    EXPECT_EQ(p.pos_side, "long");
    EXPECT_DOUBLE_EQ(p.pos, 0.5);
    EXPECT_DOUBLE_EQ(*p.avg_px, 10000);
    EXPECT_EQ(p.u_time, 1622559930237);
}

TEST(OkxTradeAlgo, TheAccountChannelsPushGivesEachCurrencysBalances) {
    // As OKX sends it: one line (the fixture is pretty-printed).
    const auto got =
        parse_account_push(nlohmann::json::parse(fixture("ws_account_push.json")).dump());
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(got->size(), 3U);
    EXPECT_EQ((*got)[0].ccy, "USDT");
    EXPECT_DOUBLE_EQ((*got)[0].cash_bal, 100.52768569797846);
    EXPECT_DOUBLE_EQ((*got)[0].avail_bal, 100.52768569797846);
    EXPECT_DOUBLE_EQ((*got)[0].frozen_bal, 0);
    EXPECT_EQ((*got)[0].u_time, 1751526647084);
    EXPECT_EQ((*got)[1].ccy, "BTC");
    EXPECT_DOUBLE_EQ((*got)[1].cash_bal, 0.0000000051);
    // Not a push of the account channel: nullopt, whatever else it is.
    EXPECT_FALSE(parse_account_push(R"({"arg":{"channel":"orders","instType":"SPOT"},"data":[]})"));
    EXPECT_FALSE(parse_account_push(R"({"event":"subscribe","arg":{"channel":"account"}})"));
    EXPECT_FALSE(parse_account_push("pong"));
    // No detail's own time: the row's.
    const auto row = parse_account_push(
        R"({"arg":{"channel":"account"},"eventType":"event_update","data":[{"uTime":"7",)"
        R"("details":[{"ccy":"USDT","cashBal":"5","availBal":"4","frozenBal":"1"}]}]})");
    ASSERT_TRUE(row);
    EXPECT_EQ((*row)[0].u_time, 7);
    EXPECT_DOUBLE_EQ((*row)[0].frozen_bal, 1);
    EXPECT_THROW((void)parse_account_push(R"({"arg":{"channel":"account"},"data":[{"details":)"
                                          R"([{"ccy":"USDT","cashBal":"lots"}]}]})"),
                 OkxError);
}

} // namespace
} // namespace okxkit::okx
