// The train tool: walk-forward-validated ensembles per (instrument, bar), registered in the
// store, promoted only when they pass the skill gate and beat the champion (see train(1)).
#pragma once

#include "features/engine.hpp"
#include "ml/dataset.hpp"
#include "ml/ensemble.hpp"
#include "ml/registry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::ml {

struct TrainConfig {
    std::string bar = "5m";
    int horizon = 12;         // bars
    double fee = 0.001;       // taker fee per side
    double threshold = 0.002; // "up" means a forward log return above this
    SplitOptions split;       // embargo >= horizon
    TrainParams params;
    std::int64_t window_ms = 30LL * 86400000; // most recent stored history used
    std::int64_t every_ms = 0;                // 0: always train
    std::int64_t now_ms = 0;                  // the run's clock
    std::size_t min_rows = 1000;              // labelled rows needed
    std::size_t min_compare = 50;             // rows needed to compare with the champion
    int resamples = 1000;                     // block-bootstrap resamples of the AUC interval
    double level = 0.95;                      // of that interval
    int curve_bins = 10;                      // groups of the expected-return curve
};

// What happened to one series.
struct TrainResult {
    enum class Kind {
        kPromoted, // registered and made champion
        kKept,     // registered as a candidate
        kRejected, // registered as rejected: it failed the skill gate (text says why)
        kSkipped,  // not trained: trained less than --every ago
        kNoData,   // not trained: too little data (text says how much is needed)
        kFailed,   // training failed (text says why)
    };
    Kind kind = Kind::kNoData;
    std::string inst;
    std::string bar;
    std::int64_t model = 0; // registered id (promoted, kept, rejected)
    std::string text;       // the line train prints
};

// Trains, registers and judges one dataset (rows of one instrument and bar): labels,
// walk-forward folds, one ensemble per fold, pooled out-of-sample metrics, the skill gate
// (block-bootstrap AUC interval and policy return, see skill_gate), the expected-return
// curve, drift; the last fold's ensemble is registered as rejected when it fails the gate,
// else as a candidate judged against the champion on the same recent out-of-sample rows.
// Deterministic for the same data and config. Throws on store or XGBoost failures, and
// core::Error with the interrupt's exit code at SIGINT/SIGTERM (checked between folds and
// boosting rounds), in which case nothing is registered.
TrainResult train_dataset(store::Store& store, const Dataset& data, const TrainConfig& cfg);

// Loads the window of stored candles of (inst, bar), builds features in-process and calls
// train_dataset; honours --every. kNoData when there are too few candles.

// The fewest labelled rows that give cfg.split.folds walk-forward folds (and cfg.min_rows),
// for the message that asks for more data.
std::size_t rows_needed(const TrainConfig& cfg, std::int64_t bar_ms);
TrainResult train_stored(store::Store& store, const features::FeatureSet& set,
                         const std::string& inst, const TrainConfig& cfg);

// The reason recorded when model id is promoted by hand (train --promote ID [--force]).
// Throws core::UsageError for an unknown id, and core::Error with exit 4 for a model that
// failed the skill gate unless `force`.
std::string hand_promotion(store::Store& store, std::int64_t id, bool force);

// The --show model card and the --list table.
std::string model_card(const ModelRecord& rec);
std::string model_table(const std::vector<ModelRecord>& models);

} // namespace okxkit::ml
