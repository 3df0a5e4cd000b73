// The news feature group of featurize against a plainly written batch reference: for each
// candle, every value recomputed from the whole list of items seen before it whose ts is at or
// before its close.
#include "core/io.hpp"
#include "core/log.hpp"
#include "features/featurize.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace okxkit::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kBar = 300000; // 5m
constexpr std::int64_t kStart = 1617235200000;
constexpr double kHour = 3600000.0;

const std::vector<std::string> kNewsNames = {"news_sent_1",
                                             "news_sent_24",
                                             "news_sent_mean_1",
                                             "news_sent_mean_24",
                                             "news_count_1",
                                             "news_count_24",
                                             "news_age",
                                             "news_mkt_sent_1",
                                             "news_mkt_sent_24",
                                             "news_mkt_sent_mean_1",
                                             "news_mkt_sent_mean_24",
                                             "news_mkt_count_1",
                                             "news_mkt_count_24",
                                             "news_mkt_age",
                                             "news_sent_0.25",
                                             "news_count_0.5"};

struct Item {
    std::int64_t ts;
    std::vector<std::string> symbols;
    double sentiment; // NaN: none
};

std::string news_line(const Item& it) {
    nlohmann::json j = {{"type", "news"},       {"v", 1},          {"ts", it.ts},
                        {"published", it.ts},   {"headline", "h"}, {"source", "test"},
                        {"symbols", it.symbols}};
    if (!std::isnan(it.sentiment)) {
        j["sentiment"] = it.sentiment;
    }
    return j.dump();
}

std::string candle_line(std::int64_t ts, const std::string& inst, double c) {
    std::ostringstream s;
    s.precision(17);
    s << R"({"type":"candle","v":1,"ts":)" << ts << R"(,"inst":")" << inst << R"(","bar":"5m","o":)"
      << c << R"(,"h":)" << c + 2 << R"(,"l":)" << c - 2 << R"(,"c":)" << c + 1
      << R"(,"vol":3,"confirm":true})";
    return s.str();
}

// The input as events: an item, or a candle (inst, open ts).
struct Event {
    bool is_news;
    Item item;
    std::string inst;
    std::int64_t ts;
};

// The reference value of one news feature for a candle of inst closing at close, from the
// items seen before the candle (all of `seen`).
double reference(const std::string& name, const std::string& inst, std::int64_t close,
                 const std::vector<Item>& seen) {
    const bool market = name.rfind("news_mkt_", 0) == 0;
    std::string rest = name.substr(market ? 9 : 5);
    std::string family = rest;
    double hours = 0;
    if (auto us = rest.rfind('_'); us != std::string::npos && std::isdigit(rest[us + 1]) != 0) {
        family = rest.substr(0, us);
        hours = std::stod(rest.substr(us + 1));
    }
    double sum = 0;
    double weight = 0;
    int scored = 0;
    int count = 0;
    std::int64_t last = 0;
    bool any = false;
    for (const Item& it : seen) {
        if (it.ts > close) {
            continue;
        }
        bool named = false;
        for (const std::string& s : it.symbols) {
            named = named || s == inst;
        }
        if (!market && !named) {
            continue;
        }
        if (!any || it.ts > last) {
            last = it.ts;
        }
        any = true;
        if (static_cast<double>(it.ts) > static_cast<double>(close) - hours * kHour) {
            ++count;
        }
        if (!std::isnan(it.sentiment)) {
            double w = std::exp2(-static_cast<double>(close - it.ts) / (hours * kHour));
            sum += it.sentiment * w;
            weight += w;
            ++scored;
        }
    }
    if (family == "sent") {
        return sum;
    }
    if (family == "sent_mean") {
        return scored == 0 ? kNaN : sum / weight;
    }
    if (family == "count") {
        return count;
    }
    return any ? static_cast<double>(close - last) / kHour : kNaN; // age
}

struct Outcome {
    std::string out;
    std::vector<nlohmann::json> features; // the features messages, in output order
};

Outcome run(const std::string& input, const FeatureSet& set) {
    core::Log::init("featurize", -1, false);
    std::istringstream in(input);
    std::ostringstream os;
    {
        core::LineReader reader(in, "-", 1 << 20);
        core::Output out(os);
        FeaturizeOptions o;
        o.set = set;
        EXPECT_EQ(featurize(o, reader, out), 0);
    }
    Outcome r{os.str(), {}};
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);) {
        auto j = nlohmann::json::parse(l);
        if (j["type"] == "features") {
            r.features.push_back(j);
        }
    }
    return r;
}

double value(const nlohmann::json& v) {
    return v.is_null() ? kNaN : v.get<double>();
}

bool same(double got, double want) {
    if (std::isnan(got) || std::isnan(want)) {
        return std::isnan(got) && std::isnan(want);
    }
    return std::fabs(got - want) <= 1e-9 * std::max(1.0, std::fabs(want));
}

// Feeds events through featurize and checks every news value of every candle against the
// reference (features come in candle order: no candle waits in these streams).
void check(const std::vector<Event>& events, const std::vector<std::string>& names) {
    std::string input;
    std::vector<std::tuple<std::string, std::int64_t, std::vector<Item>>> candles;
    std::vector<Item> seen;
    for (const Event& e : events) {
        if (e.is_news) {
            input += news_line(e.item) + "\n";
            seen.push_back(e.item);
        } else {
            input +=
                candle_line(e.ts, e.inst, 100 + static_cast<double>(candles.size() % 7)) + "\n";
            candles.emplace_back(e.inst, e.ts, seen);
        }
    }
    Outcome r = run(input, FeatureSet::from_names(names));
    ASSERT_EQ(r.features.size(), candles.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < candles.size(); ++i) {
        const auto& [inst, ts, items] = candles[i];
        const nlohmann::json& f = r.features[i];
        ASSERT_EQ(f["inst"], inst);
        ASSERT_EQ(f["ts"], ts);
        for (std::size_t k = 0; k < names.size(); ++k) {
            double got = value(f["f"][k]);
            double want = reference(names[k], inst, ts + kBar, items);
            if (!same(got, want) && ++mismatches <= 5) {
                ADD_FAILURE() << "candle " << i << " " << inst << " ts " << ts << " " << names[k]
                              << ": got " << got << ", reference " << want;
            }
        }
    }
    EXPECT_EQ(mismatches, 0U);
}

Item random_item(std::mt19937_64& rng, std::int64_t now) {
    static const std::vector<std::vector<std::string>> kSymbols = {
        {},           {"BTC-USDT"},
        {"ETH-USDT"}, {"BTC-USDT", "ETH-USDT"},
        {"SOL-USDT"}, {"ETH-USDT", "ETH-USDT"}};
    std::uniform_int_distribution<int> pick(0, static_cast<int>(kSymbols.size()) - 1);
    // Mostly items about the present; some from the future (held back), some late.
    std::uniform_int_distribution<std::int64_t> offset(-4 * 3600000, 2 * 3600000);
    std::uniform_int_distribution<int> scored(0, 4);
    std::uniform_real_distribution<double> s(-1, 1);
    std::int64_t ts = now + offset(rng);
    // Some items exactly at a candle's close.
    if (scored(rng) == 0) {
        ts = (ts / kBar) * kBar;
    }
    double sent = scored(rng) == 0 ? kNaN : std::round(s(rng) * 10000) / 10000;
    return Item{ts, kSymbols[static_cast<std::size_t>(pick(rng))], sent};
}

TEST(FeaturesNews, MatchesTheBatchReferenceOnARandomStream) {
    std::mt19937_64 rng(17);
    std::vector<Event> events;
    std::uniform_int_distribution<int> items_per_bar(0, 3);
    // Three days of BTC-USDT and ETH-USDT 5m candles; ETH's lag behind BTC's by up to 3 hours
    // and catch up (its closes go back in time against the latest close seen).
    std::int64_t eth = kStart;
    const std::int64_t bars = 3 * 288;
    for (std::int64_t i = 0; i < bars; ++i) {
        const std::int64_t ts = kStart + i * kBar;
        for (int k = items_per_bar(rng); k > 0; --k) {
            events.push_back(Event{true, random_item(rng, ts), "", 0});
        }
        events.push_back(Event{false, {}, "BTC-USDT", ts});
        const bool lag = (i / 100) % 2 == 1;
        while (eth <= ts && (!lag || eth + 36 * kBar <= ts || i + 1 == bars)) {
            events.push_back(Event{false, {}, "ETH-USDT", eth});
            if (items_per_bar(rng) == 0) {
                events.push_back(Event{true, random_item(rng, eth), "", 0});
            }
            eth += kBar;
        }
    }
    check(events, kNewsNames);
}

TEST(FeaturesNews, AnItemCountsFromTheCandleThatClosesAtOrAfterItsTs) {
    const std::int64_t t0 = kStart;
    std::vector<Event> events;
    // Seen early, public at the close of the third candle exactly; one inside the fourth.
    events.push_back(Event{true, Item{t0 + 3 * kBar, {"BTC-USDT"}, 0.5}, "", 0});
    events.push_back(Event{true, Item{t0 + 3 * kBar + 1000, {}, -0.25}, "", 0});
    for (std::int64_t i = 0; i < 6; ++i) {
        events.push_back(Event{false, {}, "BTC-USDT", t0 + i * kBar});
    }
    check(events, kNewsNames);
    std::string input;
    for (const Event& e : events) {
        input += e.is_news ? news_line(e.item) + "\n" : candle_line(e.ts, e.inst, 100) + "\n";
    }
    Outcome r = run(input, FeatureSet::from_names(std::vector<std::string>{
                               "news_count_1", "news_mkt_count_1", "news_age"}));
    ASSERT_EQ(r.features.size(), 6U);
    EXPECT_EQ(r.features[1]["f"].dump(), "[0,0,null]");
    EXPECT_EQ(r.features[2]["f"].dump(), "[1,1,0]"); // closes at the first item's ts
    EXPECT_EQ(r.features[3]["f"].dump(), "[1,2,0.08333333333333333]");
}

TEST(FeaturesNews, AnItemSeenAfterACandleNeverCountsForIt) {
    // ETH-USDT's candle at t waits for BTC-USDT's (the cross-asset alignment); an item seen
    // between the two counts for BTC-USDT's candle but not for ETH-USDT's, which came first.
    const std::int64_t t0 = kStart;
    std::string input = candle_line(t0, "BTC-USDT", 100) + "\n" +
                        candle_line(t0 + kBar, "ETH-USDT", 100) + "\n" +
                        news_line(Item{t0 + kBar, {"BTC-USDT", "ETH-USDT"}, 0.5}) + "\n" +
                        candle_line(t0 + kBar, "BTC-USDT", 100) + "\n";
    Outcome r =
        run(input,
            FeatureSet::from_names(std::vector<std::string>{"news_count_1", "news_mkt_count_1"}));
    ASSERT_EQ(r.features.size(), 3U);
    EXPECT_EQ(r.features[1]["inst"], "BTC-USDT");
    EXPECT_EQ(r.features[1]["f"].dump(), "[1,1]");
    EXPECT_EQ(r.features[2]["inst"], "ETH-USDT");
    EXPECT_EQ(r.features[2]["f"].dump(), "[0,0]");
}

TEST(FeaturesNews, ACloseMoreThanADayBehindTheLatestIsNull) {
    const std::int64_t t0 = kStart;
    std::string input = news_line(Item{t0, {"ETH-USDT"}, 0.5}) + "\n" +
                        candle_line(t0 + 400 * kBar, "BTC-USDT", 100) + "\n" +
                        candle_line(t0, "ETH-USDT", 100) + "\n" +
                        candle_line(t0 + 200 * kBar, "ETH-USDT", 100) + "\n";
    Outcome r = run(
        input, FeatureSet::from_names(std::vector<std::string>{"news_count_24", "news_mkt_age"}));
    ASSERT_EQ(r.features.size(), 3U);
    EXPECT_EQ(r.features[1]["f"].dump(), "[null,null]");
    EXPECT_EQ(r.features[2]["f"].dump(), "[1,16.75]");
}

TEST(FeaturesNews, NewsLinesPassThroughAndTheDefaultSetIgnoresThem) {
    std::string candles;
    std::string mixed;
    for (std::int64_t i = 0; i < 60; ++i) {
        std::string c =
            candle_line(kStart + i * kBar, "BTC-USDT", 100 + static_cast<double>(i % 5));
        std::string n = news_line(Item{kStart + i * kBar + 7, {"BTC-USDT"}, 0.125});
        candles += c + "\n";
        mixed += n + "\n" + c + "\n";
    }
    FeatureSet def = FeatureSet::default_set();
    for (const std::string& n : def.names()) {
        EXPECT_NE(n.rfind("news", 0), 0U) << n;
    }
    Outcome plain = run(candles, def);
    Outcome with = run(mixed, def);
    std::string kept;
    std::istringstream lines(with.out);
    for (std::string l; std::getline(lines, l);) {
        if (l.find(R"("type":"news")") == std::string::npos) {
            kept += l + "\n";
        }
    }
    EXPECT_EQ(kept, plain.out);
    EXPECT_NE(with.out.find(news_line(Item{kStart + 7, {"BTC-USDT"}, 0.125}) + "\n"),
              std::string::npos);
}

TEST(FeaturesNews, BadNewsLinesAreRejectedOnlyWhenTheSetUsesThem) {
    std::string bad = R"({"type":"news","v":1,"ts":5,"headline":"h","source":"s","symbols":[1]})";
    std::string input = bad + "\n" + candle_line(kStart, "BTC-USDT", 100) + "\n";
    Outcome with = run(input, FeatureSet::from_names(std::vector<std::string>{"news_mkt_count_1"}));
    EXPECT_EQ(with.out.find(bad), std::string::npos);
    EXPECT_EQ(with.features.at(0)["f"].dump(), "[0]");
    Outcome without = run(input, FeatureSet::from_names(std::vector<std::string>{"sma_2"}));
    EXPECT_NE(without.out.find(bad), std::string::npos);
}

TEST(FeaturesNews, TheNewsGroupOfASetFile) {
    auto path = std::filesystem::temp_directory_path() / "okxkit_news_set_test.toml";
    {
        std::ofstream f(path);
        f << "default = false\ngroups = [\"news\"]\n";
    }
    FeatureSet s = FeatureSet::from_toml_file(path.string());
    EXPECT_EQ(s.names(), (std::vector<std::string>{
                             "news_sent_1", "news_sent_24", "news_sent_mean_1", "news_sent_mean_24",
                             "news_count_1", "news_count_24", "news_age", "news_mkt_sent_1",
                             "news_mkt_sent_24", "news_mkt_sent_mean_1", "news_mkt_sent_mean_24",
                             "news_mkt_count_1", "news_mkt_count_24", "news_mkt_age"}));
    for (const FeatureInfo& fi : s.describe()) {
        EXPECT_EQ(fi.group, "news");
        EXPECT_EQ(fi.warmup, 1U);
    }
    {
        std::ofstream f(path);
        f << "groups = [\"news\"]\n";
    }
    FeatureSet both = FeatureSet::from_toml_file(path.string());
    EXPECT_EQ(both.size(), FeatureSet::default_set().size() + 14);
    {
        std::ofstream f(path);
        f << "groups = [\"newz\"]\n";
    }
    try {
        FeatureSet::from_toml_file(path.string());
        ADD_FAILURE() << "an unknown group was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(":1: unknown group \"newz\""), std::string::npos)
            << e.what();
    }
    std::filesystem::remove(path);
}

} // namespace
} // namespace okxkit::features
