// The feature families: names, parameters, definitions, the default set, and how each
// feature is built from shared indicator nodes.
#include "features/graph.hpp"
#include "features/nodes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

namespace okxkit::features {

namespace {

using P = std::vector<double>;
using nodes::Bands;
using nodes::TermSum;

std::size_t at(const P& p, std::size_t i) {
    return static_cast<std::size_t>(p[i]);
}

// The canonical text of a parameter: integers without a point, others shortest round trip.
std::string param_text(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return {buf, end};
}

std::string num(std::size_t n) {
    return std::to_string(n);
}

// --- shared nodes ---------------------------------------------------------------------------

Src close_src(Graph& g) {
    return {&g.current().c, 1};
}

// The shared recent closes ("c") and log closes ("lnc").
nodes::History* history(Graph& g, const std::string& key) {
    const double* src = key == "c" ? &g.current().c : &g.current().lnc;
    return g.get<nodes::History>("hist:" + key, [&] { return g.make<nodes::History>(src); });
}

nodes::Moments* moments(Graph& g, const std::string& key, Src s, std::size_t n) {
    return g.get<nodes::Moments>("mom:" + key + ":" + num(n), [&] {
        // Windows of the close read the shared history of closes.
        nodes::History* h = nullptr;
        if (key == "c") {
            h = history(g, "c");
            h->need(n);
        }
        return g.make<nodes::Moments>(s, n, h);
    });
}

nodes::EmaNode* ema(Graph& g, const std::string& key, Src s, std::size_t n) {
    return g.get<nodes::EmaNode>("ema:" + key + ":" + num(n),
                                 [&] { return g.make<nodes::EmaNode>(s, n); });
}

nodes::Wma* wma(Graph& g, const std::string& key, Src s, std::size_t n) {
    return g.get<nodes::Wma>("wma:" + key + ":" + num(n), [&] {
        nodes::History* h = nullptr;
        if (key == "c") {
            h = history(g, "c");
            h->need(n);
        }
        return g.make<nodes::Wma>(s, n, h);
    });
}

nodes::Lin* lin(Graph& g, const std::string& key, std::array<double, 3> k, std::array<Src, 3> s,
                int used) {
    return g.get<nodes::Lin>("lin:" + key, [&] { return g.make<nodes::Lin>(k, s, used); });
}

nodes::Ratio* ratio_node(Graph& g, const std::string& key, Src x, Src y, double k, double b) {
    return g.get<nodes::Ratio>("ratio:" + key, [&] { return g.make<nodes::Ratio>(x, y, k, b); });
}

nodes::Diffs* diffs(Graph& g) {
    return g.get<nodes::Diffs>("diffs", [&g] { return g.make<nodes::Diffs>(); });
}

nodes::Extremes* extremes(Graph& g, std::size_t n) {
    return g.get<nodes::Extremes>("ext:hl:" + num(n), [&] { return g.make<nodes::Extremes>(n); });
}

nodes::Atr* atr(Graph& g, std::size_t n) {
    return g.get<nodes::Atr>("atr:" + num(n), [&] { return g.make<nodes::Atr>(n); });
}

nodes::Rsi* rsi(Graph& g, std::size_t n) {
    return g.get<nodes::Rsi>("rsi:" + num(n), [&] { return g.make<nodes::Rsi>(n); });
}

nodes::Change* change(Graph& g, std::size_t n) {
    return g.get<nodes::Change>("chg:" + num(n), [&] {
        return g.make<nodes::Change>(n, history(g, "c"), history(g, "lnc"));
    });
}

nodes::TrueRangeSum* tr_sum(Graph& g, std::size_t n) {
    return g.get<nodes::TrueRangeSum>("trsum:" + num(n),
                                      [&] { return g.make<nodes::TrueRangeSum>(n); });
}

nodes::Er* er_node(Graph& g, std::size_t n) {
    return g.get<nodes::Er>("er:" + num(n), [&] { return g.make<nodes::Er>(n, history(g, "c")); });
}

nodes::Dmi* dmi(Graph& g, std::size_t n) {
    return g.get<nodes::Dmi>("dmi:" + num(n), [&] { return g.make<nodes::Dmi>(n); });
}

nodes::Aroon* aroon(Graph& g, std::size_t n) {
    return g.get<nodes::Aroon>("aroon:" + num(n), [&] { return g.make<nodes::Aroon>(n); });
}

nodes::CandleShape* shape(Graph& g) {
    return g.get<nodes::CandleShape>("shape", [&g] { return g.make<nodes::CandleShape>(); });
}

nodes::Calendar* calendar(Graph& g) {
    return g.get<nodes::Calendar>("cal", [&g] { return g.make<nodes::Calendar>(); });
}

nodes::VolumeLines* volume_lines(Graph& g) {
    return g.get<nodes::VolumeLines>("vlines", [&g] { return g.make<nodes::VolumeLines>(); });
}

nodes::Vwap* vwap(Graph& g) {
    return g.get<nodes::Vwap>("vwap", [&g] { return g.make<nodes::Vwap>(); });
}

nodes::TermSum* term_sum(Graph& g, TermSum::Term term, std::size_t n) {
    return g.get<nodes::TermSum>("term:" + num(static_cast<std::size_t>(term)) + ":" + num(n),
                                 [&] { return g.make<nodes::TermSum>(term, n); });
}

nodes::Bands* bollinger(Graph& g, std::size_t n, double k) {
    return g.get<nodes::Bands>("bb:" + num(n) + ":" + param_text(k), [&] {
        auto* m = moments(g, "c", close_src(g), n);
        m->want_std();
        return g.make<nodes::Bands>(Bands::Kind::kBollinger, m->src(0), m->src(1), Src{}, Src{}, k);
    });
}

nodes::Bands* keltner(Graph& g, std::size_t n, double k) {
    return g.get<nodes::Bands>("kc:" + num(n) + ":" + param_text(k), [&] {
        auto* e = ema(g, "c", close_src(g), n);
        auto* a = atr(g, n);
        return g.make<nodes::Bands>(Bands::Kind::kKeltner, e->src(), a->src(), Src{}, Src{}, k);
    });
}

nodes::Bands* donchian(Graph& g, std::size_t n) {
    return g.get<nodes::Bands>("dc:" + num(n), [&] {
        auto* e = extremes(g, n);
        return g.make<nodes::Bands>(Bands::Kind::kDonchian, Src{}, Src{}, e->src(0), e->src(1), 0);
    });
}

// MACD(f, s, g): out of the returned Lin nodes: macd line, signal, histogram.
struct Macd {
    Src line, signal, hist;
};
Macd macd(Graph& g, std::size_t f, std::size_t s, std::size_t sig) {
    std::string id = num(f) + ":" + num(s);
    auto* ef = ema(g, "c", close_src(g), f);
    auto* es = ema(g, "c", close_src(g), s);
    auto* line = lin(g, "macd:" + id, {1, -1, 0}, {ef->src(), es->src(), Src{}}, 2);
    auto* signal = ema(g, "macd:" + id, line->src(), sig);
    auto* hist =
        lin(g, "macdh:" + id + ":" + num(sig), {1, -1, 0}, {line->src(), signal->src(), Src{}}, 2);
    return {line->src(), signal->src(), hist->src()};
}

// The moving averages of the trend family, by kind: the node and where its distance and slope
// outputs go (see Node::want_dist_slope).
struct Ma {
    Node* node;
    int ds;
};
Ma moving_average_node(Graph& g, std::string_view kind, const P& p) {
    std::size_t n = at(p, 0);
    Src c = close_src(g);
    if (kind == "sma") {
        return {moments(g, "c", c, n), 2};
    }
    if (kind == "ema") {
        return {ema(g, "c", c, n), 1};
    }
    if (kind == "wma") {
        return {wma(g, "c", c, n), 1};
    }
    if (kind == "dema" || kind == "tema") {
        auto* e1 = ema(g, "c", c, n);
        auto* e2 = ema(g, "ema:c:" + num(n), e1->src(), n);
        if (kind == "dema") {
            return {lin(g, "dema:" + num(n), {2, -1, 0}, {e1->src(), e2->src(), Src{}}, 2), 1};
        }
        auto* e3 = ema(g, "ema:ema:c:" + num(n) + ":" + num(n), e2->src(), n);
        return {lin(g, "tema:" + num(n), {3, -3, 1}, {e1->src(), e2->src(), e3->src()}, 3), 1};
    }
    if (kind == "kama") {
        return {
            g.get<nodes::Kama>("kama:" + num(n) + ":" + param_text(p[1]) + ":" + param_text(p[2]),
                               [&] {
                                   Src er = er_node(g, n)->src();
                                   return g.make<nodes::Kama>(n, p[1], p[2], er);
                               }),
            1};
    }
    // hma: WMA over floor(sqrt n) of 2 WMA(n/2) - WMA(n).
    auto* half = wma(g, "c", c, n / 2);
    auto* full = wma(g, "c", c, n);
    auto* raw = lin(g, "hmaraw:" + num(n), {2, -1, 0}, {half->src(), full->src(), Src{}}, 2);
    auto root = static_cast<std::size_t>(std::floor(std::sqrt(static_cast<double>(n))));
    return {wma(g, "hmaraw:" + num(n), raw->src(), root), 1};
}

Src moving_average(Graph& g, std::string_view kind, const P& p) {
    return moving_average_node(g, kind, p).node->src(0);
}

FeatureSlot out(Src s) {
    return {s.p, s.warm, {}};
}

std::string joined(const P& p) {
    std::string s;
    for (double v : p) {
        if (!s.empty()) {
            s += '_';
        }
        s += param_text(v);
    }
    return s;
}

nodes::RangePos* stoch(Graph& g, std::size_t n) {
    auto* e = extremes(g, n);
    return g.get<nodes::RangePos>("rp:c:" + num(n),
                                  [&] { return g.make<nodes::RangePos>(close_src(g), e); });
}

nodes::RangePos* stochrsi(Graph& g, std::size_t n, std::size_t m) {
    auto* r = rsi(g, n);
    std::string key = num(n) + ":" + num(m);
    auto* e = g.get<nodes::Extremes>("ext:rsi:" + key,
                                     [&] { return g.make<nodes::Extremes>(r->src(), m); });
    return g.get<nodes::RangePos>("rp:rsi:" + key,
                                  [&] { return g.make<nodes::RangePos>(r->src(), e); });
}

nodes::LinReg* linreg(Graph& g, std::size_t n) {
    return g.get<nodes::LinReg>("lr:" + num(n),
                                [&] { return g.make<nodes::LinReg>(n, history(g, "lnc")); });
}

nodes::Shape* moments34(Graph& g, std::size_t n) {
    return g.get<nodes::Shape>("shape4:" + num(n), [&] { return g.make<nodes::Shape>(n); });
}

nodes::Pair* pair(Graph& g, std::size_t n) {
    return g.get<nodes::Pair>("pair:" + num(n), [&] { return g.make<nodes::Pair>(n); });
}

// The distance (k = 0) or slope (k = 1) output of a moving average.
Src dist_slope(Graph& g, const std::string& kind, const P& p, int k) {
    Ma m = moving_average_node(g, kind, p);
    m.node->want_dist_slope(m.ds);
    return m.node->src(m.ds + k);
}

// --- the families ---------------------------------------------------------------------------

using Build = std::function<FeatureSlot(Graph&, const P&)>;

// Parameter kinds: 'n' integer >= 1, 'm' integer >= 2, 'x' number > 0.
struct Family {
    std::string name;
    std::string group;
    std::string params;
    std::string definition;  // {0} {1} {2}: the parameters; {p}: all of them joined by '_'
    std::vector<P> defaults; // parameter sets in the default set, in order
    Build build;
    std::string warm_note = {}; // for --list where the warm-up is not a count of candles
};

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
    return f;
}

const std::vector<Family>& families() {
    static const std::vector<Family> all = make_families();
    return all;
}

// Replaces {0} {1} {2} and {p} in a template.
std::string expand(std::string_view tmpl, const P& p) {
    std::string s;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] == '{' && i + 2 < tmpl.size() && tmpl[i + 2] == '}') {
            char c = tmpl[i + 1];
            if (c == 'p') {
                s += joined(p);
                i += 2;
                continue;
            }
            if (c >= '0' && c <= '2' && static_cast<std::size_t>(c - '0') < p.size()) {
                s += param_text(p[static_cast<std::size_t>(c - '0')]);
                i += 2;
                continue;
            }
        }
        s += tmpl[i];
    }
    return s;
}

std::string canonical(const Family& f, const P& p) {
    return p.empty() ? f.name : f.name + "_" + joined(p);
}

std::string synopsis(const Family& f) {
    std::string s = f.name;
    for (char k : f.params) {
        s += k == 'x' ? "_X" : "_N";
    }
    return s;
}

struct Parsed {
    const Family* family;
    P params;
};

// Splits "macd_hist_12_26_9" into its family and parameters, and checks them.
Parsed parse_name(const std::string& name) {
    // The family is the longest run of leading tokens that are not numbers.
    std::vector<std::string> tokens;
    std::size_t pos = 0;
    while (pos <= name.size()) {
        std::size_t us = name.find('_', pos);
        tokens.push_back(name.substr(pos, us == std::string::npos ? us : us - pos));
        if (us == std::string::npos) {
            break;
        }
        pos = us + 1;
    }
    std::size_t k = 0;
    std::string fam;
    while (k < tokens.size() && !tokens[k].empty() &&
           !(tokens[k][0] >= '0' && tokens[k][0] <= '9') && tokens[k][0] != '.') {
        if (!fam.empty()) {
            fam += '_';
        }
        fam += tokens[k];
        ++k;
    }
    const Family* f = nullptr;
    for (const Family& cand : families()) {
        if (cand.name == fam) {
            f = &cand;
            break;
        }
    }
    if (f == nullptr) {
        throw std::invalid_argument("unknown feature \"" + name +
                                    "\" (featurize --list shows every family)");
    }
    P params;
    for (std::size_t i = k; i < tokens.size(); ++i) {
        double v = 0;
        const std::string& t = tokens[i];
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) {
            std::string msg = "feature \"" + name + "\": \"";
            msg += t;
            msg += "\" is not a number (write it as ";
            msg += synopsis(*f);
            msg += ")";
            throw std::invalid_argument(msg);
        }
        params.push_back(v);
    }
    if (params.size() != f->params.size()) {
        throw std::invalid_argument("feature \"" + name + "\" takes " +
                                    std::to_string(f->params.size()) + " parameter" +
                                    (f->params.size() == 1 ? "" : "s") + ": " + synopsis(*f));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        double v = params[i];
        char kind = f->params[i];
        bool integer = v == std::floor(v);
        if ((kind == 'n' && (!integer || v < 1 || v > 100000)) ||
            (kind == 'm' && (!integer || v < 2 || v > 100000)) ||
            (kind == 'x' && (v <= 0 || v > 1000))) {
            throw std::invalid_argument("feature \"" + name + "\": parameter " +
                                        std::to_string(i + 1) + " must be " +
                                        (kind == 'n'   ? "an integer from 1 to 100000"
                                         : kind == 'm' ? "an integer from 2 to 100000"
                                                       : "a number above 0 and at most 1000"));
        }
    }
    if (canonical(*f, params) != name) {
        throw std::invalid_argument("feature \"" + name + "\": write it as " +
                                    canonical(*f, params));
    }
    return {f, std::move(params)};
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace

FeatureSlot build_feature(Graph& g, const std::string& name) {
    Parsed parsed = parse_name(name);
    FeatureSlot o = parsed.family->build(g, parsed.params);
    if (!parsed.family->warm_note.empty()) {
        o.warm_text = expand(parsed.family->warm_note, parsed.params);
    }
    return o;
}

FeatureSet FeatureSet::default_set() {
    FeatureSet s;
    for (const Family& f : families()) {
        for (const P& p : f.defaults) {
            s.names_.push_back(canonical(f, p));
        }
    }
    return s;
}

FeatureSet FeatureSet::from_names(std::span<const std::string> names) {
    FeatureSet s;
    std::set<std::string> seen;
    for (const std::string& n : names) {
        parse_name(n);
        if (!seen.insert(n).second) {
            throw std::invalid_argument("feature \"" + n + "\" is listed twice");
        }
        s.names_.push_back(n);
    }
    if (s.names_.empty()) {
        throw std::invalid_argument("the feature set is empty");
    }
    return s;
}

FeatureSet FeatureSet::from_toml_file(const std::string& path) {
    toml::table t;
    if (!std::ifstream(path)) {
        throw std::invalid_argument(path + ": cannot open the feature set file");
    }
    try {
        t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << path << ":" << e.source().begin.line << ": " << e.description();
        throw std::invalid_argument(where.str());
    }
    auto fail = [&](const toml::node& node, const std::string& msg) {
        throw std::invalid_argument(path + ":" + std::to_string(node.source().begin.line) + ": " +
                                    msg);
    };
    auto strings = [&](std::string_view key) {
        std::vector<std::string> out;
        const toml::node* node = t.get(key);
        if (node == nullptr) {
            return out;
        }
        const toml::array* arr = node->as_array();
        if (arr == nullptr) {
            fail(*node, "\"" + std::string(key) + "\" must be an array of feature names");
        }
        for (const toml::node& el : *arr) {
            if (!el.is_string()) {
                fail(el, "\"" + std::string(key) + "\" must hold strings");
            }
            out.push_back(*el.value<std::string>());
        }
        return out;
    };
    for (const auto& [k, node] : t) {
        if (k != "default" && k != "features" && k != "exclude") {
            fail(node, "unknown key \"" + std::string(k.str()) +
                           "\" (a feature set has default, features and exclude)");
        }
    }
    bool use_default = t.get("features") == nullptr;
    if (const toml::node* d = t.get("default")) {
        if (!d->is_boolean()) {
            fail(*d, "\"default\" must be true or false");
        }
        use_default = *d->value<bool>();
    }
    std::vector<std::string> names;
    if (use_default) {
        names = default_set().names();
    }
    auto line_of = [&](std::string_view key) {
        return path + ":" + std::to_string(t.get(key)->source().begin.line) + ": ";
    };
    for (std::string& n : strings("features")) {
        try {
            parse_name(n);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(line_of("features") + e.what());
        }
        if (std::find(names.begin(), names.end(), n) != names.end()) {
            throw std::invalid_argument(line_of("features") + "feature \"" + n +
                                        "\" is listed twice" +
                                        (use_default ? " (it is in the default set)" : ""));
        }
        names.push_back(std::move(n));
    }
    for (const std::string& n : strings("exclude")) {
        auto it = std::find(names.begin(), names.end(), n);
        if (it == names.end()) {
            throw std::invalid_argument(line_of("exclude") + "\"" + n +
                                        "\" is not in the set, so it cannot be excluded");
        }
        names.erase(it);
    }
    try {
        return from_names(names);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ": " + e.what());
    }
}

std::string FeatureSet::hash() const {
    std::uint64_t h = fnv1a("okxkit-features-v1", 0xcbf29ce484222325ULL);
    for (const std::string& n : names_) {
        h = fnv1a("\n", h);
        h = fnv1a(n, h);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = kHex[h & 15];
        h >>= 4;
    }
    return s;
}

std::vector<FeatureInfo> FeatureSet::describe() const {
    std::vector<FeatureInfo> out;
    FeatureSet one;
    for (const std::string& n : names_) {
        Parsed parsed = parse_name(n);
        one.names_.assign(1, n);
        Graph g(one);
        const FeatureSlot& o = g.outputs().front();
        out.push_back(FeatureInfo{n, parsed.family->group,
                                  expand(parsed.family->definition, parsed.params), o.warm,
                                  o.warm_text.empty() ? std::to_string(o.warm) : o.warm_text});
    }
    return out;
}

std::vector<std::string> family_synopses() {
    std::vector<std::string> out;
    for (const Family& f : families()) {
        out.push_back(synopsis(f));
    }
    return out;
}

} // namespace okxkit::features
