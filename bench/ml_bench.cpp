// Benchmarks of lib/ml, driven by bench/train.sh and bench/predict.sh:
//   ml_bench train ROWS COLS ROUNDS THREADS RUNS   okxkit's Ensemble::train (1 member, no early
//       stop) against a bare XGBoost C API loop on the same matrix; row*feature*round/s
//   ml_bench predict MEMBERS COLS ROUNDS ROWS      per-row latency of Ensemble::predict(row) and
//       the batch throughput of Ensemble::predict(rows)
// Matrices are synthetic and seeded: standard normal features, target a function of one.
#include "ml/ensemble.hpp"
#include "ml/xgb.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace okxkit::ml;
using Clock = std::chrono::steady_clock;

namespace {

struct Data {
    std::vector<float> x;
    std::vector<float> y;
    std::vector<double> ret;
};

Data make(std::size_t rows, std::size_t cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> norm(0, 1);
    Data d;
    d.x.resize(rows * cols);
    for (float& v : d.x) {
        v = norm(rng);
    }
    for (std::size_t i = 0; i < rows; ++i) {
        double r = 0.01 * d.x[i * cols + 3] + 0.005 * d.x[i * cols + 11] + 0.01 * norm(rng);
        d.ret.push_back(r);
        d.y.push_back(r > 0 ? 1.0F : 0.0F);
    }
    return d;
}

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

double pct(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// The bare loop: what a program calling XGBoost directly does for the same ensemble member.
double bare(const Data& d, std::size_t n_train, std::size_t n_valid, std::size_t cols, int rounds,
            const TrainParams& p) {
    auto t0 = Clock::now();
    DMatrixHandle dtrain = nullptr;
    DMatrixHandle dvalid = nullptr;
    XGDMatrixCreateFromMat(d.x.data(), n_train, cols, NAN, &dtrain);
    XGDMatrixSetFloatInfo(dtrain, "label", d.y.data(), n_train);
    XGDMatrixCreateFromMat(d.x.data() + n_train * cols, n_valid, cols, NAN, &dvalid);
    XGDMatrixSetFloatInfo(dvalid, "label", d.y.data() + n_train, n_valid);
    DMatrixHandle cache[2] = {dtrain, dvalid};
    BoosterHandle b = nullptr;
    XGBoosterCreate(cache, 2, &b);
    for (const auto& [k, v] : member_params(p, 0)) {
        XGBoosterSetParam(b, k.c_str(), v.c_str());
    }
    const char* names[1] = {"valid"};
    const char* out = nullptr;
    for (int it = 0; it < rounds; ++it) {
        XGBoosterUpdateOneIter(b, it, dtrain);
        XGBoosterEvalOneIter(b, it, &dvalid, names, 1, &out);
    }
    auto t1 = Clock::now();
    XGBoosterFree(b);
    XGDMatrixFree(dtrain);
    XGDMatrixFree(dvalid);
    return seconds(t0, t1);
}

int train_bench(std::size_t rows, std::size_t cols, int rounds, int threads, int runs) {
    Data d = make(rows, cols, 1);
    const std::size_t n_train = rows * 8 / 10;
    const std::size_t n_valid = rows - n_train;
    TrainParams p;
    p.members = 1;
    p.rounds = rounds;
    p.early_stop = rounds + 1; // every round runs in both
    p.threads = threads;
    std::vector<double> ours;
    std::vector<double> theirs;
    const double work = static_cast<double>(n_train) * static_cast<double>(cols) * rounds;
    for (int r = 0; r < runs; ++r) {
        // Alternate the order so neither side always runs on a warm cache.
        for (int side = 0; side < 2; ++side) {
            if ((side + r) % 2 == 0) {
                theirs.push_back(work / bare(d, n_train, n_valid, cols, rounds, p));
            } else {
                auto t0 = Clock::now();
                Ensemble e = Ensemble::train(std::span(d.x).subspan(0, n_train * cols),
                                             std::span(d.y).subspan(0, n_train),
                                             std::span(d.x).subspan(n_train * cols),
                                             std::span(d.y).subspan(n_train), cols, p);
                ours.push_back(work / seconds(t0, Clock::now()));
            }
        }
    }
    std::printf("training %zu rows x %zu features x %d rounds, %d thread(s), %d runs "
                "(row*feature*round/s; p10 = slow runs)\n",
                n_train, cols, rounds, threads, runs);
    std::printf("%-16s %12s %12s %12s\n", "", "p10", "median", "p90");
    std::printf("%-16s %12.4g %12.4g %12.4g\n", "bare xgboost", pct(theirs, 0.1), pct(theirs, 0.5),
                pct(theirs, 0.9));
    std::printf("%-16s %12.4g %12.4g %12.4g\n", "okxkit ensemble", pct(ours, 0.1), pct(ours, 0.5),
                pct(ours, 0.9));
    const double overhead = 100.0 * (pct(theirs, 0.5) / pct(ours, 0.5) - 1);
    std::printf("overhead (median): %+.1f%% (target <= 10%%)\n", overhead);
    return overhead <= 10 ? 0 : 1;
}

int predict_bench(int members, std::size_t cols, int rounds, std::size_t rows) {
    Data d = make(20000, cols, 2);
    TrainParams p;
    p.members = members;
    p.rounds = rounds;
    p.early_stop = rounds + 1;
    p.threads = 1;
    Ensemble e = Ensemble::train(
        std::span(d.x).subspan(0, 16000 * cols), std::span(d.y).subspan(0, 16000),
        std::span(d.x).subspan(16000 * cols), std::span(d.y).subspan(16000), cols, p);
    // A calibration as train writes it (ten knots), so a row pays for the return curve too.
    std::vector<double> p_valid;
    e.predict(std::span(d.x).subspan(16000 * cols), p_valid);
    e.set_calibration(
        Calibration{0.1, fit_return_curve(p_valid, std::span(d.ret).subspan(16000), 10)});
    int trees = 0;
    for (int r : e.best_rounds()) {
        trees += r;
    }
    Data q = make(rows, cols, 3);
    // Per row, as predict does for each candle.
    std::vector<double> lat;
    lat.reserve(rows);
    double sink = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(rows, 1000); ++i) {
        sink += e.predict(q.x.data() + i * cols).p_up; // warm up
    }
    for (std::size_t i = 0; i < rows; ++i) {
        auto t0 = Clock::now();
        EnsembleOutput o = e.predict(q.x.data() + i * cols);
        lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        sink += o.p_up;
    }
    std::printf("%d-member ensemble, %d trees of depth %d in all, %zu features\n", members, trees,
                p.max_depth, cols);
    std::printf("per-row latency over %zu rows (us): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  "
                "max %.2f (target p99 < 50)\n",
                rows, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1.0));
    const double row_rate =
        static_cast<double>(rows) / (std::accumulate(lat.begin(), lat.end(), 0.0) / 1e6);
    std::printf("row by row: %.0f rows/s\n", row_rate);
    std::vector<double> batch;
    std::vector<double> pu;
    std::vector<double> conf;
    for (int r = 0; r < 7; ++r) {
        auto t0 = Clock::now();
        e.predict(q.x, pu, &conf);
        batch.push_back(static_cast<double>(rows) / seconds(t0, Clock::now()));
        sink += pu[0];
    }
    std::printf("batch of %zu rows, 7 runs (rows/s): p10 %.0f  median %.0f  p90 %.0f "
                "(target >= 100000 on one core)\n",
                rows, pct(batch, 0.1), pct(batch, 0.5), pct(batch, 0.9));
    return sink == 12345.678 ? 2 : 0; // keeps the work from being optimised away
}

} // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    auto arg = [&](int i, long def) { return argc > i ? std::atol(argv[i]) : def; };
    if (mode == "train") {
        return train_bench(static_cast<std::size_t>(arg(2, 20000)),
                           static_cast<std::size_t>(arg(3, 215)), static_cast<int>(arg(4, 100)),
                           static_cast<int>(arg(5, 1)), static_cast<int>(arg(6, 5)));
    }
    if (mode == "predict") {
        return predict_bench(static_cast<int>(arg(2, 5)), static_cast<std::size_t>(arg(3, 215)),
                             static_cast<int>(arg(4, 200)),
                             static_cast<std::size_t>(arg(5, 100000)));
    }
    std::fprintf(stderr, "usage: ml_bench train [ROWS COLS ROUNDS THREADS RUNS]\n"
                         "       ml_bench predict [MEMBERS COLS ROUNDS ROWS]\n");
    return 2;
}
