// The indicator graph of one series, the single-series kernel, and the stream engine with its
// cross-asset alignment, gap policy and news items.
#include "features/graph.hpp"

#include <algorithm>
#include <climits>

namespace okxkit::features {

// --- Reference ------------------------------------------------------------------------------

Reference::Reference(std::vector<std::size_t> lags, std::vector<std::size_t> windows)
    : lags_(std::move(lags)), windows_(std::move(windows)),
      closes_(*std::max_element(lags_.begin(), lags_.end()) + 1) {
    for (std::size_t n : windows_) {
        rets_.emplace_back(n);
    }
}

void Reference::reset() {
    closes_.clear();
    rets_.clear();
    for (std::size_t n : windows_) {
        rets_.emplace_back(n);
    }
}

void Reference::push(double close, bool adjacent) {
    if (!adjacent) {
        reset();
    }
    if (closes_.size() > 0) {
        double r = std::log(close / closes_.ago(0));
        for (auto& w : rets_) {
            w.push(r);
        }
    }
    closes_.push(close);
}

double Reference::ret(std::size_t k) const {
    if (k == 0 || closes_.size() <= k) {
        return kNaN;
    }
    return std::log(closes_.ago(0) / closes_.ago(k));
}

double Reference::rvol(std::size_t n) const {
    for (std::size_t i = 0; i < windows_.size(); ++i) {
        if (windows_[i] == n) {
            return rets_[i].full() ? rets_[i].stddev() : kNaN;
        }
    }
    return kNaN;
}

namespace {

// The lags and windows of BTC-USDT that the set's cross-asset features read.
Reference make_reference(const FeatureSet& set) {
    std::vector<std::size_t> lags{1};
    std::vector<std::size_t> windows;
    for (const std::string& n : set.names()) {
        if (n.rfind("btc_ret_", 0) == 0) {
            lags.push_back(std::stoul(n.substr(8)));
        } else if (n.rfind("btc_rvol_", 0) == 0) {
            windows.push_back(std::stoul(n.substr(9)));
        }
    }
    return Reference(lags, windows);
}

} // namespace

// --- Graph ----------------------------------------------------------------------------------

// The first build finds which node outputs are features; the graph is then built again with
// those outputs placed in the row it returns (the same set makes the same nodes in the same
// order). Whatever the plan missed is copied, so either build gives the same values.
Graph::Graph(const FeatureSet& set) : set_(&set) {
    build();
    plan_layout();
    values_.assign(outputs_.size(), 0.0);
    clear();
    build();
}

double* Graph::slab(int n) {
    constexpr std::size_t kChunk = 1024;
    if (slabs_.empty() || slab_used_ + static_cast<std::size_t>(n) > kChunk) {
        slabs_.push_back(std::make_unique<double[]>(kChunk));
        slab_used_ = 0;
    }
    double* p = slabs_.back().get() + slab_used_;
    slab_used_ += static_cast<std::size_t>(n);
    return p;
}

void Graph::note_src(std::vector<const Node*>& inputs, const Src& s) const {
    if (s.p == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < info_.size(); ++i) {
        const Node& n = *nodes_[i];
        for (int k = 0; k < info_[i].outputs; ++k) {
            if (n.slot_[static_cast<std::size_t>(k)] == s.p) {
                inputs.push_back(&n);
                return;
            }
        }
    }
}

void Graph::place(Node* n, int outputs) {
    const std::size_t j = nodes_.size();
    double* own = slab(outputs);
    for (int k = 0; k < outputs; ++k) {
        const auto uk = static_cast<std::size_t>(k);
        int at = j < plan_.size() ? plan_[j][uk] : -1;
        n->slot_[uk] = at >= 0 ? &values_[static_cast<std::size_t>(at)] : own + k;
    }
}

void* Graph::node_memory(std::size_t size, std::size_t align) {
    const std::size_t j = nodes_.size();
    // Only the node made right after the previous one was added is the j-th; anything else
    // (none in the registry) goes to the arena.
    if (made_.empty() && j < node_at_.size() && node_size_[j] == size && !node_used_[j] &&
        node_at_[j] % align == 0) {
        node_used_[j] = true;
        return node_base_ + node_at_[j];
    }
    return arena_.alloc(size, align);
}

void Graph::plan_layout() {
    std::unordered_map<const Node*, std::size_t> index;
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
        index.emplace(nodes_[j].get(), j);
    }
    constexpr std::size_t kLine = 64;
    node_at_.assign(nodes_.size(), 0);
    node_size_.assign(nodes_.size(), 0);
    node_used_.assign(nodes_.size(), false);
    std::size_t at = 0;
    for (const Node* n : order_) {
        const std::size_t j = index.at(n);
        const std::size_t align = std::min(info_[j].align, kLine);
        at = (at + align - 1) / align * align;
        node_at_[j] = at;
        node_size_[j] = info_[j].size;
        at += info_[j].size;
    }
    node_block_ = std::make_unique<std::byte[]>(at + kLine);
    auto base = reinterpret_cast<std::uintptr_t>(node_block_.get());
    node_base_ = node_block_.get() + ((kLine - base % kLine) % kLine);

    std::array<int, Node::kMaxOutputs> none{};
    none.fill(-1);
    plan_.assign(nodes_.size(), none);
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        for (std::size_t j = 0; j < nodes_.size(); ++j) {
            for (int k = 0; k < info_[j].outputs; ++k) {
                const auto uk = static_cast<std::size_t>(k);
                if (nodes_[j]->slot_[uk] == outputs_[i].p && plan_[j][uk] < 0) {
                    plan_[j][uk] = static_cast<int>(i);
                }
            }
        }
    }
}

std::vector<const Node*> Graph::take_inputs(const Node* n) {
    for (auto it = made_.begin(); it != made_.end(); ++it) {
        if (it->first == n) {
            std::vector<const Node*> inputs = std::move(it->second);
            made_.erase(it);
            return inputs;
        }
    }
    return {};
}

// A node's level is one more than the highest level of its inputs (0 without inputs), so
// every node comes after what it reads; nodes of one level do not read each other, and are
// grouped by type so that a run of them is one loop of direct calls. Within a level, types
// come in the order of their first node and nodes in creation order: the schedule depends
// only on the feature set.
void Graph::schedule() {
    const std::size_t n = nodes_.size();
    std::unordered_map<const Node*, std::size_t> index;
    for (std::size_t i = 0; i < n; ++i) {
        index.emplace(nodes_[i].get(), i);
    }
    std::vector<std::size_t> level(n, 0);
    std::size_t levels = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (const Node* in : info_[i].inputs) {
            std::size_t j = index.at(in); // created before i: its level is known
            level[i] = std::max(level[i], level[j] + 1);
        }
        levels = std::max(levels, level[i] + 1);
    }
    order_.clear();
    runs_.clear();
    for (std::size_t lv = 0; lv < levels; ++lv) {
        std::vector<RunFn> types;
        for (std::size_t i = 0; i < n; ++i) {
            if (level[i] == lv &&
                std::find(types.begin(), types.end(), info_[i].run) == types.end()) {
                types.push_back(info_[i].run);
            }
        }
        for (RunFn run : types) {
            Run r{run, order_.size(), 0};
            for (std::size_t i = 0; i < n; ++i) {
                if (level[i] == lv && info_[i].run == run) {
                    order_.push_back(nodes_[i].get());
                    ++r.count;
                }
            }
            runs_.push_back(r);
        }
    }
}

void Graph::build() {
    outputs_.clear();
    for (const std::string& name : set_->names()) {
        outputs_.push_back(build_feature(*this, name));
    }
    schedule();
    masked_.assign(outputs_.size(), kNaN);
    copies_.clear();
    warms_.clear();
    all_warm_ = 1;
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        const FeatureSlot& o = outputs_[i];
        if (i >= values_.size() || o.p != &values_[i]) {
            copies_.emplace_back(i, o.p);
        }
        warms_.push_back(o.warm);
        all_warm_ = std::max(all_warm_, o.warm);
    }
}

void Graph::reset() {
    clear();
    std::fill(values_.begin(), values_.end(), 0.0); // as the fresh slabs of the other outputs
    build();
}

void Graph::clear() {
    std::fill(node_used_.begin(), node_used_.end(), false);
    order_.clear();
    runs_.clear();
    info_.clear();
    made_.clear();
    nodes_.clear();
    by_key_.clear();
    arena_.clear();
    slabs_.clear();
    slab_used_ = 0;
    news_.clear();
    current_ = CurrentCandle{};
}

std::size_t Graph::news_slot(const NewsQuery& q) {
    auto it = std::find(news_.begin(), news_.end(), q);
    if (it != news_.end()) {
        return static_cast<std::size_t>(it - news_.begin());
    }
    news_.push_back(q);
    return news_.size() - 1;
}

std::span<const double> Graph::push(const Ohlcv& b, const Reference* ref, const double* news) {
    CurrentCandle& t = current_;
    ++t.n;
    const double lnc = std::log(b.c);
    if (t.n >= 2) {
        t.prev_c = t.c;
        t.tr = std::max(b.h, t.prev_c) - std::min(b.l, t.prev_c);
        t.ret1 = std::log(b.c / t.prev_c); // not ln c - ln prev_c: small returns keep their digits
    }
    t.ts = b.ts;
    t.o = b.o;
    t.h = b.h;
    t.l = b.l;
    t.c = b.c;
    t.v = b.v;
    t.tp = (b.h + b.l + b.c) / 3;
    t.hl2 = (b.h + b.l) / 2;
    t.lnc = lnc;
    t.lnhl = std::log(b.h / b.l);
    t.lnco = std::log(b.c / b.o);
    t.ref = ref;
    t.news = news;
    Node* const* order = order_.data();
    for (const Run& r : runs_) {
        r.run(order + r.begin, r.count, t);
    }
    for (const auto& [i, p] : copies_) {
        values_[i] = *p;
    }
    if (t.n >= all_warm_) {
        return values_;
    }
    const std::size_t n = values_.size();
    const std::uint64_t* w = warms_.data();
    for (std::size_t i = 0; i < n; ++i) {
        masked_[i] = t.n >= w[i] ? values_[i] : kNaN;
    }
    return masked_;
}

// --- Series ---------------------------------------------------------------------------------

Series::Series(const FeatureSet& set) : graph_(std::make_unique<Graph>(set)) {}
Series::~Series() = default;
Series::Series(Series&&) noexcept = default;
Series& Series::operator=(Series&&) noexcept = default;

std::span<const double> Series::push(const Ohlcv& bar) {
    return graph_->push(bar, nullptr);
}

void Series::reset() {
    graph_->reset();
}

// --- Engine ---------------------------------------------------------------------------------

struct Engine::SeriesState {
    SeriesState(std::string i, const FeatureSet& set, bool ref)
        : inst(std::move(i)), graph(set), is_ref(ref) {}
    std::string inst;
    Graph graph;
    bool is_ref;
    std::int64_t last_ts = INT64_MIN;
    std::uint64_t pending = 0; // entries of this series in the group's queue
};

struct Engine::Group {
    Group(std::string b, std::int64_t ms, const FeatureSet& set)
        : bar(std::move(b)), bar_ms(ms), ref(make_reference(set)) {}
    std::string bar;
    std::int64_t bar_ms;
    std::map<std::string, std::unique_ptr<SeriesState>, std::less<>> series;
    Reference ref;
    bool ref_seen = false;
    std::int64_t ref_ts = INT64_MIN;
    // Candles (and resets) of other instruments waiting for BTC-USDT's candle at their time.
    struct Pending {
        SeriesState* s;
        Ohlcv b;
        bool reset;   // reset the series first
        bool compute; // false: a reset alone (a gap message)
    };
    std::deque<Pending> queue;
    // The news values of the computing entries of queue, in order, as they were when each
    // candle came (an item seen after a candle never counts for it).
    std::deque<double> news_rows;
};

Engine::Engine(FeatureSet set, GapPolicy policy) : set_(std::move(set)), policy_(policy) {
    std::vector<NewsQuery> queries = news_queries(set_);
    if (!queries.empty()) {
        news_row_.assign(queries.size(), kNaN);
        news_ = std::make_unique<NewsBook>(std::move(queries));
    }
}

Engine::~Engine() = default;

void Engine::news(std::int64_t ts, std::span<const std::string> symbols, double sentiment) {
    if (news_ != nullptr) {
        news_->add(ts, symbols, sentiment);
    }
}

Engine::Group& Engine::group(std::string_view bar, std::int64_t bar_ms) {
    auto it = groups_.find(bar);
    if (it == groups_.end()) {
        it = groups_
                 .emplace(std::string(bar), std::make_unique<Group>(std::string(bar), bar_ms, set_))
                 .first;
    }
    return *it->second;
}

Engine::SeriesState& Engine::series(Group& g, std::string_view inst) {
    auto it = g.series.find(inst);
    if (it == g.series.end()) {
        it = g.series
                 .emplace(std::string(inst), std::make_unique<SeriesState>(std::string(inst), set_,
                                                                           inst == kReferenceInst))
                 .first;
    }
    return *it->second;
}

void Engine::process(Group& g, SeriesState& s, const Ohlcv& b, bool cross_ok, const double* news,
                     const Sink& sink) {
    std::span<const double> v = s.graph.push(b, cross_ok ? &g.ref : nullptr, news);
    sink(Emitted{b.ts, s.inst, g.bar, v});
}

void Engine::release(Group& g, std::int64_t upto, bool inclusive, const Sink& sink) {
    while (!g.queue.empty()) {
        Group::Pending& p = g.queue.front();
        if (p.b.ts > upto || (p.b.ts == upto && !inclusive)) {
            break;
        }
        Group::Pending item = p;
        g.queue.pop_front();
        --item.s->pending;
        if (item.reset) {
            item.s->graph.reset();
        }
        if (item.compute) {
            const double* news = nullptr;
            if (news_ != nullptr) {
                std::copy_n(g.news_rows.begin(), news_row_.size(), news_row_.begin());
                g.news_rows.erase(g.news_rows.begin(),
                                  g.news_rows.begin() +
                                      static_cast<std::ptrdiff_t>(news_row_.size()));
                news = news_row_.data();
            }
            process(g, *item.s, item.b, g.ref_seen && g.ref_ts == item.b.ts, news, sink);
        }
    }
}

bool Engine::candle(std::string_view inst, std::string_view bar, std::int64_t bar_ms,
                    const Ohlcv& b, const Sink& sink) {
    Group& g = group(bar, bar_ms);
    SeriesState& s = series(g, inst);
    if (b.ts <= s.last_ts) {
        return false;
    }
    const bool missing = s.last_ts != INT64_MIN && b.ts != s.last_ts + bar_ms;
    const bool reset = missing && policy_ != GapPolicy::kIgnore;
    s.last_ts = b.ts;
    if (reset) {
        ++resets_;
    }
    // Whatever waits for an earlier time will not see BTC-USDT's candle of that time now.
    release(g, b.ts, false, sink);
    // The news values of this candle: the items seen so far that are public by its close.
    const double* news = nullptr;
    if (news_ != nullptr) {
        news_->values(inst, b.ts + bar_ms, news_row_.data());
        news = news_row_.data();
    }
    if (s.is_ref) {
        g.ref.push(b.c, !reset);
        g.ref_seen = true;
        g.ref_ts = b.ts;
        if (reset) {
            s.graph.reset();
        }
        process(g, s, b, false, news, sink);
        release(g, b.ts, true, sink);
        return true;
    }
    if ((g.ref_seen && g.ref_ts < b.ts) || s.pending > 0) {
        g.queue.push_back(Group::Pending{&s, b, reset, true});
        ++s.pending;
        if (news != nullptr) {
            g.news_rows.insert(g.news_rows.end(), news_row_.begin(), news_row_.end());
        }
        return true;
    }
    if (reset) {
        s.graph.reset();
    }
    process(g, s, b, g.ref_seen && g.ref_ts == b.ts, news, sink);
    return true;
}

bool Engine::is_new(std::string_view inst, std::string_view bar, std::int64_t ts) const {
    auto git = groups_.find(bar);
    if (git == groups_.end()) {
        return true;
    }
    auto sit = git->second->series.find(inst);
    return sit == git->second->series.end() || ts > sit->second->last_ts;
}

void Engine::gap(std::string_view inst, std::string_view bar, const Sink& sink) {
    (void)sink;
    if (policy_ != GapPolicy::kReset) {
        return;
    }
    auto git = groups_.find(bar);
    if (git == groups_.end()) {
        return;
    }
    Group& g = *git->second;
    auto sit = g.series.find(inst);
    if (sit == g.series.end()) {
        return;
    }
    SeriesState& s = *sit->second;
    ++resets_;
    if (s.is_ref) {
        g.ref.reset();
    }
    if (s.pending > 0) {
        // After the candles of this series still waiting, in order.
        g.queue.push_back(Group::Pending{&s, Ohlcv{s.last_ts, 0, 0, 0, 0, 0}, true, false});
        ++s.pending;
        return;
    }
    s.graph.reset();
}

void Engine::finish(const Sink& sink) {
    for (auto& [bar, g] : groups_) {
        release(*g, INT64_MAX, true, sink);
    }
}

} // namespace okxkit::features
