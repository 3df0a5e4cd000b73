// Internal to lib/features: the indicator graph of one series (nodes shared by key, updated
// level by level in dependency order, each level grouped by node type) and the candle every
// node reads.
#pragma once

#include "features/engine.hpp"
#include "features/news_book.hpp"
#include "features/primitives.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace okxkit::features {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// BTC-USDT's state at the time of the candle being processed, for cross-asset features.
class Reference {
public:
    Reference(std::vector<std::size_t> lags, std::vector<std::size_t> windows);
    // Adds BTC-USDT's candle; `adjacent` is false after missing bars (then the state restarts).
    void push(double close, bool adjacent);
    void reset();
    // ln(c_t / c_{t-k}), NaN when fewer than k+1 adjacent candles.
    [[nodiscard]] double ret(std::size_t k) const;
    // Population standard deviation of the last n one-bar log returns, NaN before n returns.
    [[nodiscard]] double rvol(std::size_t n) const;

private:
    std::vector<std::size_t> lags_;
    std::vector<std::size_t> windows_;
    Ring closes_;
    std::vector<WindowMoments> rets_;
};

// What the nodes read for the current candle.
struct CurrentCandle {
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, v = 0;
    double prev_c = 0;   // previous close (n >= 2)
    double tp = 0;       // typical price (h + l + c) / 3
    double hl2 = 0;      // median price (h + l) / 2
    double tr = 0;       // true range max(h, prev_c) - min(l, prev_c) (n >= 2)
    double ret1 = 0;     // ln(c / prev_c) (n >= 2)
    double lnc = 0;      // ln(c)
    double lnhl = 0;     // ln(h / l)
    double lnco = 0;     // ln(c / o)
    std::uint64_t n = 0; // candles since the start or the last reset, this one included
    // BTC-USDT at this candle's time, or null when not available (or this is BTC-USDT).
    const Reference* ref = nullptr;
    // The values of the set's news queries at this candle's close (see Graph::news_slot), or
    // null when the candle comes without them (the single-series kernel).
    const double* news = nullptr;
};

// A value some node produces and the candle count from which it is valid.
struct Src {
    const double* p = nullptr;
    std::uint64_t warm = 1;
};

class Node {
public:
    virtual ~Node() = default;
    Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    virtual void update(const CurrentCandle& t) = 0;
    // How many values a node type produces (a subclass with more says so).
    static constexpr int kOutputs = 1;
    static constexpr int kMaxOutputs = 8;
    // Output k (k < kOutputs), valid from candle warm[k] on. Each output lives where the graph
    // put it (Graph::get): a value that is a feature sits at its place in the row of values the
    // graph returns, so no copy is needed; the others in a slab shared by the graph's nodes.
    double& o(int k) { return *slot_[static_cast<std::size_t>(k)]; }
    [[nodiscard]] double o(int k) const { return *slot_[static_cast<std::size_t>(k)]; }
    std::array<double*, kMaxOutputs> slot_{};
    std::uint64_t warm[kMaxOutputs] = {1, 1, 1, 1, 1, 1, 1, 1};
    [[nodiscard]] Src src(int k = 0) const { return {slot_[static_cast<std::size_t>(k)], warm[k]}; }

    // For moving averages: also write the distance close / m - 1 to output k and the slope
    // m_t / m_{t-1} - 1 to output k + 1, computed in the same pass (see dist_slope()).
    void want_dist_slope(int k) {
        ds_ = true;
        warm[k] = warm[0];
        warm[k + 1] = warm[0] + 1;
    }

protected:
    // Called by a moving average with its valid value m; one division serves both outputs.
    // (Members and the candle are read before an output is written: an output is a double
    // the compiler must assume could be any of them.)
    void dist_slope(const CurrentCandle& t, double m, int k) {
        if (!ds_) {
            return;
        }
        const double prev = prev_inv_;
        const double c = t.c;
        const bool slope = t.n > warm[0];
        const double inv = m != 0 ? 1 / m : 0;
        prev_inv_ = inv;
        o(k) = c * inv - 1;
        if (slope) {
            o(k + 1) = m * prev - 1;
        }
    }

private:
    bool ds_ = false;
    double prev_inv_ = 0;
};

// Destroys a node that lives in a graph's memory (the memory goes with the graph).
struct DestroyNode {
    void operator()(Node* n) const { n->~Node(); }
};
template <class T> using NodePtr = std::unique_ptr<T, DestroyNode>;

// One output of the set: where its value is and from which candle it is shown.
struct FeatureSlot {
    const double* p = nullptr;
    std::uint64_t warm = 1;
    std::string warm_text; // empty: the number
};

// The nodes of one series. Nodes are shared by key ("ema:close:20"), so ema_20, dist_ema_20
// and slope_ema_20 use one EMA.
class Graph {
public:
    explicit Graph(const FeatureSet& set);
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    // Returns the node under key, creating it with make() when it does not exist yet.
    template <class T, class Make> T* get(const std::string& key, Make make) {
        auto it = by_key_.find(key);
        if (it != by_key_.end()) {
            return static_cast<T*>(it->second);
        }
        static_assert(T::kOutputs <= Node::kMaxOutputs);
        NodePtr<T> node = make();
        T* raw = node.get();
        place(raw, T::kOutputs);
        nodes_.push_back(std::move(node));
        info_.push_back(
            NodeInfo{&run_nodes<T>, T::kOutputs, sizeof(T), alignof(T), take_inputs(raw)});
        by_key_.emplace(key, raw);
        return raw;
    }
    // Constructs a node in the graph's memory; its buffers come from the arena. The node
    // depends on the nodes whose values or state its constructor arguments point at (a Src
    // into a node's outputs, or a pointer to a node); these are updated before it.
    template <class T, class... Args> NodePtr<T> make(Args&&... args) {
        std::vector<const Node*> inputs;
        (note_input(inputs, args), ...);
        Arena::Scope scope(&arena_);
        void* mem = node_memory(sizeof(T), alignof(T));
        NodePtr<T> node(new (mem) T(std::forward<Args>(args)...));
        made_.emplace_back(node.get(), std::move(inputs));
        return node;
    }
    [[nodiscard]] const CurrentCandle& current() const { return current_; }
    [[nodiscard]] Src close() const { return {&current_.c, 1}; }

    // Adds a candle (with BTC-USDT's state, or null, and the values of the news queries, or
    // null) and returns the values, NaN = null.
    std::span<const double> push(const Ohlcv& b, const Reference* ref,
                                 const double* news = nullptr);
    // The index of a news query in the row CurrentCandle::news points to: queries are numbered
    // in the order the set's features first ask for them, which is news_queries(set).
    std::size_t news_slot(const NewsQuery& q);
    void reset();
    [[nodiscard]] const std::vector<FeatureSlot>& outputs() const { return outputs_; }
    [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }

private:
    // Updates n nodes of type T: a direct (inlinable) call per node, no virtual dispatch.
    template <class T>
    static void run_nodes(Node* const* nodes, std::size_t n, const CurrentCandle& t) {
        for (std::size_t i = 0; i < n; ++i) {
            static_cast<T*>(nodes[i])->T::update(t);
        }
    }
    using RunFn = void (*)(Node* const*, std::size_t, const CurrentCandle&);
    struct NodeInfo {
        RunFn run;
        int outputs;
        std::size_t size; // of the node object
        std::size_t align;
        std::vector<const Node*> inputs;
    };
    // Consecutive nodes of the schedule of one type: run(order_ + begin, count).
    struct Run {
        RunFn run;
        std::size_t begin;
        std::size_t count;
    };
    template <class A> void note_input(std::vector<const Node*>& inputs, const A& a) {
        using D = std::decay_t<A>;
        if constexpr (std::is_same_v<D, Src>) {
            note_src(inputs, a);
        } else if constexpr (std::is_same_v<D, std::array<Src, 3>>) {
            for (const Src& s : a) {
                note_src(inputs, s);
            }
        } else if constexpr (std::is_same_v<D, const double*>) {
            note_src(inputs, Src{a, 1}); // a value of a node, or of the candle
        } else if constexpr (std::is_pointer_v<D>) {
            static_assert(std::is_base_of_v<Node, std::remove_cv_t<std::remove_pointer_t<D>>>,
                          "a node input by pointer must be a node");
            if (a != nullptr) {
                inputs.push_back(a);
            }
        } else {
            static_assert(std::is_arithmetic_v<D> || std::is_enum_v<D> ||
                              std::is_same_v<D, std::array<double, 3>>,
                          "a new kind of node input: say above how it makes a dependency");
        }
    }
    // The node whose outputs s points into, if any (not the candle's own values).
    void note_src(std::vector<const Node*>& inputs, const Src& s) const;
    std::vector<const Node*> take_inputs(const Node* n);
    void build();
    // Drops the nodes (values_ and the plan stay).
    void clear();
    // Orders the nodes in dependency levels, each level grouped by node type (schedule_).
    void schedule();
    // n zeroed doubles that never move.
    double* slab(int n);
    // Memory for the node being made: its planned place in node_block_ (update order), or
    // the arena.
    void* node_memory(std::size_t size, std::size_t align);
    // Sets the places of the outputs of the node being added (the nodes_.size()-th).
    void place(Node* n, int outputs);
    // After a first build: which node outputs are features, so that the next build puts them
    // in values_ (plan_), and what is still copied each candle (copies_); and where each
    // node object goes so that the next builds lay them out in update order (node_at_).
    void plan_layout();

    const FeatureSet* set_;
    Arena arena_; // before nodes_: destroyed after them
    // The node objects, one after the other in update order, so that a candle's pass reads
    // them as one stream (their buffers stay in the arena). Before nodes_ too.
    std::unique_ptr<std::byte[]> node_block_;
    std::byte* node_base_ = nullptr;   // node_block_ aligned to a cache line
    std::vector<std::size_t> node_at_; // per node (creation order): offset in the block
    std::vector<std::size_t> node_size_;
    std::vector<bool> node_used_;
    std::vector<NodePtr<Node>> nodes_;                                   // in creation order
    std::vector<NodeInfo> info_;                                         // per node of nodes_
    std::vector<std::pair<const Node*, std::vector<const Node*>>> made_; // made, not yet added
    std::vector<Node*> order_;                                           // update order
    std::vector<Run> runs_;
    std::vector<std::unique_ptr<double[]>> slabs_;
    std::size_t slab_used_ = 0;
    std::vector<std::uint64_t> warms_;
    std::uint64_t all_warm_ = 0; // from this candle on no output is masked
    std::unordered_map<std::string, Node*> by_key_;
    std::vector<FeatureSlot> outputs_;
    // The row returned by push(): features are written here by their nodes (once planned).
    std::vector<double> values_;
    std::vector<double> masked_; // the row during the warm-up, NaN where not valid yet
    // Per node (creation order) and output: its index in values_, or -1 (slab).
    std::vector<std::array<int, Node::kMaxOutputs>> plan_;
    // Features whose value is elsewhere (the candle's own values, or a node output that is
    // another feature too): copied into values_ after the nodes ran.
    std::vector<std::pair<std::size_t, const double*>> copies_;
    std::vector<NewsQuery> news_; // by news_slot
    CurrentCandle current_;
};

// Builds the feature `name` into g and returns its output. Throws std::invalid_argument on a
// name that is not a feature (registry.cpp).
FeatureSlot build_feature(Graph& g, const std::string& name);

// The news queries of the set's news features, in set order (registry.cpp).
std::vector<NewsQuery> news_queries(const FeatureSet& set);

} // namespace okxkit::features
