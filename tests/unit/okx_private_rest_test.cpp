// lib/okx's REST client on OKX's private endpoints, against a fake-okx started here on
// 127.0.0.1: signed requests accepted, the clock offset learned from /public/time, OKX's
// auth codes surfaced without a retry, and no request without credentials.
#include "core/error.hpp"
#include "okx/envelope.hpp"
#include "okx/rest.hpp"
#include "okx/trade.hpp"
#include "okx/ws.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <csignal>
#include <curl/curl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawn's argument

namespace okxkit::okx {
namespace {

constexpr std::int64_t kServerNow = 1607418537715; // 2020-12-08T09:08:57.715Z: far from now

Credentials vector_key() {
    return {"985d5b66-57ce-40fb-b714-afc0b9787083",
            "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO", "1234567890"};
}

// A fake-okx for one test: started with args, stopped (SIGTERM, exit 0 expected) at the end.
class FakeOkx {
public:
    // csv: a BTC-USDT 1m candle file for --data (none when empty).
    explicit FakeOkx(std::vector<std::string> args, const std::string& csv = {}) {
        dir_ = std::filesystem::temp_directory_path() /
               ("okxkit-private-" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
        std::filesystem::create_directories(dir_);
        if (!csv.empty()) {
            std::filesystem::create_directories(dir_ / "data");
            std::ofstream(dir_ / "data" / "BTC-USDT_1m.csv") << csv;
            args.push_back("--data");
            args.push_back((dir_ / "data").string());
        }
        const std::string port_file = (dir_ / "port").string();
        std::vector<std::string> all = {OKXKIT_FAKE_OKX,
                                        "--port",
                                        "0",
                                        "--port-file",
                                        port_file,
                                        "--now",
                                        std::to_string(kServerNow),
                                        "--no-rate-limit"};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& a : all) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, OKXKIT_FAKE_OKX, nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start fake-okx");
        }
        // Until it has written its port (a readiness wait; nothing here is timed).
        for (int i = 0; i < 400 && !std::filesystem::exists(port_file); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        std::ifstream in(port_file);
        int port = 0;
        in >> port;
        if (port <= 0) {
            throw std::runtime_error("fake-okx did not write its port");
        }
        url_ = "http://127.0.0.1:" + std::to_string(port);
    }
    ~FakeOkx() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    FakeOkx(const FakeOkx&) = delete;
    FakeOkx& operator=(const FakeOkx&) = delete;
    [[nodiscard]] const std::string& url() const { return url_; }

private:
    static inline int count_ = 0;
    pid_t pid_ = 0;
    std::filesystem::path dir_;
    std::string url_;
};

RestOptions options_for(const FakeOkx& fake, bool demo, std::optional<Credentials> cred) {
    RestOptions o;
    o.base_url = fake.url();
    o.demo = demo;
    o.max_retries = 0;
    o.credentials = std::move(cred);
    return o;
}

TEST(OkxPrivateRest, ASignedRequestGetsTheBalanceAtTheServersClock) {
    FakeOkx fake({"--balance", "USDT=2500.5"});
    RestClient client(options_for(fake, true, vector_key()));
    const nlohmann::json data = client.get_private("/api/v5/account/balance", {{"ccy", "USDT"}});
    ASSERT_EQ(data.size(), 1U);
    ASSERT_EQ(data[0]["details"].size(), 1U);
    EXPECT_EQ(data[0]["details"][0]["ccy"], "USDT");
    EXPECT_EQ(data[0]["details"][0]["availBal"], "2500.5");
    // The server's clock is six years behind this machine's: the client signed at its time.
    const std::int64_t local = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    EXPECT_NEAR(static_cast<double>(client.clock_offset_ms()),
                static_cast<double>(kServerNow - local), 30'000.0);
    // One /public/time, then the balance; a second private request needs no new time.
    EXPECT_EQ(client.requests(), 2U);
    client.get_private("/api/v5/account/balance", {});
    EXPECT_EQ(client.requests(), 3U);
}

TEST(OkxPrivateRest, AuthFailuresComeBackWithOkxsCodeAndAreNotRetried) {
    FakeOkx fake({});
    Credentials wrong = vector_key();
    wrong.passphrase = "not-it";
    RestClient client(options_for(fake, true, wrong));
    try {
        client.get_private("/api/v5/account/balance", {});
        FAIL() << "a wrong passphrase was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "50105");
        EXPECT_EQ(e.http_status(), 401);
        EXPECT_EQ(std::string(e.what()).find("not-it"), std::string::npos) << e.what();
    }
    // A demo key without the simulated-trading header: the wrong environment.
    RestClient live(options_for(fake, false, vector_key()));
    try {
        live.get_private("/api/v5/account/balance", {});
        FAIL() << "a demo key was accepted without x-simulated-trading";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "50101");
    }
    // A live key, and a client that does not send the header: accepted.
    FakeOkx live_fake({"--live-key"});
    RestClient live_ok(options_for(live_fake, false, vector_key()));
    EXPECT_NO_THROW(live_ok.get_private("/api/v5/account/balance", {}));
}

// 1m bars of BTC-USDT around the server's clock: bar i opens at kBar0 + i min with o = 100 + i,
// h = o + 1, l = o - 1, c = o + 0.5, volume 10. The bar forming at kServerNow is i = 10.
constexpr std::int64_t kBar0 = (kServerNow / 60000 - 10) * 60000;
std::string bars_csv() {
    std::string csv = "ts_ms,open,high,low,close,volume\n";
    for (int i = 0; i < 30; ++i) {
        const int o = 100 + i;
        csv += std::to_string(kBar0 + i * 60000LL) + "," + std::to_string(o) + ".0," +
               std::to_string(o + 1) + ".0," + std::to_string(o - 1) + ".0," + std::to_string(o) +
               ".5,10\n";
    }
    return csv;
}

// POST /fake/clock: the tests' hand on the fake's market clock.
void move_clock(const FakeOkx& fake, std::int64_t now) {
    CURL* c = curl_easy_init();
    const std::string url = fake.url() + "/fake/clock";
    const std::string body = "{\"now\": " + std::to_string(now) + "}";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
    ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    ASSERT_EQ(status, 200);
}

Decimal dec(const char* text) {
    return *Decimal::parse(text);
}

TEST(OkxTrade, OrdersArePlacedQueriedFilledAndCanceledAsOkxAnswers) {
    FakeOkx fake({}, bars_csv());
    RestClient rest(options_for(fake, true, vector_key()));
    // Bar 11 (the next) opens at 111 and trades down to 110: a buy at 110.5 rests, then fills.
    const auto before = std::chrono::steady_clock::now();
    const Placed p = place_order(rest, {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit,
                                        dec("110.5"), dec("0.5"), "k1"});
    // The moment the request went out (execute's intent-to-wire figure) is inside the call.
    EXPECT_GE(rest.last_sent_at(), before);
    EXPECT_LE(rest.last_sent_at(), std::chrono::steady_clock::now());
    EXPECT_EQ(p.cl_ord_id, "k1");
    EXPECT_EQ(p.ord_id.size(), 18U);
    EXPECT_EQ(p.ts, kServerNow);
    place_order(rest, {"BTC-USDT", core::Side::kBuy, core::OrdType::kMarket, std::nullopt,
                       dec("0.2"), "k2"});
    try {
        place_order(rest, {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("110.5"),
                           dec("0.5"), "k1"});
        FAIL() << "a duplicate clOrdId was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51016");
    }
    auto o = get_order(rest, "BTC-USDT", "k1");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->state, core::OrderState::kLive);
    EXPECT_EQ(o->ord_id, p.ord_id);
    EXPECT_FALSE(o->avg_px);
    EXPECT_EQ(pending_orders(rest, "BTC-USDT").size(), 2U);
    EXPECT_FALSE(get_order(rest, "BTC-USDT", "nope"));

    // Bar 11 closes: the clock moves two minutes past what the client signed with, so its
    // next request meets 50102 once, measures the offset again and goes through.
    const std::int64_t offset = rest.clock_offset_ms();
    move_clock(fake, kBar0 + 12 * 60000);
    o = get_order(rest, "BTC-USDT", "k1");
    EXPECT_GT(rest.clock_offset_ms(), offset + 60'000); // measured again after the 50102
    ASSERT_TRUE(o);
    EXPECT_EQ(o->state, core::OrderState::kFilled);
    EXPECT_DOUBLE_EQ(o->acc_fill_sz, 0.5);
    EXPECT_DOUBLE_EQ(*o->avg_px, 110.5);
    EXPECT_NEAR(o->fee, 0.5 * 110.5 * 0.0008, 1e-9);
    const std::vector<FillInfo> fills = recent_fills(rest, "BTC-USDT");
    ASSERT_EQ(fills.size(), 2U);
    EXPECT_EQ(fills[0].cl_ord_id, "k1");
    EXPECT_EQ(fills[0].liquidity, core::Liquidity::kMaker);
    EXPECT_EQ(fills[1].cl_ord_id, "k2");
    EXPECT_EQ(fills[1].liquidity, core::Liquidity::kTaker);
    EXPECT_DOUBLE_EQ(fills[1].sz, 0.2);
    EXPECT_GT(fills[1].px, 111.0); // the open, moved against the buyer
    EXPECT_TRUE(pending_orders(rest).empty());
    try {
        cancel_order(rest, "BTC-USDT", "k1");
        FAIL() << "a filled order was canceled";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51402");
    }
    place_order(
        rest, {"BTC-USDT", core::Side::kSell, core::OrdType::kLimit, dec("500"), dec("0.7"), "k3"});
    cancel_order(rest, "BTC-USDT", "k3");
    o = get_order(rest, "BTC-USDT", "k3");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->state, core::OrderState::kCanceled);
    // More than is held: OKX's insufficient balance.
    try {
        place_order(rest, {"BTC-USDT", core::Side::kSell, core::OrdType::kLimit, dec("500"),
                           dec("0.8"), "k4"});
        FAIL() << "a sell of more than is held was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51008");
    }
}

// ---- the private WebSocket ------------------------------------------------------------------

// A WsClient running on a thread of its own, as execute runs it, keeping every frame.
class WsRun {
public:
    WsRun() : client_(WsOptions{}) {
        client_.on_frame = [this](std::size_t, std::string_view frame, std::int64_t) {
            const std::lock_guard<std::mutex> lock(mu_);
            frames_.emplace_back(frame);
        };
    }
    ~WsRun() {
        client_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    WsRun(const WsRun&) = delete;
    WsRun& operator=(const WsRun&) = delete;

    WsClient& client() { return client_; }
    void start() {
        thread_ = std::thread([this] {
            try {
                client_.run();
            } catch (...) {
                const std::lock_guard<std::mutex> lock(mu_);
                error_ = std::current_exception();
            }
        });
    }
    // The first frame for which pred holds, waiting for it (a readiness wait of at most 10 s:
    // nothing is timed); "" when run() ended or it never came.
    template <typename Pred> std::string wait_frame(Pred pred) {
        for (int i = 0; i < 400; ++i) {
            {
                const std::lock_guard<std::mutex> lock(mu_);
                for (const std::string& f : frames_) {
                    if (pred(f)) {
                        return f;
                    }
                }
                if (error_) {
                    return "";
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return "";
    }
    bool wait_ready(std::size_t ep) {
        for (int i = 0; i < 400 && !client_.ready(ep); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return client_.ready(ep);
    }
    std::exception_ptr wait_error() {
        for (int i = 0; i < 400; ++i) {
            {
                const std::lock_guard<std::mutex> lock(mu_);
                if (error_) {
                    return error_;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return nullptr;
    }

private:
    WsClient client_;
    std::thread thread_;
    std::mutex mu_;
    std::vector<std::string> frames_;
    std::exception_ptr error_;
};

std::string private_ws_url(const FakeOkx& fake) {
    return "ws" + fake.url().substr(4) + "/ws/v5/private";
}

// The order's pushes: the rows of the orders channel for client order id cl.
std::vector<OrderUpdate> updates_of(const std::string& frame, const std::string& cl) {
    std::vector<OrderUpdate> out;
    if (auto u = parse_orders_push(frame)) {
        for (OrderUpdate& row : *u) {
            if (row.order.cl_ord_id == cl) {
                out.push_back(std::move(row));
            }
        }
    }
    return out;
}

TEST(OkxPrivateWs, LogsInSubscribesPlacesAnOrderAndHearsItsAnswerAndFill) {
    FakeOkx fake({"--ws-interval-ms", "0"}, bars_csv());
    RestClient rest(options_for(fake, true, vector_key()));
    rest.get_private("/api/v5/account/balance", {}); // learns the fake's clock
    WsRun w;
    const std::size_t ep = w.client().add_endpoint(
        private_ws_url(fake), {WsArg{"orders", "", "SPOT"}}, vector_key(), rest.clock_offset_ms());
    EXPECT_FALSE(w.client().post(ep, "{}")); // not running: nothing queued
    w.start();
    ASSERT_TRUE(w.wait_ready(ep)) << "no login and subscription";
    const auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE(w.client().post(ep,
                                order_op("k1", {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit,
                                                dec("110.5"), dec("0.5"), "k1"}),
                                7));
    const std::string answer = w.wait_frame([](const std::string& f) {
        auto a = parse_op_answer(f);
        return a && a->id == "k1";
    });
    ASSERT_FALSE(answer.empty());
    const OpAnswer a = *parse_op_answer(answer);
    EXPECT_TRUE(a.ok()) << answer;
    EXPECT_EQ(a.ord_id.size(), 18U);
    // The order's own push, live; when its frame was written, for execute's latency figure.
    EXPECT_FALSE(w.wait_frame([](const std::string& f) {
                      auto u = updates_of(f, "k1");
                      return !u.empty() && u[0].order.state == core::OrderState::kLive;
                  }).empty());
    const auto written = w.client().take_written();
    ASSERT_EQ(written.size(), 1U);
    EXPECT_EQ(written[0].first, 7U);
    EXPECT_GE(written[0].second, before);
    // Bar 11 trades through 110.5: the fill is pushed, with the tradeId of OKX's fills.
    move_clock(fake, kBar0 + 12 * 60000);
    const std::string filled = w.wait_frame([](const std::string& f) {
        auto u = updates_of(f, "k1");
        return !u.empty() && u[0].fill;
    });
    ASSERT_FALSE(filled.empty());
    const OrderUpdate u = updates_of(filled, "k1")[0];
    EXPECT_EQ(u.order.state, core::OrderState::kFilled);
    EXPECT_EQ(u.order.ord_id, a.ord_id);
    EXPECT_DOUBLE_EQ(u.fill->px, 110.5);
    EXPECT_DOUBLE_EQ(u.fill->sz, 0.5);
    EXPECT_NEAR(u.fill->fee, 0.5 * 110.5 * 0.0008, 1e-9);
    EXPECT_EQ(u.fill->liquidity, core::Liquidity::kMaker);
    const std::vector<FillInfo> fills = recent_fills(rest, "BTC-USDT");
    ASSERT_EQ(fills.size(), 1U);
    EXPECT_EQ(u.fill->trade_id, fills[0].trade_id);
}

TEST(OkxPrivateWs, ARefusedLoginEndsRunWithOkxsCodeAndNeverShowsTheSecrets) {
    FakeOkx fake({"--ws-interval-ms", "0"});
    RestClient rest(options_for(fake, true, vector_key()));
    rest.get_private("/api/v5/account/balance", {});
    Credentials wrong = vector_key();
    wrong.passphrase = "not-it";
    WsRun w;
    const std::size_t ep = w.client().add_endpoint(
        private_ws_url(fake), {WsArg{"orders", "", "SPOT"}}, wrong, rest.clock_offset_ms());
    w.start();
    const std::exception_ptr err = w.wait_error();
    ASSERT_TRUE(err);
    try {
        std::rethrow_exception(err);
    } catch (const core::UsageError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("refused the login: 60024"), std::string::npos) << what;
        EXPECT_EQ(what.find("not-it"), std::string::npos) << what;
        EXPECT_EQ(what.find(vector_key().secret), std::string::npos) << what;
    }
    EXPECT_FALSE(w.client().ready(ep));
    // A clock that is off by a minute: 60006, and the message says what to fix.
    WsRun late;
    late.client().add_endpoint(private_ws_url(fake), {}, vector_key(),
                               rest.clock_offset_ms() - 60'000);
    late.start();
    const std::exception_ptr err2 = late.wait_error();
    ASSERT_TRUE(err2);
    try {
        std::rethrow_exception(err2);
    } catch (const core::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("60006"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("clock"), std::string::npos) << e.what();
    }
}

TEST(OkxTrade, TheDeadManSwitchCancelsWorkingOrdersUnlessRefreshed) {
    FakeOkx fake({}, bars_csv());
    RestClient rest(options_for(fake, true, vector_key()));
    place_order(rest,
                {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("50"), dec("1"), "far"});
    EXPECT_EQ(cancel_all_after(rest, 30), kServerNow + 30'000);
    // Refreshed 20 s later, it fires 30 s after that, not before.
    move_clock(fake, kServerNow + 20'000);
    EXPECT_EQ(cancel_all_after(rest, 30), kServerNow + 50'000);
    move_clock(fake, kServerNow + 45'000);
    EXPECT_EQ(get_order(rest, "BTC-USDT", "far")->state, core::OrderState::kLive);
    move_clock(fake, kServerNow + 50'000);
    const auto o = get_order(rest, "BTC-USDT", "far");
    EXPECT_EQ(o->state, core::OrderState::kCanceled);
    EXPECT_EQ(o->cancel_source, "20");
    // Disarmed, it never fires.
    place_order(rest,
                {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("50"), dec("1"), "far2"});
    cancel_all_after(rest, 10);
    EXPECT_EQ(cancel_all_after(rest, 0), 0);
    move_clock(fake, kServerNow + 200'000);
    EXPECT_EQ(get_order(rest, "BTC-USDT", "far2")->state, core::OrderState::kLive);
    EXPECT_THROW(cancel_all_after(rest, 5), core::UsageError);
    EXPECT_THROW(cancel_all_after(rest, 121), core::UsageError);
}

TEST(OkxTrade, TheBodyIsExactAndTheIdsAreWhatOkxAccepts) {
    EXPECT_EQ(place_body({"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("31496"),
                          dec("0.01"), "a1"}),
              R"({"instId":"BTC-USDT","tdMode":"cash","clOrdId":"a1","side":"buy",)"
              R"("ordType":"limit","px":"31496","sz":"0.01"})");
    EXPECT_EQ(place_body({"ETH-USDT", core::Side::kSell, core::OrdType::kMarket, std::nullopt,
                          dec("1.5"), "b2"}),
              R"({"instId":"ETH-USDT","tdMode":"cash","clOrdId":"b2","side":"sell",)"
              R"("ordType":"market","sz":"1.5","tgtCcy":"base_ccy"})");
    EXPECT_TRUE(valid_cl_ord_id("abcXYZ0123456789abcXYZ0123456789"));
    EXPECT_FALSE(valid_cl_ord_id("abcXYZ0123456789abcXYZ0123456789a")); // 33
    EXPECT_FALSE(valid_cl_ord_id("has-hyphen"));
    EXPECT_FALSE(valid_cl_ord_id(""));
    // Deterministic, distinct per run and sequence, always valid.
    EXPECT_EQ(client_order_id("live", 1), client_order_id("live", 1));
    EXPECT_NE(client_order_id("live", 1), client_order_id("live", 2));
    EXPECT_NE(client_order_id("live", 1), client_order_id("demo", 1));
    EXPECT_TRUE(valid_cl_ord_id(client_order_id("a run with spaces", UINT64_MAX)));
    EXPECT_LE(client_order_id("x", UINT64_MAX).size(), 22U);
    // Nothing is sent for an id OKX would refuse.
    RestOptions o;
    o.base_url = "http://127.0.0.1:1";
    o.credentials = vector_key();
    RestClient rest(o);
    EXPECT_THROW(place_order(rest, {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("1"),
                                    dec("1"), "bad-id"}),
                 core::UsageError);
    EXPECT_EQ(rest.requests(), 0U);
}

TEST(OkxTrade, BatchesAmendsTheEndedOrdersFeesAndPositionsAsOkxAnswers) {
    FakeOkx fake({}, bars_csv());
    RestClient rest(options_for(fake, true, vector_key()));
    // A batch: each item on its own; one OKX refuses (51008: 1000 BTC at 105 is more than
    // the 10000 USDT), the other stands.
    const std::vector<BatchResult> placed = place_orders(
        rest,
        {{"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("105"), dec("0.5"), "b1"},
         {"BTC-USDT", core::Side::kBuy, core::OrdType::kLimit, dec("105"), dec("1000"), "b2"}});
    ASSERT_EQ(placed.size(), 2U);
    EXPECT_FALSE(placed[0].error) << placed[0].error->what();
    EXPECT_EQ(placed[0].cl_ord_id, "b1");
    EXPECT_EQ(placed[0].ord_id.size(), 18U);
    ASSERT_TRUE(placed[1].error);
    EXPECT_EQ(placed[1].error->okx_code(), "51008");
    // An amend: the new price is the order's.
    amend_order(rest, {"BTC-USDT", "b1", dec("106"), std::nullopt, "r1"});
    auto o = get_order(rest, "BTC-USDT", "b1");
    ASSERT_TRUE(o);
    EXPECT_DOUBLE_EQ(*o->px, 106);
    try {
        amend_order(rest, {"BTC-USDT", "b2", dec("107"), std::nullopt, ""});
        FAIL() << "an amend of an order OKX never took was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51503");
    }
    // A batch cancel: one canceled, one unknown (51400).
    const std::vector<BatchResult> canceled =
        cancel_orders(rest, {{"BTC-USDT", "b1"}, {"BTC-USDT", "nope"}});
    ASSERT_EQ(canceled.size(), 2U);
    EXPECT_FALSE(canceled[0].error);
    ASSERT_TRUE(canceled[1].error);
    EXPECT_EQ(canceled[1].error->okx_code(), "51400");
    const std::vector<OrderInfo> ended = finished_orders(rest);
    ASSERT_EQ(ended.size(), 1U);
    EXPECT_EQ(ended[0].cl_ord_id, "b1");
    EXPECT_EQ(ended[0].state, core::OrderState::kCanceled);
    // The account's fees (as the fake charges them) and no positions on a spot account.
    const TradeFee fee = trade_fee(rest, "BTC-USDT");
    EXPECT_EQ(fee.level, "Lv1");
    EXPECT_DOUBLE_EQ(fee.maker, 0.0008);
    EXPECT_DOUBLE_EQ(fee.taker, 0.001);
    EXPECT_TRUE(positions(rest).empty());
}

TEST(OkxTrade, AnOcoAlgoOrderHoldsTheBaseTriggersAndSpawnsAnOrderThatFills) {
    FakeOkx fake({}, bars_csv());
    RestClient rest(options_for(fake, true, vector_key()));
    place_order(rest, {"BTC-USDT", core::Side::kBuy, core::OrdType::kMarket, std::nullopt,
                       dec("0.4"), "e1"});
    move_clock(fake, kBar0 + 12 * 60000); // bar 11 closed: the buy filled at its open
    ASSERT_EQ(get_order(rest, "BTC-USDT", "e1")->state, core::OrderState::kFilled);
    // Half of it protected by an oco: a take-profit at 114 (bar 13's high), a stop at 100.
    const std::string id =
        place_algo(rest, {"BTC-USDT", core::Side::kSell, "oco", dec("0.2"), "e1tp1", dec("114"),
                          dec("114"), dec("100"), std::nullopt});
    EXPECT_EQ(id.size(), 18U);
    place_algo(rest, {"BTC-USDT", core::Side::kSell, "conditional", dec("0.2"), "e1sl",
                      std::nullopt, std::nullopt, dec("90"), std::nullopt});
    // The base is held: a third one finds none free.
    try {
        place_algo(rest, {"BTC-USDT", core::Side::kSell, "conditional", dec("0.1"), "e1x",
                          std::nullopt, std::nullopt, dec("90"), std::nullopt});
        FAIL() << "an algo order beyond the base held was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "51008");
    }
    EXPECT_EQ(pending_algos(rest, "BTC-USDT").size(), 2U);
    amend_algo(rest, {"BTC-USDT", "e1tp1", std::nullopt, std::nullopt, dec("101")});
    auto a = get_algo(rest, "e1tp1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->state, "live");
    EXPECT_EQ(a->algo_id, id);
    EXPECT_DOUBLE_EQ(*a->sl_trigger_px, 101);
    EXPECT_DOUBLE_EQ(*a->tp_ord_px, 114);
    const std::vector<BatchResult> gone =
        cancel_algos(rest, {{"BTC-USDT", "e1sl"}, {"BTC-USDT", "zz"}});
    ASSERT_EQ(gone.size(), 2U);
    EXPECT_FALSE(gone[0].error);
    ASSERT_TRUE(gone[1].error);
    EXPECT_EQ(gone[1].error->okx_code(), "51400");
    EXPECT_EQ(get_algo(rest, "e1sl")->state, "canceled");
    EXPECT_FALSE(get_algo(rest, "never"));
    // Bar 13 reaches the take-profit: the algo is effective, its order (a limit sell at 114,
    // with no clOrdId, only the algo's) fills on bar 14.
    move_clock(fake, kBar0 + 15 * 60000);
    a = get_algo(rest, "e1tp1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->state, "effective");
    EXPECT_EQ(a->actual_side, "tp");
    ASSERT_FALSE(a->ord_id.empty());
    EXPECT_GT(a->trigger_time, 0);
    const auto child = get_order_by_id(rest, "BTC-USDT", a->ord_id);
    ASSERT_TRUE(child);
    EXPECT_EQ(child->cl_ord_id, "");
    EXPECT_EQ(child->algo_cl_ord_id, "e1tp1");
    EXPECT_EQ(child->state, core::OrderState::kFilled);
    EXPECT_DOUBLE_EQ(*child->avg_px, 114);
    const std::vector<FillInfo> fills = recent_fills(rest, "", a->ord_id);
    ASSERT_EQ(fills.size(), 1U);
    EXPECT_DOUBLE_EQ(fills[0].sz, 0.2);
    EXPECT_TRUE(pending_algos(rest).empty());
    const std::vector<AlgoInfo> done = algo_history(rest, "effective");
    ASSERT_EQ(done.size(), 1U);
    EXPECT_EQ(done[0].algo_cl_ord_id, "e1tp1");
}

TEST(OkxPrivateRest, NoCredentialsNoRequest) {
    FakeOkx fake({});
    RestClient client(options_for(fake, true, std::nullopt));
    EXPECT_THROW(client.get_private("/api/v5/account/balance", {}), core::UsageError);
    EXPECT_EQ(client.requests(), 0U);
}

} // namespace
} // namespace okxkit::okx
