// Internal to lib/features: builders of the shared indicator nodes that feature families
// are made of, keyed so that features needing the same node share it (see Graph::get).
#pragma once

#include "features/graph.hpp"
#include "features/nodes.hpp"
#include "features/nodes_more.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::features::build {

// A feature's parameters, in the order of its family's name (macd_12_26_9: 12, 26, 9).
using P = std::vector<double>;

// Parameter i as a count.
std::size_t at(const P& p, std::size_t i);

// The canonical text of a parameter: integers without a point, others shortest round trip.
std::string param_text(double v);

// A count as text, for node keys.
std::string num(std::size_t n);

// The close of the current candle.
Src close_src(Graph& g);

// The shared recent closes ("c") and log closes ("lnc").
nodes::History* history(Graph& g, const std::string& key);

nodes::Moments* moments(Graph& g, const std::string& key, Src s, std::size_t n);

nodes::EmaNode* ema(Graph& g, const std::string& key, Src s, std::size_t n);

nodes::Wma* wma(Graph& g, const std::string& key, Src s, std::size_t n);

nodes::Lin* lin(Graph& g, const std::string& key, std::array<double, 3> k, std::array<Src, 3> s,
                int used);

nodes::Ratio* ratio_node(Graph& g, const std::string& key, Src x, Src y, double k, double b);

nodes::Diffs* diffs(Graph& g);

nodes::Extremes* extremes(Graph& g, std::size_t n);

nodes::Atr* atr(Graph& g, std::size_t n);

nodes::Rsi* rsi(Graph& g, std::size_t n);

nodes::Change* change(Graph& g, std::size_t n);

nodes::TrueRangeSum* tr_sum(Graph& g, std::size_t n);

nodes::Er* er_node(Graph& g, std::size_t n);

nodes::Dmi* dmi(Graph& g, std::size_t n);

nodes::Aroon* aroon(Graph& g, std::size_t n);

nodes::CandleShape* shape(Graph& g);

nodes::Calendar* calendar(Graph& g);

nodes::VolumeLines* volume_lines(Graph& g);

nodes::Vwap* vwap(Graph& g);

nodes::TermSum* term_sum(Graph& g, nodes::TermSum::Term term, std::size_t n);

nodes::Bands* bollinger(Graph& g, std::size_t n, double k);

nodes::Bands* keltner(Graph& g, std::size_t n, double k);

nodes::Bands* donchian(Graph& g, std::size_t n);

// MACD(f, s, g): out of the returned Lin nodes: macd line, signal, histogram.
struct Macd {
    Src line, signal, hist;
};

Macd macd(Graph& g, std::size_t f, std::size_t s, std::size_t sig);

// The moving averages of the trend family, by kind: the node and where its distance and slope
// outputs go (see Node::want_dist_slope).
struct Ma {
    Node* node;
    int ds;
};

Ma moving_average_node(Graph& g, std::string_view kind, const P& p);

Src moving_average(Graph& g, std::string_view kind, const P& p);

FeatureSlot out(Src s);

std::string joined(const P& p);

nodes::RangePos* stoch(Graph& g, std::size_t n);

nodes::RangePos* stochrsi(Graph& g, std::size_t n, std::size_t m);

nodes::LinReg* linreg(Graph& g, std::size_t n);

nodes::Shape* moments34(Graph& g, std::size_t n);

nodes::Pair* pair(Graph& g, std::size_t n);

// The distance (k = 0) or slope (k = 1) output of a moving average.
Src dist_slope(Graph& g, const std::string& kind, const P& p, int k);

} // namespace okxkit::features::build
