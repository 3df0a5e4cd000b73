// The engine's contracts: no lookahead, gap resets, cross-asset alignment with BTC-USDT, no
// drift over a million candles, and feature-set names.
#include "features/engine.hpp"
#include "features_reference.hpp"

#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <random>

namespace okxkit::features {
namespace {

using ref::Data;
using ref::kNaN;
using ref::Vec;

constexpr std::int64_t kFiveMin = 300000;

Data sample(const std::string& inst) {
    return ref::load_csv(std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/samples/" + inst +
                         "_5m.csv");
}

struct Row {
    std::string inst;
    Ohlcv bar;
};

// Candles of several instruments merged as okx-stream merges them: by time, then instrument.
std::vector<Row> merged(const std::vector<std::pair<std::string, Data>>& series) {
    std::vector<Row> rows;
    for (const auto& [inst, d] : series) {
        for (std::size_t i = 0; i < d.size(); ++i) {
            rows.push_back({inst, Ohlcv{d.ts[i], d.o[i], d.h[i], d.l[i], d.c[i], d.v[i]}});
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return a.bar.ts != b.bar.ts ? a.bar.ts < b.bar.ts : a.inst < b.inst;
    });
    return rows;
}

using Results = std::map<std::pair<std::string, std::int64_t>, Vec>;

// Runs rows through an engine and collects every emitted result, in order of emission.
Results run(const FeatureSet& set, const std::vector<Row>& rows, std::size_t count,
            GapPolicy policy = GapPolicy::kReset,
            std::vector<std::pair<std::string, std::int64_t>>* order = nullptr) {
    Engine e(set, policy);
    Results out;
    auto sink = [&](const Emitted& em) {
        out[{std::string(em.inst), em.ts}] = Vec(em.values.begin(), em.values.end());
        if (order != nullptr) {
            order->emplace_back(std::string(em.inst), em.ts);
        }
    };
    for (std::size_t i = 0; i < count && i < rows.size(); ++i) {
        e.candle(rows[i].inst, "5m", kFiveMin, rows[i].bar, sink);
    }
    e.finish(sink);
    return out;
}

// Bitwise equality, NaN equal to NaN.
bool same(const Vec& a, const Vec& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::vector<Row> three_instruments(std::size_t n) {
    return merged({{"ADA-USDT", sample("ADA-USDT").slice(0, n)},
                   {"BTC-USDT", sample("BTC-USDT").slice(0, n)},
                   {"ETH-USDT", sample("ETH-USDT").slice(0, n)}});
}

// Features at t from the prefix up to t equal those from the full series, for every t.
TEST(FeaturesLookahead, EveryPrefixGivesTheSameFeaturesAsTheFullSeries) {
    FeatureSet set = FeatureSet::default_set();
    std::vector<Row> rows = three_instruments(260);
    Results full = run(set, rows, rows.size());
    ASSERT_EQ(full.size(), rows.size());
    std::size_t checked = 0;
    for (std::size_t end = 1; end <= rows.size(); ++end) {
        // The prefix: every candle with a time up to that of rows[end - 1].
        if (end < rows.size() && rows[end].bar.ts == rows[end - 1].bar.ts) {
            continue;
        }
        Results prefix = run(set, rows, end);
        std::int64_t t = rows[end - 1].bar.ts;
        for (const auto& [key, values] : prefix) {
            if (key.second != t) {
                continue;
            }
            ASSERT_TRUE(same(values, full.at(key)))
                << key.first << " at " << key.second << " differs between prefix and full run";
            ++checked;
        }
    }
    EXPECT_EQ(checked, rows.size());
}

// Changing every candle after t leaves every feature up to t unchanged.
TEST(FeaturesLookahead, TheFutureCanChangeWithoutChangingThePast) {
    FeatureSet set = FeatureSet::default_set();
    std::vector<Row> rows = three_instruments(400);
    Results base = run(set, rows, rows.size());
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.5, 1.5);
    for (std::size_t cut : {30U, 200U, 611U, 1100U}) {
        std::vector<Row> changed = rows;
        std::int64_t t = rows[cut].bar.ts;
        for (Row& r : changed) {
            if (r.bar.ts > t) {
                double k = u(rng);
                r.bar.o *= k;
                r.bar.c *= k * 1.01;
                r.bar.h = std::max(r.bar.o, r.bar.c) * 1.002;
                r.bar.l = std::min(r.bar.o, r.bar.c) * 0.998;
                r.bar.v *= u(rng);
            }
        }
        Results other = run(set, changed, changed.size());
        for (const auto& [key, values] : base) {
            if (key.second <= t) {
                EXPECT_TRUE(same(values, other.at(key))) << key.first << " at " << key.second;
            }
        }
    }
}

std::size_t index_of(const FeatureSet& set, const std::string& name) {
    auto it = std::find(set.names().begin(), set.names().end(), name);
    EXPECT_NE(it, set.names().end()) << name;
    return static_cast<std::size_t>(it - set.names().begin());
}

// After a missing bar the series warms up again: its features equal a fresh start's.
TEST(FeaturesGaps, AMissingBarResetsTheInstrument) {
    FeatureSet set = FeatureSet::default_set();
    Data d = sample("ETH-USDT").slice(0, 500);
    std::vector<Row> rows;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i >= 200 && i < 203) {
            continue; // three bars missing
        }
        rows.push_back({"ETH-USDT", Ohlcv{d.ts[i], d.o[i], d.h[i], d.l[i], d.c[i], d.v[i]}});
    }
    Results got = run(set, rows, rows.size());
    std::vector<Row> after(rows.begin() + 200, rows.end());
    Results fresh = run(set, after, after.size());
    for (const auto& [key, values] : fresh) {
        EXPECT_TRUE(same(values, got.at(key))) << key.second;
    }
    // The first candle after the hole: sma_20 is null again, obv restarted at its volume.
    std::int64_t t = d.ts[203];
    EXPECT_TRUE(std::isnan(got.at({"ETH-USDT", t})[index_of(set, "sma_20")]));
    EXPECT_EQ(got.at({"ETH-USDT", t})[index_of(set, "obv")], d.v[203]);

    // --gap-policy ignore computes across the hole as if the bars were adjacent.
    Results ignored = run(set, rows, rows.size(), GapPolicy::kIgnore);
    Series s(set);
    Vec last;
    for (const Row& r : rows) {
        auto v = s.push(r.bar);
        last.assign(v.begin(), v.end());
    }
    EXPECT_TRUE(same(last, ignored.at({"ETH-USDT", rows.back().bar.ts})));
}

TEST(FeaturesGaps, AGapMessageResetsTheInstrumentAndOnlyIt) {
    FeatureSet set = FeatureSet::default_set();
    std::vector<Row> rows = merged({{"ETH-USDT", sample("ETH-USDT").slice(0, 300)},
                                    {"XRP-USDT", sample("XRP-USDT").slice(0, 300)}});
    Engine e(set, GapPolicy::kReset);
    Results got;
    auto sink = [&](const Emitted& em) {
        got[{std::string(em.inst), em.ts}] = Vec(em.values.begin(), em.values.end());
    };
    std::int64_t gap_after = rows[299].bar.ts;
    for (const Row& r : rows) {
        e.candle(r.inst, "5m", kFiveMin, r.bar, sink);
        if (r.bar.ts == gap_after && r.inst == "XRP-USDT") {
            e.gap("ETH-USDT", "5m", sink);
        }
    }
    e.finish(sink);
    Results whole = run(set, rows, rows.size());
    std::vector<Row> eth_after;
    for (const Row& r : rows) {
        if (r.inst == "ETH-USDT" && r.bar.ts > gap_after) {
            eth_after.push_back(r);
        }
    }
    Results fresh = run(set, eth_after, eth_after.size());
    for (const auto& [key, values] : got) {
        if (key.first == "XRP-USDT" || key.second <= gap_after) {
            EXPECT_TRUE(same(values, whole.at(key))) << key.first << " " << key.second;
        } else {
            EXPECT_TRUE(same(values, fresh.at(key))) << key.first << " " << key.second;
        }
    }
    EXPECT_EQ(e.resets(), 1U);
}

// Cross-asset features: aligned on BTC-USDT's candle of the same time, never a later one.
TEST(FeaturesCross, AlignedOnBtcOfTheSameTimeEvenWhenItComesLater) {
    FeatureSet set = FeatureSet::default_set();
    const std::size_t n = 400;
    Data ada = sample("ADA-USDT").slice(0, n);
    Data btc = sample("BTC-USDT").slice(0, n);
    std::vector<Row> rows = merged({{"ADA-USDT", ada}, {"BTC-USDT", btc}});
    ASSERT_EQ(rows[0].inst, "ADA-USDT"); // ADA comes before BTC at every time
    std::vector<std::pair<std::string, std::int64_t>> order;
    Results got = run(set, rows, rows.size(), GapPolicy::kReset, &order);
    // From the second time on, ADA's features wait for BTC's candle: BTC's come out first.
    for (std::size_t i = 2; i + 1 < order.size(); i += 2) {
        EXPECT_EQ(order[i].first, "BTC-USDT");
        EXPECT_EQ(order[i + 1].first, "ADA-USDT");
        EXPECT_EQ(order[i].second, order[i + 1].second);
    }
    Vec ra = ref::log_returns(ada);
    Vec rb = ref::log_returns(btc);
    const std::size_t kr = index_of(set, "btc_ret_1");
    const std::size_t kv = index_of(set, "btc_rvol_20");
    const std::size_t kc = index_of(set, "corr_btc_20");
    const std::size_t kb = index_of(set, "beta_btc_50");
    for (std::size_t i = 1; i < n; ++i) {
        const Vec& a = got.at({"ADA-USDT", ada.ts[i]});
        const Vec& b = got.at({"BTC-USDT", btc.ts[i]});
        // At the first time BTC-USDT had not been seen when ADA's candle came: null.
        if (i >= 1) {
            EXPECT_NEAR(a[kr], rb[i], 1e-15) << i;
        }
        if (i >= 20) {
            EXPECT_NEAR(a[kv], ref::pstd_of(rb, i, 20), 1e-9 * ref::pstd_of(rb, i, 20)) << i;
            double c = ref::pearson(ra, rb, i, 20, false)[0];
            EXPECT_NEAR(a[kc], c, 1e-9) << i;
        } else {
            EXPECT_TRUE(std::isnan(a[kc])) << i;
        }
        if (i >= 50) {
            double beta = ref::pearson(ra, rb, i, 50, true)[0];
            EXPECT_NEAR(a[kb], beta, 1e-9 * std::fabs(beta) + 1e-12) << i;
        }
        for (std::size_t k : {kr, kv, kc, kb}) {
            EXPECT_TRUE(std::isnan(b[k])) << "BTC-USDT has no cross-asset features";
        }
    }
    EXPECT_TRUE(std::isnan(got.at({"ADA-USDT", ada.ts[0]})[kr]));
}

TEST(FeaturesCross, AMissingBtcCandleGivesNullsAndIsNotWaitedForPastTheNextTime) {
    FeatureSet set = FeatureSet::from_names(std::vector<std::string>{"btc_ret_1", "sma_5"});
    Data eth = sample("ETH-USDT").slice(0, 30);
    Data btc = sample("BTC-USDT").slice(0, 30);
    std::vector<Row> rows = merged({{"BTC-USDT", btc}, {"ETH-USDT", eth}});
    // Drop BTC's candle at the 10th time.
    std::int64_t hole = btc.ts[10];
    std::erase_if(rows, [&](const Row& r) { return r.inst == "BTC-USDT" && r.bar.ts == hole; });
    Engine e(set, GapPolicy::kReset);
    std::vector<std::pair<std::string, std::int64_t>> order;
    Results got;
    auto sink = [&](const Emitted& em) {
        order.emplace_back(std::string(em.inst), em.ts);
        got[{std::string(em.inst), em.ts}] = Vec(em.values.begin(), em.values.end());
    };
    for (const Row& r : rows) {
        e.candle(r.inst, "5m", kFiveMin, r.bar, sink);
        // ETH's candle of the hole is released by the next candle of a later time.
        if (r.bar.ts > hole) {
            EXPECT_TRUE(got.count({"ETH-USDT", hole}));
        }
    }
    e.finish(sink);
    EXPECT_TRUE(std::isnan(got.at({"ETH-USDT", hole})[0]));
    // After the hole BTC-USDT warms up again: its return needs two adjacent candles.
    EXPECT_TRUE(std::isnan(got.at({"ETH-USDT", btc.ts[11]})[0]));
    EXPECT_NEAR(got.at({"ETH-USDT", btc.ts[12]})[0], std::log(btc.c[12] / btc.c[11]), 1e-15);
    EXPECT_NEAR(got.at({"ETH-USDT", btc.ts[9]})[0], std::log(btc.c[9] / btc.c[8]), 1e-15);
}

TEST(FeaturesCross, WithoutBtcNothingWaits) {
    FeatureSet set = FeatureSet::default_set();
    Engine e(set, GapPolicy::kReset);
    Data eth = sample("ETH-USDT").slice(0, 50);
    int emitted = 0;
    for (std::size_t i = 0; i < eth.size(); ++i) {
        int before = emitted;
        e.candle("ETH-USDT", "5m", kFiveMin,
                 Ohlcv{eth.ts[i], eth.o[i], eth.h[i], eth.l[i], eth.c[i], eth.v[i]},
                 [&](const Emitted&) { ++emitted; });
        EXPECT_EQ(emitted, before + 1);
    }
}

// A candle that is not after the previous one of its series is refused.
// The kernel orders its nodes by what they read and lays their values out by the order of the
// names; neither may change a value. The default set reversed and shuffled, and every name on
// its own for a sample of names, give bitwise the same values per name, through a gap too.
TEST(FeaturesEngine, NeitherTheOrderOfNamesNorTheOtherNamesChangeAValue) {
    FeatureSet set = FeatureSet::default_set();
    std::vector<std::string> names = set.names();
    std::vector<std::string> reversed(names.rbegin(), names.rend());
    std::vector<std::string> shuffled = names;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    Data d = sample("LINK-USDT").slice(0, 700);
    std::vector<Ohlcv> bars;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i < 400 || i >= 405) { // a hole: the series is reset
            bars.push_back(Ohlcv{d.ts[i], d.o[i], d.h[i], d.l[i], d.c[i], d.v[i]});
        }
    }
    // name -> its value at every candle
    auto values = [&](const std::vector<std::string>& these) {
        FeatureSet s = FeatureSet::from_names(these);
        Series series(s);
        std::map<std::string, Vec> by_name;
        std::int64_t last = INT64_MIN;
        for (const Ohlcv& b : bars) {
            if (last != INT64_MIN && b.ts != last + kFiveMin) {
                series.reset();
            }
            last = b.ts;
            auto v = series.push(b);
            for (std::size_t k = 0; k < these.size(); ++k) {
                by_name[these[k]].push_back(v[k]);
            }
        }
        return by_name;
    };
    const auto want = values(names);
    for (const auto& other : {values(reversed), values(shuffled)}) {
        for (const std::string& n : names) {
            EXPECT_TRUE(same(want.at(n), other.at(n))) << n;
        }
    }
    for (std::size_t k = 0; k < names.size(); k += 17) {
        auto alone = values({names[k]});
        EXPECT_TRUE(same(want.at(names[k]), alone.at(names[k]))) << names[k];
    }
}

TEST(FeaturesEngine, RefusesCandlesThatDoNotMoveForward) {
    FeatureSet set = FeatureSet::default_set();
    Engine e(set, GapPolicy::kReset);
    int emitted = 0;
    auto sink = [&](const Emitted&) { ++emitted; };
    Ohlcv b{1000 * kFiveMin, 10, 11, 9, 10.5, 3};
    EXPECT_TRUE(e.candle("ETH-USDT", "5m", kFiveMin, b, sink));
    EXPECT_FALSE(e.is_new("ETH-USDT", "5m", b.ts));
    EXPECT_FALSE(e.candle("ETH-USDT", "5m", kFiveMin, b, sink));
    b.ts -= kFiveMin;
    EXPECT_FALSE(e.candle("ETH-USDT", "5m", kFiveMin, b, sink));
    EXPECT_TRUE(e.is_new("ETH-USDT", "1m", b.ts)); // another bar is another series
    EXPECT_EQ(emitted, 1);
}

// A million candles of running sums: the windowed features still match their batch
// reference over the last window, so rounding does not accumulate.
TEST(FeaturesDrift, AMillionCandlesLeaveNoDriftInWindowedFeatures) {
    FeatureSet set = FeatureSet::default_set();
    std::mt19937_64 rng(42);
    std::normal_distribution<double> ret(0, 0.002);
    std::uniform_real_distribution<double> wick(0, 0.002);
    std::normal_distribution<double> logv(3, 1);
    const std::size_t total = 1000000;
    const std::size_t tail = 1200;
    Series s(set);
    Data d;
    double c = 50000;
    Vec last;
    for (std::size_t i = 0; i < total; ++i) {
        double o = c;
        c = o * std::exp(ret(rng));
        Ohlcv b{static_cast<std::int64_t>(i) * kFiveMin, o, std::max(o, c) * (1 + wick(rng)),
                std::min(o, c) * (1 - wick(rng)),        c, std::exp(logv(rng))};
        auto v = s.push(b);
        if (i + tail >= total) {
            d.ts.push_back(b.ts);
            d.o.push_back(b.o);
            d.h.push_back(b.h);
            d.l.push_back(b.l);
            d.c.push_back(b.c);
            d.v.push_back(b.v);
        }
        if (i + 1 == total) {
            last.assign(v.begin(), v.end());
        }
    }
    // Features whose value depends only on the last few hundred candles.
    struct Check {
        std::string name;
        double value;
    };
    auto at_end = [&](const Vec& x) { return x.back(); };
    const std::size_t e = d.size() - 1;
    Vec r = ref::log_returns(d);
    std::vector<Check> checks = {
        {"sma_200", ref::mean_of(d.c, e, 200)},
        {"wma_50", at_end(ref::wma(d.c, 50))},
        {"hma_50", at_end(ref::hma(d.c, 50))},
        {"bb_upper_50_2", ref::mean_of(d.c, e, 50) + 2 * ref::pstd_of(d.c, e, 50)},
        {"zscore_100", (d.c[e] - ref::mean_of(d.c, e, 100)) / ref::pstd_of(d.c, e, 100)},
        {"rvol_100", ref::pstd_of(r, e, 100)},
        {"vol_z_100", (d.v[e] - ref::mean_of(d.v, e, 100)) / ref::pstd_of(d.v, e, 100)},
        {"skew_50", at_end(ref::shape(d, 50)[0])},
        {"kurt_50", at_end(ref::shape(d, 50)[1])},
        {"lr_slope_50", at_end(ref::linreg(d.c, 50)[0])},
        {"lr_r2_50", at_end(ref::linreg(d.c, 50)[1])},
        {"hurst_200", at_end(ref::hurst(d.c, 200))},
        {"cci_20", at_end(ref::cci(d, 20))},
        {"mfi_14", at_end(ref::mfi(d, 14))},
        {"ultosc_7_14_28", at_end(ref::ultosc(d, 7, 14, 28))},
        {"chop_28", at_end(ref::chop(d, 28))},
        {"er_20", at_end(ref::er(d.c, 20))},
        {"kama_20_2_30", kNaN}, // recursive: only checked to be finite
    };
    for (const Check& ch : checks) {
        double got = last[index_of(set, ch.name)];
        if (std::isnan(ch.value)) {
            EXPECT_TRUE(std::isfinite(got)) << ch.name;
            continue;
        }
        EXPECT_NEAR(got, ch.value, 1e-9 * std::max(std::fabs(ch.value), 1e-6)) << ch.name;
    }
}

// --- names and sets -----------------------------------------------------------------------

TEST(FeatureSet, TheDefaultSetHasAtLeast215UniqueNamesThatParseBack) {
    FeatureSet set = FeatureSet::default_set();
    EXPECT_GE(set.size(), 215U);
    FeatureSet again = FeatureSet::from_names(set.names()); // throws on duplicates
    EXPECT_EQ(again.hash(), set.hash());
    for (const FeatureInfo& fi : set.describe()) {
        EXPECT_FALSE(fi.definition.empty()) << fi.name;
        EXPECT_FALSE(fi.group.empty()) << fi.name;
        EXPECT_GE(fi.warmup, 1U) << fi.name;
        EXPECT_EQ(fi.definition.find('{'), std::string::npos) << fi.name << ": " << fi.definition;
    }
}

TEST(FeatureSet, NamesCarryTheirParameters) {
    auto set = FeatureSet::from_names(
        std::vector<std::string>{"rsi_7", "bb_pctb_30_2.5", "macd_hist_8_21_5", "sma_3"});
    auto info = set.describe();
    EXPECT_EQ(info[0].warmup, 8U);
    EXPECT_NE(info[1].definition.find("2.5"), std::string::npos);
    EXPECT_EQ(info[2].warmup, 25U);
    EXPECT_EQ(info[3].warmup, 3U);
}

TEST(FeatureSet, BadNamesSayWhatIsWrong) {
    auto err = [](std::vector<std::string> names) {
        try {
            FeatureSet::from_names(names);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(err({"rsx_14"}).find("unknown feature \"rsx_14\""), std::string::npos);
    EXPECT_NE(err({"rsi"}).find("rsi_N"), std::string::npos);
    EXPECT_NE(err({"rsi_14_2"}).find("takes 1 parameter"), std::string::npos);
    EXPECT_NE(err({"rsi_014"}).find("write it as rsi_14"), std::string::npos);
    EXPECT_NE(err({"rsi_0"}).find("from 1 to"), std::string::npos);
    EXPECT_NE(err({"hma_1"}).find("from 2 to"), std::string::npos);
    EXPECT_NE(err({"rsi_1.5"}).find("integer"), std::string::npos);
    EXPECT_NE(err({"rsi_14", "rsi_14"}).find("listed twice"), std::string::npos);
    EXPECT_NE(err({}).find("empty"), std::string::npos);
}

TEST(FeatureSet, TheHashFollowsNamesAndOrder) {
    auto a = FeatureSet::from_names(std::vector<std::string>{"rsi_14", "sma_20"});
    auto b = FeatureSet::from_names(std::vector<std::string>{"sma_20", "rsi_14"});
    auto c = FeatureSet::from_names(std::vector<std::string>{"rsi_14", "sma_21"});
    EXPECT_EQ(a.hash().size(), 16U);
    EXPECT_NE(a.hash(), b.hash());
    EXPECT_NE(a.hash(), c.hash());
    EXPECT_EQ(a.hash(), FeatureSet::from_names(a.names()).hash());
}

TEST(FeatureSet, SetFilesChooseAndParametrise) {
    auto dir = std::filesystem::temp_directory_path() / "okxkit_features_set_test";
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    };
    auto only = FeatureSet::from_toml_file(
        write("only.toml", "features = [\"rsi_7\", \"bb_pctb_30_2.5\"]\n"));
    EXPECT_EQ(only.names(), (std::vector<std::string>{"rsi_7", "bb_pctb_30_2.5"}));
    auto more = FeatureSet::from_toml_file(
        write("more.toml", "default = true\nfeatures = [\"rsi_7\"]\nexclude = [\"hurst_200\"]\n"));
    EXPECT_EQ(more.size(), FeatureSet::default_set().size());
    EXPECT_EQ(more.names().back(), "rsi_7");
    auto bad = [&](const std::string& text) {
        try {
            FeatureSet::from_toml_file(write("bad.toml", text));
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(bad("features = [\"rsi_x\"]\n").find("bad.toml:1: "), std::string::npos);
    EXPECT_NE(bad("\nfeature = [\"rsi_7\"]\n").find("bad.toml:2: unknown key \"feature\""),
              std::string::npos);
    EXPECT_NE(bad("exclude = [\"rsi_99\"]\n").find("cannot be excluded"), std::string::npos);
    EXPECT_NE(bad("features = [").find("bad.toml:1"), std::string::npos);
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace okxkit::features
