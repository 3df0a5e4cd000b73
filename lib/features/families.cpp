// The feature families: names, parameter kinds, definitions, default sets and builders.
#include "features/families.hpp"

#include <cmath>
#include <numbers>

namespace okxkit::features {

namespace {

using namespace build; // NOLINT(google-build-using-namespace): the families read as formulas
using nodes::Bands;
using nodes::TermSum;

std::vector<Family> make_families() {
    std::vector<Family> f;
    auto add = [&f](std::string name, std::string group, std::string params, std::string def,
                    std::vector<P> defaults, Build build, std::string note = {}) {
        f.push_back(Family{std::move(name), std::move(group), std::move(params), std::move(def),
                           std::move(defaults), std::move(build), std::move(note)});
    };

    // Trend: moving averages of the close, the distance of the close to each, their slopes.
    struct Ma {
        const char* kind;
        const char* params;
        const char* def;
        std::vector<P> defaults;
    };
    const Ma mas[] = {
        {"sma",
         "n",
         "simple moving average of the close over {0} candles",
         {{5}, {10}, {20}, {50}, {100}, {200}}},
        {"ema",
         "n",
         "exponential moving average of the close, alpha 2/({0}+1), seeded with the SMA of the "
         "first {0} closes",
         {{5}, {10}, {20}, {50}, {100}, {200}}},
        {"wma",
         "n",
         "weighted moving average of the close over {0} candles, weights 1..{0} (newest heaviest)",
         {{10}, {20}, {50}}},
        {"dema",
         "n",
         "double EMA: 2 e1 - e2, e1 = ema_{0}, e2 = EMA_{0}(e1) (SMA-seeded)",
         {{10}, {20}, {50}}},
        {"tema",
         "n",
         "triple EMA: 3 e1 - 3 e2 + e3, e1 = ema_{0}, e2 = EMA_{0}(e1), e3 = EMA_{0}(e2)",
         {{10}, {20}, {50}}},
        {"kama",
         "nxx",
         "Kaufman adaptive MA: er = |close - close {0} ago| / sum of |changes| over {0}, sc = (er "
         "(2/({1}+1) - 2/({2}+1)) + 2/({2}+1))^2, kama += sc (close - kama), started from the "
         "close before its first value",
         {{10, 2, 30}, {20, 2, 30}}},
        {"hma",
         "m",
         "Hull MA: WMA over floor(sqrt({0})) candles of 2 wma_(floor {0}/2) - wma_{0}",
         {{9}, {20}, {50}}},
    };
    for (const Ma& m : mas) {
        std::string kind = m.kind;
        add(kind, "trend", m.params, m.def, m.defaults,
            [kind](Graph& g, const P& p) { return out(moving_average(g, kind, p)); });
        add("dist_" + kind, "trend", m.params, "close / " + kind + "_{p} - 1", m.defaults,
            [kind](Graph& g, const P& p) { return out(dist_slope(g, kind, p, 0)); });
        add("slope_" + kind, "trend", m.params, kind + "_{p} / its value one candle before - 1",
            m.defaults, [kind](Graph& g, const P& p) { return out(dist_slope(g, kind, p, 1)); });
    }

    // Momentum.
    add("rsi", "momentum", "n",
        "Wilder RSI: 100 g / (g + l), g and l the Wilder averages over {0} of the close's gains "
        "and losses, seeded with their means over the first {0} changes",
        {{2}, {6}, {14}, {21}}, [](Graph& g, const P& p) { return out(rsi(g, at(p, 0))->src()); });
    add("stoch_k", "momentum", "n",
        "fast stochastic %K: 100 (close - lowest low) / (highest high - lowest low) over {0} "
        "candles",
        {{5}, {14}}, [](Graph& g, const P& p) { return out(stoch(g, at(p, 0))->src(0)); });
    add("stoch_d", "momentum", "nn", "%D: SMA over {1} candles of stoch_k_{0}", {{5, 3}, {14, 3}},
        [](Graph& g, const P& p) {
            auto* k = stoch(g, at(p, 0));
            return out(moments(g, "stk:" + num(at(p, 0)), k->src(0), at(p, 1))->src(0));
        });
    add("willr", "momentum", "n",
        "Williams %R: -100 (highest high - close) / (highest high - lowest low) over {0} candles",
        {{14}, {28}}, [](Graph& g, const P& p) { return out(stoch(g, at(p, 0))->src(1)); });
    add("stochrsi_k", "momentum", "nn",
        "StochRSI %K: 100 (rsi_{0} - its lowest) / (its highest - its lowest) over {1} candles",
        {{14, 14}},
        [](Graph& g, const P& p) { return out(stochrsi(g, at(p, 0), at(p, 1))->src(0)); });
    add("stochrsi_d", "momentum", "nnn", "SMA over {2} candles of stochrsi_k_{0}_{1}",
        {{14, 14, 3}}, [](Graph& g, const P& p) {
            auto* k = stochrsi(g, at(p, 0), at(p, 1));
            return out(moments(g, "srk:" + num(at(p, 0)) + ":" + num(at(p, 1)), k->src(0), at(p, 2))
                           ->src(0));
        });
    add("macd", "momentum", "nnn", "MACD line: ema_{0} - ema_{1}", {{12, 26, 9}, {5, 35, 5}},
        [](Graph& g, const P& p) { return out(macd(g, at(p, 0), at(p, 1), at(p, 2)).line); });
    add("macd_signal", "momentum", "nnn",
        "MACD signal: EMA over {2} of macd_{p}, seeded with the SMA of its first {2} values",
        {{12, 26, 9}, {5, 35, 5}},
        [](Graph& g, const P& p) { return out(macd(g, at(p, 0), at(p, 1), at(p, 2)).signal); });
    add("macd_hist", "momentum", "nnn", "MACD histogram: macd_{p} - macd_signal_{p}",
        {{12, 26, 9}, {5, 35, 5}},
        [](Graph& g, const P& p) { return out(macd(g, at(p, 0), at(p, 1), at(p, 2)).hist); });
    add("ppo", "momentum", "nn", "percentage price oscillator: 100 (ema_{0} - ema_{1}) / ema_{1}",
        {{12, 26}}, [](Graph& g, const P& p) {
            auto* ef = ema(g, "c", close_src(g), at(p, 0));
            auto* es = ema(g, "c", close_src(g), at(p, 1));
            std::string key = num(at(p, 0)) + ":" + num(at(p, 1));
            auto* d = lin(g, "macd:" + key, {1, -1, 0}, {ef->src(), es->src(), Src{}}, 2);
            return out(ratio_node(g, "ppo:" + key, d->src(), es->src(), 100, 0)->src());
        });
    add("roc", "momentum", "n", "rate of change: 100 (close / close {0} candles before - 1)",
        {{1}, {5}, {10}, {20}, {50}},
        [](Graph& g, const P& p) { return out(change(g, at(p, 0))->src(0)); });
    add("mom", "momentum", "n", "momentum: close - close {0} candles before", {{5}, {10}, {20}},
        [](Graph& g, const P& p) { return out(change(g, at(p, 0))->src(1)); });
    add("cci", "momentum", "n",
        "commodity channel index: (tp - SMA_{0}(tp)) / (0.015 mean |tp - SMA_{0}(tp)|) over {0} "
        "candles, tp = (high + low + close) / 3",
        {{14}, {20}}, [](Graph& g, const P& p) {
            return out(g.get<nodes::Cci>("cci:" + num(at(p, 0)), [&] {
                            return g.make<nodes::Cci>(at(p, 0));
                        })->src());
        });
    add("mfi", "momentum", "n",
        "money flow index: 100 pos / (pos + neg), sums over {0} candles of tp volume where tp "
        "rose (pos) or fell (neg) from the candle before",
        {{14}}, [](Graph& g, const P& p) {
            return out(g.get<nodes::Mfi>("mfi:" + num(at(p, 0)), [&] {
                            return g.make<nodes::Mfi>(at(p, 0));
                        })->src());
        });
    add("ultosc", "momentum", "nnn",
        "ultimate oscillator: 100 (4 a{0} + 2 a{1} + a{2}) / 7, aN = sum of BP / sum of TR over N "
        "candles, BP = close - min(low, previous close)",
        {{7, 14, 28}}, [](Graph& g, const P& p) {
            return out(g.get<nodes::UltOsc>("uo:" + joined(p), [&] {
                            Src a = tr_sum(g, at(p, 0))->src();
                            Src b = tr_sum(g, at(p, 1))->src();
                            Src c = tr_sum(g, at(p, 2))->src();
                            return g.make<nodes::UltOsc>(at(p, 0), at(p, 1), at(p, 2), a, b, c);
                        })->src());
        });
    add("tsi", "momentum", "nn",
        "true strength index: 100 EMA_{1}(EMA_{0}(d)) / EMA_{1}(EMA_{0}(|d|)), d = close - "
        "previous close",
        {{25, 13}}, [](Graph& g, const P& p) {
            auto* d = diffs(g);
            std::size_t r = at(p, 0);
            std::size_t s = at(p, 1);
            auto* a = ema(g, "ema:d:" + num(r), ema(g, "d", d->src(3), r)->src(), s);
            auto* b = ema(g, "ema:ad:" + num(r), ema(g, "ad", d->src(4), r)->src(), s);
            return out(ratio_node(g, "tsi:" + joined(p), a->src(), b->src(), 100, 0)->src());
        });
    add("ao", "momentum", "nn",
        "awesome oscillator: SMA_{0} - SMA_{1} of the median price (high + low) / 2", {{5, 34}},
        [](Graph& g, const P& p) {
            Src hl2{&g.current().hl2, 1};
            auto* a = moments(g, "hl2", hl2, at(p, 0));
            auto* b = moments(g, "hl2", hl2, at(p, 1));
            return out(
                lin(g, "ao:" + joined(p), {1, -1, 0}, {a->src(0), b->src(0), Src{}}, 2)->src());
        });

    // Volatility.
    add("atr", "volatility", "n",
        "Wilder ATR: true range max(high, prev close) - min(low, prev close) from the second "
        "candle; the mean of the first {0}, then (atr ({0}-1) + tr) / {0}",
        {{7}, {14}, {21}}, [](Graph& g, const P& p) { return out(atr(g, at(p, 0))->src()); });
    add("natr", "volatility", "n", "normalised ATR: 100 atr_{0} / close", {{7}, {14}, {21}},
        [](Graph& g, const P& p) {
            return out(ratio_node(g, "natr:" + num(at(p, 0)), atr(g, at(p, 0))->src(), close_src(g),
                                  100, 0)
                           ->src());
        });
    struct BandOut {
        const char* suffix;
        int k;
        const char* def;
    };
    const BandOut bb[] = {
        {"upper", 0,
         "Bollinger upper band: sma_{0} + {1} std, std the population standard "
         "deviation of the close over {0} candles"},
        {"mid", 4, "Bollinger middle band: sma_{0}"},
        {"lower", 1, "Bollinger lower band: sma_{0} - {1} std (population)"},
        {"width", 2, "Bollinger width: (bb_upper_{p} - bb_lower_{p}) / bb_mid_{p}"},
        {"pctb", 3, "Bollinger %B: (close - bb_lower_{p}) / (bb_upper_{p} - bb_lower_{p})"},
    };
    for (const BandOut& b : bb) {
        int k = b.k;
        add(std::string("bb_") + b.suffix, "volatility", "nx", b.def, {{20, 2}, {50, 2}},
            [k](Graph& g, const P& p) { return out(bollinger(g, at(p, 0), p[1])->src(k)); });
    }
    const BandOut kc[] = {
        {"upper", 0, "Keltner upper: ema_{0} + {1} atr_{0}"},
        {"lower", 1, "Keltner lower: ema_{0} - {1} atr_{0}"},
        {"width", 2, "Keltner width: (kc_upper_{p} - kc_lower_{p}) / ema_{0}"},
        {"pct", 3, "Keltner position: (close - kc_lower_{p}) / (kc_upper_{p} - kc_lower_{p})"},
    };
    for (const BandOut& b : kc) {
        int k = b.k;
        add(std::string("kc_") + b.suffix, "volatility", "nx", b.def, {{20, 2}},
            [k](Graph& g, const P& p) { return out(keltner(g, at(p, 0), p[1])->src(k)); });
    }
    const BandOut dc[] = {
        {"upper", 0, "Donchian upper: highest high over {0} candles"},
        {"lower", 1, "Donchian lower: lowest low over {0} candles"},
        {"mid", 4, "Donchian middle: (dc_upper_{0} + dc_lower_{0}) / 2"},
        {"width", 2, "Donchian width: (dc_upper_{0} - dc_lower_{0}) / dc_mid_{0}"},
        {"pct", 3, "Donchian position: (close - dc_lower_{0}) / (dc_upper_{0} - dc_lower_{0})"},
    };
    for (const BandOut& b : dc) {
        int k = b.k;
        add(std::string("dc_") + b.suffix, "volatility", "n", b.def, {{20}, {55}},
            [k](Graph& g, const P& p) { return out(donchian(g, at(p, 0))->src(k)); });
    }
    add("rvol", "volatility", "n",
        "realised volatility: population std of the last {0} one-candle log returns ln(close / "
        "previous close), not annualised",
        {{10}, {20}, {50}, {100}}, [](Graph& g, const P& p) {
            auto* m = moments(g, "ret1", diffs(g)->src(0), at(p, 0));
            m->want_std();
            return out(m->src(1));
        });
    add("parkinson", "volatility", "n",
        "Parkinson volatility: sqrt(sum of ln(high/low)^2 over {0} candles / (4 ln 2 {0}))",
        {{10}, {20}, {50}}, [](Graph& g, const P& p) {
            std::size_t n = at(p, 0);
            auto* s = term_sum(g, TermSum::Term::kParkinson, n);
            s->want_sqrt(1 / (4 * std::numbers::ln2 * static_cast<double>(n)));
            return out(s->src(1));
        });
    add("gk", "volatility", "n",
        "Garman-Klass volatility: sqrt(mean over {0} candles of 0.5 ln(high/low)^2 - (2 ln 2 - 1) "
        "ln(close/open)^2), 0 when negative",
        {{10}, {20}, {50}}, [](Graph& g, const P& p) {
            std::size_t n = at(p, 0);
            auto* s = term_sum(g, TermSum::Term::kGarmanKlass, n);
            s->want_sqrt(1 / static_cast<double>(n));
            return out(s->src(1));
        });

    // Volume.
    add("obv", "volume", "",
        "on-balance volume: the first candle's volume, then + volume when the close rises, - "
        "volume when it falls",
        {{}}, [](Graph& g, const P&) { return out(volume_lines(g)->src(0)); });
    add("ad", "volume", "",
        "accumulation/distribution line: cumulative ((close - low) - (high - close)) / (high - "
        "low) volume",
        {{}}, [](Graph& g, const P&) { return out(volume_lines(g)->src(1)); });
    add("adosc", "volume", "nn", "Chaikin oscillator: EMA_{0}(ad) - EMA_{1}(ad) (SMA-seeded)",
        {{3, 10}}, [](Graph& g, const P& p) {
            Src ad = volume_lines(g)->src(1);
            auto* a = ema(g, "ad", ad, at(p, 0));
            auto* b = ema(g, "ad", ad, at(p, 1));
            return out(
                lin(g, "adosc:" + joined(p), {1, -1, 0}, {a->src(), b->src(), Src{}}, 2)->src());
        });
    add("cmf", "volume", "n",
        "Chaikin money flow: sum of ((close - low) - (high - close)) / (high - low) volume over "
        "{0} candles / sum of volume",
        {{20}, {50}}, [](Graph& g, const P& p) {
            std::size_t n = at(p, 0);
            auto* a = term_sum(g, TermSum::Term::kClvVolume, n);
            auto* b = term_sum(g, TermSum::Term::kVolume, n);
            return out(ratio_node(g, "cmf:" + num(n), a->src(), b->src(), 1, 0)->src());
        });
    add("force", "volume", "n", "force index: EMA_{0} of (close - previous close) volume",
        {{2}, {13}}, [](Graph& g, const P& p) {
            return out(ema(g, "force", diffs(g)->src(2), at(p, 0))->src());
        });
    add("vwap_session", "volume", "",
        "session VWAP: sum(tp volume) / sum(volume) over the candles opened since 00:00 UTC of "
        "the day, tp = (high + low + close) / 3 (tp itself while the session has no volume)",
        {{}}, [](Graph& g, const P&) { return out(vwap(g)->src()); });
    add("vwap_dist", "volume", "", "close / vwap_session - 1", {{}}, [](Graph& g, const P&) {
        return out(ratio_node(g, "vwapd", close_src(g), vwap(g)->src(), 1, -1)->src());
    });
    add("vol_z", "volume", "n",
        "volume z-score: (volume - mean) / population std of the volume over {0} candles",
        {{20}, {50}, {100}}, [](Graph& g, const P& p) {
            Src v{&g.current().v, 1};
            auto* m = moments(g, "v", v, at(p, 0));
            m->want_z();
            return out(m->src(4));
        });
    add("vol_rel", "volume", "n", "relative volume: volume / SMA_{0}(volume)", {{20}, {50}},
        [](Graph& g, const P& p) {
            Src v{&g.current().v, 1};
            auto* m = moments(g, "v", v, at(p, 0));
            return out(ratio_node(g, "vrel:" + num(at(p, 0)), v, m->src(0), 1, 0)->src());
        });

    // Trend strength.
    add("plus_di", "strength", "n",
        "Wilder +DI: 100 S(+DM) / S(TR), S the Wilder running sum over {0} (first: the sum of "
        "the first {0} values, then s - s/{0} + x); +DM = up move if it exceeds the down move "
        "and 0, else 0",
        {{14}, {28}}, [](Graph& g, const P& p) { return out(dmi(g, at(p, 0))->src(0)); });
    add("minus_di", "strength", "n", "Wilder -DI: 100 S(-DM) / S(TR), as plus_di_{0}", {{14}, {28}},
        [](Graph& g, const P& p) { return out(dmi(g, at(p, 0))->src(1)); });
    add("adx", "strength", "n",
        "Wilder ADX: DX = 100 |+DI - -DI| / (+DI + -DI); the mean of the first {0} DX, then "
        "(adx ({0}-1) + dx) / {0}",
        {{14}, {28}}, [](Graph& g, const P& p) { return out(dmi(g, at(p, 0))->src(3)); });
    add("aroon_up", "strength", "n",
        "Aroon up: 100 ({0} - candles since the highest high of the last {0}+1) / {0} (latest "
        "on ties)",
        {{14}, {25}}, [](Graph& g, const P& p) { return out(aroon(g, at(p, 0))->src(0)); });
    add("aroon_down", "strength", "n",
        "Aroon down: 100 ({0} - candles since the lowest low of the last {0}+1) / {0}",
        {{14}, {25}}, [](Graph& g, const P& p) { return out(aroon(g, at(p, 0))->src(1)); });
    add("aroon_osc", "strength", "n", "Aroon oscillator: aroon_up_{0} - aroon_down_{0}",
        {{14}, {25}}, [](Graph& g, const P& p) { return out(aroon(g, at(p, 0))->src(2)); });
    add("chop", "strength", "n",
        "choppiness index: 100 log10(sum of TR over {0} / (highest high - lowest low over {0})) "
        "/ log10({0})",
        {{14}, {28}}, [](Graph& g, const P& p) {
            auto* e = extremes(g, at(p, 0));
            return out(g.get<nodes::Chop>("chop:" + num(at(p, 0)), [&] {
                            Src tr = tr_sum(g, at(p, 0))->src();
                            return g.make<nodes::Chop>(at(p, 0), e, tr);
                        })->src());
        });
    add("er", "strength", "n",
        "Kaufman efficiency ratio: |close - close {0} before| / sum of |close changes| over {0}",
        {{10}, {20}}, [](Graph& g, const P& p) { return out(er_node(g, at(p, 0))->src()); });
    add("hurst", "strength", "n",
        "Hurst exponent estimate: least-squares slope of ln sd_k against ln k for k = 1, 2, 4, "
        "8, sd_k the population std of the last {0} k-candle log returns (0 if any sd_k is 0)",
        {{100}, {200}}, [](Graph& g, const P& p) {
            return out(g.get<nodes::Hurst>("hurst:" + num(at(p, 0)), [&] {
                            return g.make<nodes::Hurst>(at(p, 0), history(g, "lnc"));
                        })->src());
        });
    add("lr_slope", "strength", "m",
        "least-squares slope of ln(close) on the candle index over {0} candles (log return per "
        "candle)",
        {{20}, {50}}, [](Graph& g, const P& p) { return out(linreg(g, at(p, 0))->src(0)); });
    add("lr_r2", "strength", "m", "R^2 of that least-squares line over {0} candles", {{20}, {50}},
        [](Graph& g, const P& p) { return out(linreg(g, at(p, 0))->src(1)); });

    // Statistics.
    add("logret", "statistics", "n", "log return: ln(close / close {0} candles before)",
        {{1}, {2}, {3}, {5}, {10}, {20}, {50}},
        [](Graph& g, const P& p) { return out(change(g, at(p, 0))->src(2)); });
    add("skew", "statistics", "m",
        "skewness m3 / m2^1.5 of the last {0} one-candle log returns (population moments)",
        {{20}, {50}}, [](Graph& g, const P& p) { return out(moments34(g, at(p, 0))->src(0)); });
    add("kurt", "statistics", "m",
        "excess kurtosis m4 / m2^2 - 3 of the last {0} one-candle log returns", {{20}, {50}},
        [](Graph& g, const P& p) { return out(moments34(g, at(p, 0))->src(1)); });
    add("zscore", "statistics", "n",
        "z-score of the close: (close - sma_{0}) / population std of the close over {0}",
        {{20}, {50}, {100}}, [](Graph& g, const P& p) {
            auto* m = moments(g, "c", close_src(g), at(p, 0));
            m->want_z();
            return out(m->src(4));
        });

    // Candle shape.
    struct ShapeOut {
        const char* name;
        int k;
        const char* def;
    };
    const ShapeOut shapes[] = {
        {"candle_body", 0, "(close - open) / (high - low)"},
        {"candle_upper", 1, "upper wick: (high - max(open, close)) / (high - low)"},
        {"candle_lower", 2, "lower wick: (min(open, close) - low) / (high - low)"},
        {"candle_range", 3, "(high - low) / close"},
        {"candle_ret", 4, "close / open - 1"},
        {"close_pos", 5, "(close - low) / (high - low)"},
        {"candle_gap", 6, "open / previous close - 1"},
    };
    for (const ShapeOut& s : shapes) {
        int k = s.k;
        add(s.name, "candle", "", s.def, {{}},
            [k](Graph& g, const P&) { return out(shape(g)->src(k)); });
    }

    // Time of the candle's open, UTC.
    const ShapeOut times[] = {
        {"hour_sin", 0, "sin(2 pi t / 24 h), t the time of day of the candle's open (UTC)"},
        {"hour_cos", 1, "cos(2 pi t / 24 h)"},
        {"dow_sin", 2, "sin(2 pi d / 7), d the day of the week of the open (Monday 0, UTC)"},
        {"dow_cos", 3, "cos(2 pi d / 7)"},
    };
    for (const ShapeOut& s : times) {
        int k = s.k;
        add(s.name, "time", "", s.def, {{}},
            [k](Graph& g, const P&) { return out(calendar(g)->src(k)); });
    }

    // Cross-asset, against BTC-USDT's candle of the same bar and time.
    add(
        "btc_ret", "cross", "n",
        "BTC-USDT's log return over {0} candles, ln(c / c {0} before), at this candle's time",
        {{1}},
        [](Graph& g, const P& p) {
            std::size_t n = at(p, 0);
            return out(g.get<nodes::RefValue>("refret:" + num(n), [&] {
                            return g.make<nodes::RefValue>(false, n);
                        })->src());
        },
        "{0}+1 BTC-USDT candles; null for BTC-USDT");
    add(
        "btc_rvol", "cross", "n",
        "BTC-USDT's rvol_{0} (std of its last {0} one-candle log returns) at this candle's time",
        {{20}},
        [](Graph& g, const P& p) {
            std::size_t n = at(p, 0);
            return out(g.get<nodes::RefValue>("refvol:" + num(n), [&] {
                            return g.make<nodes::RefValue>(true, n);
                        })->src());
        },
        "{0}+1 BTC-USDT candles; null for BTC-USDT");
    add(
        "corr_btc", "cross", "m",
        "Pearson correlation of this instrument's one-candle log returns with BTC-USDT's at the "
        "same times, over the last {0} candles",
        {{20}, {50}}, [](Graph& g, const P& p) { return out(pair(g, at(p, 0))->src(0)); },
        "{0}+1 candles of both; null for BTC-USDT");
    add(
        "beta_btc", "cross", "m",
        "beta to BTC-USDT: cov(r, r_btc) / var(r_btc) of one-candle log returns over the last "
        "{0} candles (population moments)",
        {{20}, {50}}, [](Graph& g, const P& p) { return out(pair(g, at(p, 0))->src(1)); },
        "{0}+1 candles of both; null for BTC-USDT");

    // News, from the news messages of the stream (not in the default set). An item counts for
    // a candle from the candle whose close (ts + bar) is at or after the item's ts, and only
    // if its line came before the candle's; per symbol: the items whose symbols hold the
    // candle's inst; market-wide (news_mkt_*): every item, whatever it names.
    struct NewsFamily {
        const char* scope;
        const char* who;
    };
    const NewsFamily news_scopes[] = {
        {"news", "the items naming this instrument"},
        {"news_mkt", "all items (market-wide)"},
    };
    for (const NewsFamily& nf : news_scopes) {
        const std::string scope = nf.scope;
        const std::string who = nf.who;
        auto news_add = [&](const std::string& family, const std::string& params,
                            const std::string& def, std::vector<P> defaults,
                            const std::string& note) {
            add(
                family, "news", params, def, std::move(defaults),
                [family](Graph& g, const P& p) {
                    const std::size_t k = g.news_slot(*news_query(family, p));
                    return out(g.get<nodes::NewsValue>("news:" + num(k), [&] {
                                    return g.make<nodes::NewsValue>(k);
                                })->src());
                },
                note);
            f.back().opt_in = true;
        };
        std::string sent = "decayed sentiment of ";
        sent += who;
        sent += " public by the close: sum of sentiment 2^(-age / {0} h), age = close - item ts "
                "(unscored items left out; 0 before any)";
        news_add(scope + "_sent", "x", sent, {{1}, {24}}, {});
        std::string mean = "decayed mean sentiment of ";
        mean += who;
        mean += ": ";
        mean += scope;
        mean += "_sent_{0} / the sum of the weights 2^(-age / {0} h) of the scored items";
        news_add(scope + "_sent_mean", "x", mean, {{1}, {24}}, "1; null before a scored item");
        std::string count = "count of ";
        count += who;
        count += " with close - {0} h < ts <= close";
        news_add(scope + "_count", "x", count, {{1}, {24}}, {});
        std::string age = "hours from the latest of ";
        age += who;
        age += " public by the close (ts <= close) to the close";
        news_add(scope + "_age", "", age, {{}}, "1; null before an item");
    }
    return f;
}

} // namespace

const std::vector<Family>& families() {
    static const std::vector<Family> all = make_families();
    return all;
}

} // namespace okxkit::features
