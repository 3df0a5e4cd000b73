// Google Benchmark kernels of lib/features: the full default set per candle on one series, and
// the cost of one more candle after 1,000 and after 1,000,000 candles of history.
#include "core/json_out.hpp"
#include "core/shortest.hpp"
#include "features/engine.hpp"

#include <algorithm>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

namespace {

using okxkit::features::FeatureSet;
using okxkit::features::Ohlcv;
using okxkit::features::Series;

// A deterministic random walk of 5m candles around 50,000 (log returns with sd 0.2%).
class Walk {
public:
    Ohlcv next() {
        double o = c_;
        c_ = o * std::exp(ret_(rng_));
        Ohlcv b{ts_,
                o,
                std::max(o, c_) * (1 + wick_(rng_)),
                std::min(o, c_) * (1 - wick_(rng_)),
                c_,
                std::exp(vol_(rng_))};
        ts_ += 300000;
        return b;
    }

private:
    std::mt19937_64 rng_{42};
    std::normal_distribution<double> ret_{0, 0.002};
    std::uniform_real_distribution<double> wick_{0, 0.002};
    std::normal_distribution<double> vol_{3, 1};
    double c_ = 50000;
    std::int64_t ts_ = 1617235200000;
};

std::vector<Ohlcv> candles(std::size_t n) {
    Walk w;
    std::vector<Ohlcv> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(w.next());
    }
    return out;
}

// Throughput of the kernel: candles per second through the full default set.
void kernel_full_set(benchmark::State& state) {
    static const std::vector<Ohlcv> data = candles(200000);
    FeatureSet set = FeatureSet::default_set();
    Series s(set);
    std::size_t i = 0;
    double sink = 0;
    for (auto _ : state) {
        auto v = s.push(data[i]);
        sink += v[0];
        if (++i == data.size()) {
            i = 0;
            state.PauseTiming();
            s.reset(); // a new series: timestamps must move forward
            state.ResumeTiming();
        }
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
    state.counters["features"] = static_cast<double>(set.size());
}
// Percentiles over repetitions (--benchmark_repetitions=N): p10 is a fast run, p90 a slow one.
double percentile(const std::vector<double>& v, double q) {
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    auto i = static_cast<std::size_t>(std::lround(q * static_cast<double>(s.size() - 1)));
    return s[std::min(i, s.size() - 1)];
}
double p10(const std::vector<double>& v) {
    return percentile(v, 0.1);
}
double p90(const std::vector<double>& v) {
    return percentile(v, 0.9);
}

BENCHMARK(kernel_full_set)
    ->MinTime(0.5)
    ->ComputeStatistics("p10", p10)
    ->ComputeStatistics("p90", p90);

// The numbers of a features line: every value of the full set over 5,000 candles after the
// warm-up, as the tool writes them.
const std::vector<double>& feature_values() {
    static const std::vector<double> values = [] {
        const std::vector<Ohlcv> data = candles(6000);
        FeatureSet set = FeatureSet::default_set();
        Series s(set);
        std::vector<double> v;
        for (std::size_t i = 0; i < data.size(); ++i) {
            auto row = s.push(data[i]);
            if (i >= 1000) {
                v.insert(v.end(), row.begin(), row.end());
            }
        }
        return v;
    }();
    return values;
}

// Writing feature values in shortest round-trip form (the bulk of featurize's output work).
void write_feature_numbers(benchmark::State& state) {
    const std::vector<double>& v = feature_values();
    std::vector<char> buf(v.size() * 26 + okxkit::core::kMaxDoubleText);
    for (auto _ : state) {
        char* p = buf.data();
        for (double x : v) {
            p = okxkit::core::write_double(p, x);
            *p++ = ',';
        }
        benchmark::DoNotOptimize(p);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(v.size()));
}
BENCHMARK(write_feature_numbers)->ComputeStatistics("p10", p10)->ComputeStatistics("p90", p90);

// The shortest digits alone (Ryu), without writing them.
void shortest_digits_of_features(benchmark::State& state) {
    const std::vector<double>& v = feature_values();
    for (auto _ : state) {
        std::uint64_t sink = 0;
        for (double x : v) {
            if (std::isfinite(x) && x != 0) {
                sink += okxkit::core::shortest_decimal(std::fabs(x)).digits;
            }
        }
        benchmark::DoNotOptimize(sink);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(v.size()));
}
BENCHMARK(shortest_digits_of_features)
    ->ComputeStatistics("p10", p10)
    ->ComputeStatistics("p90", p90);

// One new candle after 1,000 and after 1,000,000 candles of history: two series are built
// with those histories (untimed), then the next 1,000 candles of each are timed in turns of
// 100, so that both see the same state of the machine. Counters (per repetition, ns per
// candle): after_1k, after_1m and their ratio.
void new_candle_after_history(benchmark::State& state) {
    constexpr std::size_t kShort = 1000;
    constexpr std::size_t kLong = 1000000;
    constexpr std::size_t kTimed = 1000;
    constexpr std::size_t kTurn = 100;
    static const std::vector<Ohlcv> data = candles(kLong + kTimed);
    FeatureSet set = FeatureSet::default_set();
    double sink = 0;
    double short_ns = 0;
    double long_ns = 0;
    // The timed candles come from small buffers that are warm in the cache either way, so only
    // the engine's own state can make the two cases differ.
    std::vector<Ohlcv> next_short(data.begin() + kShort, data.begin() + kShort + kTimed);
    std::vector<Ohlcv> next_long(data.begin() + kLong, data.begin() + kLong + kTimed);
    for (auto _ : state) {
        Series a(set);
        Series b(set);
        for (std::size_t i = 0; i < kShort; ++i) {
            a.push(data[i]);
        }
        for (std::size_t i = 0; i < kLong; ++i) {
            b.push(data[i]);
        }
        using Clock = std::chrono::steady_clock;
        Clock::duration ta{};
        Clock::duration tb{};
        for (std::size_t at = 0; at < kTimed; at += kTurn) {
            auto t0 = Clock::now();
            for (std::size_t i = at; i < at + kTurn; ++i) {
                sink += a.push(next_short[i])[0];
            }
            auto t1 = Clock::now();
            for (std::size_t i = at; i < at + kTurn; ++i) {
                sink += b.push(next_long[i])[0];
            }
            auto t2 = Clock::now();
            ta += t1 - t0;
            tb += t2 - t1;
        }
        short_ns = std::chrono::duration<double, std::nano>(ta).count() / kTimed;
        long_ns = std::chrono::duration<double, std::nano>(tb).count() / kTimed;
        state.SetIterationTime(std::chrono::duration<double>(ta + tb).count());
    }
    benchmark::DoNotOptimize(sink);
    state.counters["after_1k"] = short_ns;
    state.counters["after_1m"] = long_ns;
    state.counters["ratio"] = long_ns / short_ns;
}
// One measurement per repetition (a million candles of history each time): the script asks
// for repetitions and reads the medians.
BENCHMARK(new_candle_after_history)
    ->Iterations(1)
    ->UseManualTime()
    ->ComputeStatistics("p10", p10)
    ->ComputeStatistics("p90", p90);

} // namespace

BENCHMARK_MAIN();
