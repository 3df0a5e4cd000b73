// The shared indicator nodes of the feature families, each built once per key and graph.
#include "features/builders.hpp"

#include <charconv>
#include <cmath>

namespace okxkit::features::build {

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

} // namespace okxkit::features::build
