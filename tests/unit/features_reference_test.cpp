// Every feature of the default set against its batch reference (features_reference.hpp) on
// real sample candles, to 1e-9 relative after the warm-up; and the warm-ups themselves.
#include "features/engine.hpp"
#include "features_reference.hpp"

#include <gtest/gtest.h>
#include <map>
#include <set>

namespace okxkit::features {
namespace {

using ref::Data;
using ref::kNaN;
using ref::Vec;

std::string sample(const std::string& name) {
    return std::string(OKXKIT_SOURCE_DIR) + "/share/okxkit/samples/" + name;
}

// Splits "bb_pctb_20_2" into ("bb_pctb", {20, 2}).
std::pair<std::string, std::vector<double>> split(const std::string& name) {
    std::string fam;
    std::vector<double> p;
    std::stringstream ss(name);
    std::string tok;
    while (std::getline(ss, tok, '_')) {
        if (!tok.empty() && (std::isdigit(static_cast<unsigned char>(tok[0])) != 0)) {
            p.push_back(std::stod(tok));
        } else {
            fam += (fam.empty() ? "" : "_") + tok;
        }
    }
    return {fam, p};
}

Vec map2(const Vec& a, const Vec& b, double (*f)(double, double)) {
    Vec out(a.size(), kNaN);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!std::isnan(a[i]) && !std::isnan(b[i])) {
            out[i] = f(a[i], b[i]);
        }
    }
    return out;
}

Vec ma(const std::string& kind, const Data& d, const std::vector<double>& p) {
    auto n = static_cast<std::size_t>(p[0]);
    if (kind == "sma") {
        return ref::sma(d.c, n);
    }
    if (kind == "ema") {
        return ref::ema(d.c, n);
    }
    if (kind == "wma") {
        return ref::wma(d.c, n);
    }
    if (kind == "dema") {
        return ref::dema(d.c, n);
    }
    if (kind == "tema") {
        return ref::tema(d.c, n);
    }
    if (kind == "kama") {
        return ref::kama(d.c, n, p[1], p[2]);
    }
    if (kind == "hma") {
        return ref::hma(d.c, n);
    }
    throw std::runtime_error("no MA " + kind);
}

// The reference series of a feature, and the scale of the terms it is computed from (so a
// difference of two prices is judged against the price, not against its own tiny value).
struct Reference {
    Vec values;
    double scale;
};

Reference reference(const std::string& name, const Data& d) {
    auto [fam, p] = split(name);
    auto n = p.empty() ? 0 : static_cast<std::size_t>(p[0]);
    const std::size_t N = d.size();
    const double price = d.c[0];
    Vec out(N, kNaN);
    static const std::set<std::string> kMas = {"sma", "ema", "wma", "dema", "tema", "kama", "hma"};
    if (kMas.count(fam) != 0) {
        return {ma(fam, d, p), price};
    }
    if (fam.rfind("dist_", 0) == 0) {
        Vec m = ma(fam.substr(5), d, p);
        return {map2(d.c, m, [](double c, double m) { return c / m - 1; }), 1};
    }
    if (fam.rfind("slope_", 0) == 0) {
        Vec m = ma(fam.substr(6), d, p);
        for (std::size_t i = 1; i < N; ++i) {
            if (!std::isnan(m[i - 1])) {
                out[i] = m[i] / m[i - 1] - 1;
            }
        }
        return {out, 1};
    }
    if (fam == "rsi") {
        return {ref::rsi(d, n), 100};
    }
    if (fam == "stoch_k") {
        return {ref::stoch_of(d.c, d.h, d.l, n, 0), 100};
    }
    if (fam == "stoch_d") {
        return {ref::sma(ref::stoch_of(d.c, d.h, d.l, n, 0), static_cast<std::size_t>(p[1]), n - 1),
                100};
    }
    if (fam == "willr") {
        return {ref::willr(d, n), 100};
    }
    if (fam == "stochrsi_k" || fam == "stochrsi_d") {
        Vec r = ref::rsi(d, n);
        auto m = static_cast<std::size_t>(p[1]);
        Vec k = ref::stoch_of(r, r, r, m, n);
        if (fam == "stochrsi_k") {
            return {k, 100};
        }
        return {ref::sma(k, static_cast<std::size_t>(p[2]), n + m - 1), 100};
    }
    if (fam == "macd" || fam == "macd_signal" || fam == "macd_hist" || fam == "ppo") {
        Vec f = ref::ema(d.c, n);
        Vec s = ref::ema(d.c, static_cast<std::size_t>(p[1]));
        Vec line = map2(f, s, [](double a, double b) { return a - b; });
        if (fam == "macd") {
            return {line, price};
        }
        if (fam == "ppo") {
            return {map2(line, s, [](double a, double b) { return 100 * a / b; }), 100};
        }
        auto sig = static_cast<std::size_t>(p[2]);
        Vec signal = ref::ema(line, sig, ref::first_valid(line));
        if (fam == "macd_signal") {
            return {signal, price};
        }
        return {map2(line, signal, [](double a, double b) { return a - b; }), price};
    }
    if (fam == "roc" || fam == "mom" || fam == "logret") {
        for (std::size_t i = n; i < N; ++i) {
            out[i] = fam == "roc"   ? 100 * (d.c[i] / d.c[i - n] - 1)
                     : fam == "mom" ? d.c[i] - d.c[i - n]
                                    : std::log(d.c[i] / d.c[i - n]);
        }
        return {out, fam == "roc" ? 100 : fam == "mom" ? price : 1};
    }
    if (fam == "cci") {
        return {ref::cci(d, n), 100};
    }
    if (fam == "mfi") {
        return {ref::mfi(d, n), 100};
    }
    if (fam == "ultosc") {
        return {ref::ultosc(d, n, static_cast<std::size_t>(p[1]), static_cast<std::size_t>(p[2])),
                100};
    }
    if (fam == "tsi") {
        Vec m(N, kNaN), am(N, kNaN);
        for (std::size_t i = 1; i < N; ++i) {
            m[i] = d.c[i] - d.c[i - 1];
            am[i] = std::fabs(m[i]);
        }
        auto s = static_cast<std::size_t>(p[1]);
        Vec a = ref::ema(ref::ema(m, n, 1), s, n);
        Vec b = ref::ema(ref::ema(am, n, 1), s, n);
        return {map2(a, b, [](double x, double y) { return 100 * ref::div0(x, y); }), 100};
    }
    if (fam == "ao") {
        Vec hl2(N);
        for (std::size_t i = 0; i < N; ++i) {
            hl2[i] = (d.h[i] + d.l[i]) / 2;
        }
        return {map2(ref::sma(hl2, n), ref::sma(hl2, static_cast<std::size_t>(p[1])),
                     [](double a, double b) { return a - b; }),
                price};
    }
    if (fam == "atr") {
        return {ref::atr(d, n), price};
    }
    if (fam == "natr") {
        return {map2(ref::atr(d, n), d.c, [](double a, double c) { return 100 * a / c; }), 1};
    }
    if (fam.rfind("bb_", 0) == 0) {
        double k = p[1];
        for (std::size_t i = n - 1; i < N; ++i) {
            double m = ref::mean_of(d.c, i, n);
            double sd = ref::pstd_of(d.c, i, n);
            double up = m + k * sd, lo = m - k * sd;
            out[i] = fam == "bb_upper"   ? up
                     : fam == "bb_lower" ? lo
                     : fam == "bb_mid"   ? m
                     : fam == "bb_width" ? (up - lo) / m
                                         : ref::div0(d.c[i] - lo, up - lo);
        }
        bool price_unit = fam == "bb_upper" || fam == "bb_lower" || fam == "bb_mid";
        return {out, price_unit ? price : 1};
    }
    if (fam.rfind("kc_", 0) == 0) {
        double k = p[1];
        Vec e = ref::ema(d.c, n);
        Vec a = ref::atr(d, n);
        for (std::size_t i = n; i < N; ++i) {
            double up = e[i] + k * a[i], lo = e[i] - k * a[i];
            out[i] = fam == "kc_upper"   ? up
                     : fam == "kc_lower" ? lo
                     : fam == "kc_width" ? (up - lo) / e[i]
                                         : ref::div0(d.c[i] - lo, up - lo);
        }
        return {out, fam == "kc_upper" || fam == "kc_lower" ? price : 1};
    }
    if (fam.rfind("dc_", 0) == 0) {
        for (std::size_t i = n - 1; i < N; ++i) {
            double up = ref::highest(d.h, i, n), lo = ref::lowest(d.l, i, n), mid = (up + lo) / 2;
            out[i] = fam == "dc_upper"   ? up
                     : fam == "dc_lower" ? lo
                     : fam == "dc_mid"   ? mid
                     : fam == "dc_width" ? (up - lo) / mid
                                         : ref::div0(d.c[i] - lo, up - lo);
        }
        return {out, fam == "dc_width" || fam == "dc_pct" ? 1 : price};
    }
    if (fam == "rvol") {
        Vec r = ref::log_returns(d);
        for (std::size_t i = n; i < N; ++i) {
            out[i] = ref::pstd_of(r, i, n);
        }
        return {out, 1e-3};
    }
    if (fam == "parkinson" || fam == "gk") {
        for (std::size_t i = n - 1; i < N; ++i) {
            double s = 0;
            for (std::size_t j = i + 1 - n; j <= i; ++j) {
                double hl = std::log(d.h[j] / d.l[j]);
                double co = std::log(d.c[j] / d.o[j]);
                s += fam == "parkinson" ? hl * hl
                                        : 0.5 * hl * hl - (2 * std::log(2.0) - 1) * co * co;
            }
            double var = fam == "parkinson" ? s / (4 * std::log(2.0) * static_cast<double>(n))
                                            : s / static_cast<double>(n);
            out[i] = var > 0 ? std::sqrt(var) : 0;
        }
        return {out, 1e-3};
    }
    double volume_scale = ref::mean_of(d.v, N - 1, N);
    if (fam == "obv" || fam == "ad") {
        double obv = d.v[0], ad = 0;
        for (std::size_t i = 0; i < N; ++i) {
            if (i > 0) {
                obv += d.c[i] > d.c[i - 1] ? d.v[i] : d.c[i] < d.c[i - 1] ? -d.v[i] : 0;
            }
            ad += ref::div0((d.c[i] - d.l[i]) - (d.h[i] - d.c[i]), d.h[i] - d.l[i]) * d.v[i];
            out[i] = fam == "obv" ? obv : ad;
        }
        return {out, volume_scale};
    }
    if (fam == "adosc") {
        Vec ad(N);
        double s = 0;
        for (std::size_t i = 0; i < N; ++i) {
            s += ref::div0((d.c[i] - d.l[i]) - (d.h[i] - d.c[i]), d.h[i] - d.l[i]) * d.v[i];
            ad[i] = s;
        }
        return {map2(ref::ema(ad, n), ref::ema(ad, static_cast<std::size_t>(p[1])),
                     [](double a, double b) { return a - b; }),
                volume_scale};
    }
    if (fam == "cmf") {
        for (std::size_t i = n - 1; i < N; ++i) {
            double a = 0, v = 0;
            for (std::size_t j = i + 1 - n; j <= i; ++j) {
                a += ref::div0((d.c[j] - d.l[j]) - (d.h[j] - d.c[j]), d.h[j] - d.l[j]) * d.v[j];
                v += d.v[j];
            }
            out[i] = ref::div0(a, v);
        }
        return {out, 1};
    }
    if (fam == "force") {
        Vec f(N, kNaN);
        for (std::size_t i = 1; i < N; ++i) {
            f[i] = (d.c[i] - d.c[i - 1]) * d.v[i];
        }
        return {ref::ema(f, n, 1), price * volume_scale * 1e-3};
    }
    if (fam == "vwap_session" || fam == "vwap_dist") {
        double pv = 0, vv = 0;
        for (std::size_t i = 0; i < N; ++i) {
            if (i == 0 || d.ts[i] / 86400000 != d.ts[i - 1] / 86400000) {
                pv = vv = 0;
            }
            double tp = (d.h[i] + d.l[i] + d.c[i]) / 3;
            pv += tp * d.v[i];
            vv += d.v[i];
            double vw = vv > 0 ? pv / vv : tp;
            out[i] = fam == "vwap_session" ? vw : d.c[i] / vw - 1;
        }
        return {out, fam == "vwap_session" ? price : 1};
    }
    if (fam == "vol_z" || fam == "vol_rel" || fam == "zscore") {
        const Vec& x = fam == "zscore" ? d.c : d.v;
        for (std::size_t i = n - 1; i < N; ++i) {
            double m = ref::mean_of(x, i, n);
            out[i] =
                fam == "vol_rel" ? ref::div0(x[i], m) : ref::div0(x[i] - m, ref::pstd_of(x, i, n));
        }
        return {out, 1};
    }
    if (fam == "plus_di" || fam == "minus_di" || fam == "adx") {
        auto r = ref::dmi(d, n);
        return {fam == "plus_di" ? r[0] : fam == "minus_di" ? r[1] : r[2], 100};
    }
    if (fam.rfind("aroon", 0) == 0) {
        auto r = ref::aroon(d, n);
        return {fam == "aroon_up"     ? r[0]
                : fam == "aroon_down" ? r[1]
                                      : map2(r[0], r[1], [](double a, double b) { return a - b; }),
                100};
    }
    if (fam == "chop") {
        return {ref::chop(d, n), 100};
    }
    if (fam == "er") {
        return {ref::er(d.c, n), 1};
    }
    if (fam == "hurst") {
        return {ref::hurst(d.c, n), 1};
    }
    if (fam == "lr_slope" || fam == "lr_r2") {
        auto r = ref::linreg(d.c, n);
        return {fam == "lr_slope" ? r[0] : r[1], fam == "lr_slope" ? 1e-3 : 1};
    }
    if (fam == "skew" || fam == "kurt") {
        auto r = ref::shape(d, n);
        return {fam == "skew" ? r[0] : r[1], 1};
    }
    if (fam.rfind("candle_", 0) == 0 || fam == "close_pos") {
        for (std::size_t i = 0; i < N; ++i) {
            double r = d.h[i] - d.l[i];
            if (fam == "candle_body") {
                out[i] = ref::div0(d.c[i] - d.o[i], r);
            } else if (fam == "candle_upper") {
                out[i] = ref::div0(d.h[i] - std::max(d.o[i], d.c[i]), r);
            } else if (fam == "candle_lower") {
                out[i] = ref::div0(std::min(d.o[i], d.c[i]) - d.l[i], r);
            } else if (fam == "candle_range") {
                out[i] = r / d.c[i];
            } else if (fam == "candle_ret") {
                out[i] = d.c[i] / d.o[i] - 1;
            } else if (fam == "close_pos") {
                out[i] = ref::div0(d.c[i] - d.l[i], r);
            } else if (i > 0) {
                out[i] = d.o[i] / d.c[i - 1] - 1;
            }
        }
        return {out, 1};
    }
    if (fam == "hour_sin" || fam == "hour_cos" || fam == "dow_sin" || fam == "dow_cos") {
        for (std::size_t i = 0; i < N; ++i) {
            std::int64_t sec = d.ts[i] / 1000;
            double hours = static_cast<double>(sec % 86400) / 3600.0;
            std::int64_t days = sec / 86400;
            int dow = static_cast<int>((days + 3) % 7); // 1970-01-01 was a Thursday (3)
            double a = 2 * std::numbers::pi * hours / 24;
            double b = 2 * std::numbers::pi * dow / 7;
            out[i] = fam == "hour_sin"   ? std::sin(a)
                     : fam == "hour_cos" ? std::cos(a)
                     : fam == "dow_sin"  ? std::sin(b)
                                         : std::cos(b);
        }
        return {out, 1};
    }
    throw std::runtime_error("no reference for " + name);
}

bool is_cross(const std::string& name) {
    return name.rfind("btc_", 0) == 0 || name.rfind("corr_btc", 0) == 0 ||
           name.rfind("beta_btc", 0) == 0;
}

// Runs the kernel over d and returns the values per feature (column-major).
std::vector<Vec> run_series(const FeatureSet& set, const Data& d) {
    Series s(set);
    std::vector<Vec> cols(set.size(), Vec(d.size()));
    for (std::size_t i = 0; i < d.size(); ++i) {
        auto v = s.push(Ohlcv{d.ts[i], d.o[i], d.h[i], d.l[i], d.c[i], d.v[i]});
        for (std::size_t k = 0; k < v.size(); ++k) {
            cols[k][i] = v[k];
        }
    }
    return cols;
}

// |got - want| <= 1e-9 max(|want|, 1e-3 scale): 1e-9 relative, with the tolerance of a
// value near zero taken from the magnitude of the terms it is the difference of.
bool close_enough(double got, double want, double scale) {
    return std::fabs(got - want) <= 1e-9 * std::max(std::fabs(want), 1e-3 * scale);
}

void check_data(const std::string& file, const Data& d) {
    ASSERT_GT(d.size(), 1000U);
    FeatureSet set = FeatureSet::default_set();
    std::vector<Vec> cols = run_series(set, d);
    std::vector<FeatureInfo> info = set.describe();
    std::size_t checked = 0;
    for (std::size_t k = 0; k < set.size(); ++k) {
        const std::string& name = set.names()[k];
        if (is_cross(name)) {
            continue;
        }
        SCOPED_TRACE(file + " " + name);
        Reference r = reference(name, d);
        std::size_t warm = info[k].warmup;
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < d.size(); ++i) {
            double got = cols[k][i];
            double want = r.values[i];
            if (i + 1 < warm) {
                EXPECT_TRUE(std::isnan(got)) << "candle " << i << ": a value before the warm-up";
                EXPECT_TRUE(std::isnan(want)) << "candle " << i << ": the reference has a value "
                                              << want << " before the warm-up " << warm;
                continue;
            }
            if (std::isnan(got) || std::isnan(want) || !close_enough(got, want, r.scale)) {
                if (++mismatches <= 3) {
                    ADD_FAILURE() << "candle " << i << ": got " << got << ", reference " << want
                                  << " (rel " << std::fabs(got - want) / std::fabs(want) << ")";
                }
            }
        }
        EXPECT_EQ(mismatches, 0U);
        ++checked;
    }
    EXPECT_GE(checked, 205U);
}

void check_all(const std::string& file, std::size_t max_len) {
    check_data(file, ref::longest_run(ref::load_csv(sample(file)), 300000).slice(0, max_len));
}

TEST(FeaturesReference, EveryFamilyMatchesItsBatchReferenceOnBtc) {
    check_all("BTC-USDT_5m.csv", 3000);
}

TEST(FeaturesReference, EveryFamilyMatchesItsBatchReferenceOnXrp) {
    // XRP: prices near 1, volumes in the millions.
    check_all("XRP-USDT_5m.csv", 3000);
}

TEST(FeaturesReference, EveryFamilyMatchesItsBatchReferenceOnLink) {
    check_all("LINK-USDT_5m.csv", 3000);
}

// One-minute bars of another period and source file, which nothing here was tuned to.
TEST(FeaturesReference, OneMinuteBarsOfBtcAndEth) {
    for (const char* f : {"BTC-USDT_1m.csv", "ETH-USDT_1m.csv"}) {
        Data d = ref::load_csv(std::string(OKXKIT_SOURCE_DIR) + "/tests/cli/data/" + f);
        check_data(f, ref::longest_run(d, 60000));
    }
}

// The warm-ups of the fixed names, as the issue lists them: null before, a number from then on.
TEST(FeaturesReference, WarmupsOfTheFixedNames) {
    const std::map<std::string, std::uint64_t> want = {
        {"sma_20", 20},
        {"ema_20", 20},
        {"rsi_14", 15},
        {"macd_12_26_9", 26},
        {"macd_signal_12_26_9", 34},
        {"macd_hist_12_26_9", 34},
        {"bb_upper_20_2", 20},
        {"bb_mid_20_2", 20},
        {"bb_lower_20_2", 20},
        {"atr_14", 15},
        {"adx_14", 28},
        {"plus_di_14", 15},
        {"minus_di_14", 15},
        {"stoch_k_14", 14},
        {"stoch_d_14_3", 16},
        {"obv", 1},
        {"cci_20", 20},
        {"mfi_14", 15},
        {"willr_14", 14},
        {"vwap_session", 1},
    };
    FeatureSet set = FeatureSet::default_set();
    std::map<std::string, std::uint64_t> got;
    for (const FeatureInfo& fi : set.describe()) {
        got[fi.name] = fi.warmup;
    }
    Data d = ref::longest_run(ref::load_csv(sample("ETH-USDT_5m.csv")), 300000).slice(0, 400);
    std::vector<Vec> cols = run_series(set, d);
    for (const auto& [name, warm] : want) {
        ASSERT_TRUE(got.count(name)) << name << " is not in the default set";
        EXPECT_EQ(got[name], warm) << name;
        auto k = static_cast<std::size_t>(std::find(set.names().begin(), set.names().end(), name) -
                                          set.names().begin());
        for (std::size_t i = 0; i < d.size(); ++i) {
            EXPECT_EQ(std::isnan(cols[k][i]), i + 1 < warm) << name << " at candle " << i + 1;
        }
    }
}

// Every feature of the default set: null before its listed warm-up, a number from it on.
TEST(FeaturesReference, EveryWarmupIsExact) {
    FeatureSet set = FeatureSet::default_set();
    std::vector<FeatureInfo> info = set.describe();
    Data d = ref::longest_run(ref::load_csv(sample("BNB-USDT_5m.csv")), 300000).slice(0, 600);
    std::vector<Vec> cols = run_series(set, d);
    for (std::size_t k = 0; k < set.size(); ++k) {
        if (is_cross(set.names()[k])) {
            for (double v : cols[k]) {
                EXPECT_TRUE(std::isnan(v)) << set.names()[k] << " without BTC-USDT";
            }
            continue;
        }
        std::size_t first = ref::first_valid(cols[k]);
        EXPECT_EQ(first + 1, info[k].warmup) << set.names()[k];
        for (std::size_t i = first; i < d.size(); ++i) {
            EXPECT_FALSE(std::isnan(cols[k][i])) << set.names()[k] << " at candle " << i + 1;
        }
    }
}

} // namespace
} // namespace okxkit::features
