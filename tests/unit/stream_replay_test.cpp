// Tests of lib/stream replay: merge order, validation, windows, strict mode, NDJSON, store.
#include "core/error.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "store/store.hpp"
#include "stream/replay.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;
using okxkit::stream::inst_bar_from_filename;
using okxkit::stream::replay;
using okxkit::stream::ReplayOptions;
using okxkit::stream::ReplayStats;

namespace {

class StreamReplay : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("okxkit-replay-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        okxkit::core::Log::init("okx-stream", -1, false); // keep test output clean
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& body) {
        fs::path p = dir_ / name;
        std::ofstream(p) << body;
        return p.string();
    }

    // Runs a replay and returns the output lines parsed as JSON.
    std::vector<nlohmann::json> run(ReplayOptions opts, int* code = nullptr,
                                    ReplayStats* stats = nullptr) {
        std::ostringstream os;
        int rc = 0;
        {
            okxkit::core::Output out(os);
            rc = replay(opts, out, stats);
        }
        if (code != nullptr) {
            *code = rc;
        }
        raw_ = os.str();
        std::vector<nlohmann::json> lines;
        std::istringstream is(raw_);
        for (std::string line; std::getline(is, line);) {
            lines.push_back(nlohmann::json::parse(line));
        }
        return lines;
    }

    fs::path dir_;
    std::string raw_;
};

constexpr const char* kHeader = "ts_ms,open,high,low,close,volume\n";

std::string rows(std::int64_t start, std::int64_t step, int n, double px) {
    std::string out = kHeader;
    for (int i = 0; i < n; ++i) {
        out += std::to_string(start + i * step) + "," + std::to_string(px) + "," +
               std::to_string(px + 1) + "," + std::to_string(px - 1) + "," + std::to_string(px) +
               ",1\n";
    }
    return out;
}

} // namespace

TEST_F(StreamReplay, MergesByTimeThenInstrumentThenBarThenFile) {
    ReplayOptions o;
    o.files = {write("XRP-USDT_1m.csv", rows(0, 60000, 3, 5)),
               write("BTC-USDT_5m.csv", rows(0, 300000, 1, 100)),
               write("BTC-USDT_1m.csv", rows(0, 60000, 3, 100)),
               write("ADA-USDT_1m.csv", rows(60000, 60000, 2, 2))};
    auto out = run(o);
    std::vector<std::string> got;
    for (const auto& m : out) {
        got.push_back(std::to_string(m["ts"].get<std::int64_t>()) + " " +
                      m["inst"].get<std::string>() + " " + m["bar"].get<std::string>());
    }
    std::vector<std::string> want = {
        "0 BTC-USDT 1m",      "0 BTC-USDT 5m",      "0 XRP-USDT 1m",
        "60000 ADA-USDT 1m",  "60000 BTC-USDT 1m",  "60000 XRP-USDT 1m",
        "120000 ADA-USDT 1m", "120000 BTC-USDT 1m", "120000 XRP-USDT 1m"};
    EXPECT_EQ(got, want);
}

TEST_F(StreamReplay, CandleFieldsRoundTripExactly) {
    ReplayOptions o;
    o.files = {write("ETH-USDT_1H.csv", std::string(kHeader) +
                                            "1617321600000,1968.05,1972.54,1967.54,1968.3,"
                                            "1721.20355\n")};
    auto out = run(o);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(raw_, "{\"type\":\"candle\",\"v\":1,\"ts\":1617321600000,\"inst\":\"ETH-USDT\","
                    "\"bar\":\"1H\",\"o\":1968.05,\"h\":1972.54,\"l\":1967.54,\"c\":1968.3,"
                    "\"vol\":1721.20355,\"confirm\":true}\n");
}

TEST_F(StreamReplay, DuplicateAcrossFilesIsSkippedOnce) {
    ReplayOptions o;
    o.files = {write("a.csv", rows(0, 60000, 3, 10)), write("b.csv", rows(60000, 60000, 3, 10))};
    o.inst = "BTC-USDT";
    o.bar = "1m";
    ReplayStats stats;
    auto out = run(o, nullptr, &stats);
    ASSERT_EQ(out.size(), 4u); // 0, 60000, 120000 from a; 180000 from b
    EXPECT_EQ(stats.bad, 2u);
    EXPECT_EQ(out.back()["ts"], 180000);
}

TEST_F(StreamReplay, WindowIsHalfOpen) {
    ReplayOptions o;
    o.files = {write("BTC-USDT_1m.csv", rows(0, 60000, 10, 10))};
    o.from = 120000;
    o.to = 300000;
    auto out = run(o);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out.front()["ts"], 120000);
    EXPECT_EQ(out.back()["ts"], 240000);
    o.from = 300000;
    EXPECT_THROW(run(o), okxkit::core::UsageError);
}

TEST_F(StreamReplay, StrictStopsAtFirstBadLineKeepingEarlierOutput) {
    std::string body = rows(0, 60000, 3, 10) + "180000,10,9,11,10,1\n240000,10,11,9,10,1\n";
    ReplayOptions o;
    o.files = {write("BTC-USDT_1m.csv", body)};
    int code = -1;
    ReplayStats stats;
    auto out = run(o, &code, &stats);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_EQ(stats.bad, 1u);
    o.strict = true;
    out = run(o, &code);
    EXPECT_EQ(code, 3);
    EXPECT_EQ(out.size(), 3u);
}

TEST_F(StreamReplay, NdjsonPassesThroughVerbatimAndUnconfirmedIsNotStored) {
    std::string a =
        R"({"type":"candle","v":1,"ts":60000,"inst":"BTC-USDT","bar":"1m","o":1,"h":1,"l":1,"c":1,"vol":0,"confirm":false, "note":"x"})";
    std::string b =
        R"({"type":"candle","v":1,"ts":60000,"inst":"BTC-USDT","bar":"1m","o":1,"h":2,"l":0.5,"c":1.5,"vol":3,"confirm":true})";
    std::string c = R"({"type":"whatever","v":3,"ts":70000,"payload":[1,2,3]})";
    ReplayOptions o;
    o.files = {write("tape.ndjson", a + "\n" + b + "\n" + c + "\n")};
    o.store_path = (dir_ / "s.db").string();
    ReplayStats stats;
    run(o, nullptr, &stats);
    EXPECT_EQ(raw_, a + "\n" + b + "\n" + c + "\n");
    EXPECT_EQ(stats.candles, 1u);
    okxkit::store::Store db(o.store_path);
    EXPECT_EQ(db.count_candles(), 1);
}

TEST_F(StreamReplay, StoreIsIdempotentAcrossRuns) {
    ReplayOptions o;
    o.files = {write("BTC-USDT_1m.csv", rows(0, 60000, 50, 10))};
    o.store_path = (dir_ / "s.db").string();
    run(o);
    run(o);
    okxkit::store::Store db(o.store_path);
    EXPECT_EQ(db.count_candles("BTC-USDT", "1m"), 50);
}

TEST_F(StreamReplay, CsvWithoutInstrumentIsAUsageError) {
    ReplayOptions o;
    o.files = {write("candles.csv", rows(0, 60000, 2, 10))};
    EXPECT_THROW(run(o), okxkit::core::UsageError);
}

TEST(StreamFileName, SplitsInstrumentAndBar) {
    using P = std::pair<std::string, std::string>;
    EXPECT_EQ(inst_bar_from_filename("/x/BTC-USDT_1m.csv"), P("BTC-USDT", "1m"));
    EXPECT_EQ(inst_bar_from_filename("BTCUSDT_1h.csv"), P("BTC-USDT", "1H"));
    EXPECT_EQ(inst_bar_from_filename("BTC-USDT-SWAP_5m.csv"), P("BTC-USDT-SWAP", "5m"));
    EXPECT_EQ(inst_bar_from_filename("eth_usdt_1d.ndjson"), P("ETH-USDT", "1Dutc"));
    EXPECT_EQ(inst_bar_from_filename("candles.csv"), std::nullopt);
    EXPECT_EQ(inst_bar_from_filename("BTC-USDT_7m.csv"), std::nullopt);
}
