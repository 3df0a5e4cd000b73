// featurize() on string streams: pass-through, schema and features messages, bad input, gaps.
#include "core/io.hpp"
#include "core/log.hpp"
#include "features/featurize.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace okxkit::features {
namespace {

std::string candle(std::int64_t ts, const std::string& inst, double c,
                   const std::string& bar = "5m") {
    std::ostringstream s;
    s << R"({"type":"candle","v":1,"ts":)" << ts << R"(,"inst":")" << inst << R"(","bar":")" << bar
      << R"(","o":)" << c << R"(,"h":)" << c + 2 << R"(,"l":)" << c - 2 << R"(,"c":)" << c + 1
      << R"(,"vol":3,"confirm":true})";
    return s.str();
}

struct Result {
    int code;
    std::string out;
    FeaturizeStats stats;
    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        std::istringstream in(out);
        for (std::string l; std::getline(in, l);) {
            v.push_back(l);
        }
        return v;
    }
};

Result run(const std::string& input, FeaturizeOptions opts = {}) {
    core::Log::init("featurize", -1, false);
    std::istringstream in(input);
    std::ostringstream os;
    Result r{};
    {
        core::LineReader reader(in, "-", 1 << 20);
        core::Output out(os);
        r.code = featurize(opts, reader, out, &r.stats);
    }
    r.out = os.str();
    return r;
}

FeaturizeOptions small_set() {
    FeaturizeOptions o;
    o.set = FeatureSet::from_names(std::vector<std::string>{"sma_3", "rsi_2", "obv"});
    return o;
}

TEST(Featurize, PassesEveryLineThroughAndAddsSchemaAndFeatures) {
    std::string other =
        R"({"type":"ticker","v":1,"ts":5,"inst":"BTC-USDT","last":1,"bid":1,"bid_sz":1,"ask":1,"ask_sz":2,"x":[1,{"y":2}]})";
    std::string input =
        other + "\n" + candle(300000, "BTC-USDT", 100) + "\n" + candle(600000, "BTC-USDT", 101) +
        "\n" + R"({"type":"mystery","v":7,"ts":9})" + "\n" + candle(900000, "BTC-USDT", 102) + "\n";
    Result r = run(input, small_set());
    EXPECT_EQ(r.code, 0);
    auto l = r.lines();
    ASSERT_EQ(l.size(), 9U);
    EXPECT_EQ(l[0], other);
    EXPECT_EQ(l[1], candle(300000, "BTC-USDT", 100));
    auto schema = nlohmann::json::parse(l[2]);
    EXPECT_EQ(schema["type"], "feature_schema");
    EXPECT_EQ(schema["names"], nlohmann::json::parse(R"(["sma_3","rsi_2","obv"])"));
    EXPECT_EQ(schema["bar"], "5m");
    EXPECT_EQ(schema["schema"], small_set().set.hash());
    EXPECT_FALSE(schema.contains("inst"));
    EXPECT_EQ(l[3],
              R"({"type":"features","v":1,"ts":300000,"inst":"BTC-USDT","bar":"5m","schema":")" +
                  small_set().set.hash() + R"(","f":[null,null,3]})");
    EXPECT_EQ(l[6], R"({"type":"mystery","v":7,"ts":9})");
    auto last = nlohmann::json::parse(l[8]);
    EXPECT_EQ(last["f"][0].get<double>(), (101.0 + 102 + 103) / 3);
    EXPECT_EQ(last["f"][2].get<double>(), 9);
    EXPECT_EQ(r.stats.candles, 3U);
    EXPECT_EQ(r.stats.features, 3U);
}

TEST(Featurize, OutputIsByteIdenticalAcrossRuns) {
    std::string input;
    for (int i = 0; i < 300; ++i) {
        input += candle(300000LL * (i + 1), "ADA-USDT", 10 + (i % 7) * 0.01) + "\n";
        input += candle(300000LL * (i + 1), "BTC-USDT", 50000 + (i % 13) * 7) + "\n";
    }
    Result a = run(input);
    Result b = run(input);
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(a.stats.features, 600U);
}

TEST(Featurize, ObjectFormatKeysTheValuesByName) {
    FeaturizeOptions o = small_set();
    o.object_format = true;
    Result r = run(candle(300000, "ETH-USDT", 10) + "\n", o);
    auto l = r.lines();
    ASSERT_EQ(l.size(), 3U);
    auto f = nlohmann::json::parse(l[2]);
    EXPECT_TRUE(f["f"]["sma_3"].is_null());
    EXPECT_EQ(f["f"]["obv"], 3);
}

TEST(Featurize, AnyJsonSpellingOfACandleGivesTheSameFeatures) {
    std::string spaced =
        R"({ "confirm": true, "type": "candle", "vol": 3.0, "c": 11, "l": 8, "h": 12, "o": 10, "bar": "5m", "inst": "ETH-USDT", "ts": 300000, "v": 1 })";
    Result a = run(spaced + "\n", small_set());
    Result b = run(candle(300000, "ETH-USDT", 10) + "\n", small_set());
    ASSERT_EQ(a.lines().size(), 3U);
    EXPECT_EQ(a.lines()[0], spaced);
    EXPECT_EQ(a.lines()[2], b.lines()[2]);
}

TEST(Featurize, BadLinesAreReportedAndSkippedOrStopUnderStrict) {
    std::string input =
        "not json\n" + candle(300000, "BTC-USDT", 10) + "\n" +
        R"({"type":"candle","v":1,"ts":600000,"inst":"BTC-USDT","bar":"5m","o":1,"h":0.5,"l":1,"c":1,"vol":1,"confirm":true})" +
        "\n" + candle(300000, "BTC-USDT", 10) + "\n" +
        R"({"type":"candle","v":1,"inst":"BTC-USDT"})" + "\n" + candle(600000, "BTC-USDT", 11) +
        "\n";
    Result r = run(input, small_set());
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.stats.bad, 4U);
    EXPECT_EQ(r.stats.candles, 2U);
    auto l = r.lines();
    ASSERT_EQ(l.size(), 5U); // two candles, a schema, two features
    EXPECT_EQ(l[0], candle(300000, "BTC-USDT", 10));
    EXPECT_EQ(l[3], candle(600000, "BTC-USDT", 11));

    FeaturizeOptions strict = small_set();
    strict.strict = true;
    Result s =
        run(candle(300000, "BTC-USDT", 10) + "\nnot json\n" + candle(600000, "BTC-USDT", 11) + "\n",
            strict);
    EXPECT_EQ(s.code, 3);
    EXPECT_EQ(s.lines().size(), 3U); // everything before the bad line
}

TEST(Featurize, FormingCandlesPassThroughWithoutFeatures) {
    std::string forming =
        R"({"type":"candle","v":1,"ts":300000,"inst":"BTC-USDT","bar":"5m","o":1,"h":1,"l":1,"c":1,"vol":1,"confirm":false})";
    Result r = run(forming + "\n", small_set());
    EXPECT_EQ(r.out, forming + "\n");
    EXPECT_EQ(r.stats.candles, 0U);
}

TEST(Featurize, AGapMessageOrAMissingBarStartsTheWarmUpAgain) {
    std::string gap =
        R"({"type":"gap","v":1,"ts":900000,"inst":"BTC-USDT","bar":"5m","from":600000,"to":900000,"cause":"reconnect"})";
    std::string input = candle(300000, "BTC-USDT", 10) + "\n" + candle(600000, "BTC-USDT", 11) +
                        "\n" + candle(900000, "BTC-USDT", 12) + "\n" + gap + "\n" +
                        candle(1200000, "BTC-USDT", 13) + "\n" + candle(1800000, "BTC-USDT", 14) +
                        "\n";
    Result r = run(input, small_set());
    std::vector<nlohmann::json> f;
    for (const auto& line : r.lines()) {
        auto j = nlohmann::json::parse(line);
        if (j["type"] == "features") {
            f.push_back(j["f"]);
        }
    }
    ASSERT_EQ(f.size(), 5U);
    EXPECT_TRUE(f[2][0].is_number()); // sma_3 warm after three candles
    EXPECT_TRUE(f[3][0].is_null());   // after the gap message: warming up again
    EXPECT_EQ(f[3][2], 3);            // obv restarted
    EXPECT_TRUE(f[4][0].is_null());   // a missing bar (1500000) resets too
    EXPECT_EQ(f[4][2], 3);

    // missing: the gap message alone resets nothing; the missing bar at 1500000 still does.
    FeaturizeOptions missing = small_set();
    missing.gap_policy = GapPolicy::kMissing;
    std::vector<nlohmann::json> m;
    for (const auto& line : run(input, missing).lines()) {
        auto j = nlohmann::json::parse(line);
        if (j["type"] == "features") {
            m.push_back(j["f"]);
        }
    }
    ASSERT_EQ(m.size(), 5U);
    EXPECT_TRUE(m[3][0].is_number());
    EXPECT_EQ(m[3][2], 12);
    EXPECT_TRUE(m[4][0].is_null());

    FeaturizeOptions ignore = small_set();
    ignore.gap_policy = GapPolicy::kIgnore;
    Result i = run(input, ignore);
    auto last = nlohmann::json::parse(i.lines().back());
    EXPECT_TRUE(last["f"][0].is_number());
}

TEST(Featurize, ListPrintsOneLinePerFeature) {
    std::ostringstream os;
    {
        core::Output out(os);
        write_list(FeatureSet::default_set(), out);
    }
    std::istringstream in(os.str());
    std::size_t n = 0;
    for (std::string l; std::getline(in, l); ++n) {
        EXPECT_EQ(std::count(l.begin(), l.end(), '\t'), 3) << l;
    }
    EXPECT_EQ(n, FeatureSet::default_set().size());
}

} // namespace
} // namespace okxkit::features
