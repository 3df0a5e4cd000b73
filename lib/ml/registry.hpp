// The model registry: models table of the store, model folders beside it (model.json plus
// one XGBoost file per ensemble member), champion and challenger.
#pragma once

#include "ml/drift.hpp"
#include "ml/ensemble.hpp"
#include "ml/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::store {
class Store;
}

namespace okxkit::ml {

// One registered model. Times named *_from, *_to and data_end are event times (candle ts,
// ms): the first and last row of each block and the last candle the dataset held.
// created_ms is the clock of the training run (--now). params, metrics, importance and
// drift are JSON objects.
struct ModelRecord {
    std::int64_t id = 0;
    std::string inst;
    std::string bar;
    int horizon = 0;
    double threshold = 0;
    std::string schema;
    int features = 0;
    std::int64_t train_from = 0, train_to = 0;
    std::int64_t valid_from = 0, valid_to = 0;
    std::int64_t test_from = 0, test_to = 0;
    std::int64_t data_end = 0;
    std::int64_t created_ms = 0;
    std::string params = "{}";
    std::string metrics = "{}";
    std::string importance = "{}";
    std::string drift = "{}";
    std::string dir;                  // model folder (absolute; stored relative to the store)
    std::string sha256;               // of the files (see files_sha256); "" on rows before it
    std::string status = "candidate"; // candidate, champion, retired, rejected
    std::string reason;               // why it was promoted, kept or rejected
};

// What a model folder's model.json holds: enough to predict without the store.
struct ModelFile {
    std::int64_t id = 0;
    std::string inst;
    std::string bar;
    int horizon = 0;
    double threshold = 0;
    std::string schema;
    std::vector<std::string> names;
    std::int64_t data_end = 0;
    std::vector<std::string> members; // file names relative to the folder
    // What training measured out of sample: the skill gate and the expected-return curve.
    // Files written before the gate have neither: then skill is empty and mu_up and mu_down
    // (the mean returns of the training rows labelled up and not up) are read instead.
    std::optional<Skill> skill;
    ReturnCurve exp_ret;
    double mu_up = 0;
    double mu_down = 0;
    // The training rows' distribution per feature, for predict's drift check (empty before
    // the gate).
    std::optional<DriftReference> drift;

    // What the model may claim: the skill score and return curve of its record; for a file
    // from before the gate skill 0 and the old formula p_up * mu_up + (1 - p_up) * mu_down.
    [[nodiscard]] Calibration calibration() const;
};

// The folder that holds the model folders of a store: STORE.models beside the store file
// (store.db.models for store.db), so two stores in one folder never share model files.
std::string models_root(const std::string& store_path);

// SHA-256 (hex) of a model folder's files: model.json, then each member file in listed order,
// each as its name, a newline, its size, a newline and its bytes. Throws core::RuntimeError
// naming a file it cannot read.
std::string files_sha256(const std::string& folder, const std::vector<std::string>& members);

// Reads the model files of a registry row and checks they are that row's: model.json names the
// same id, series, horizon, schema and data end, and the files hash to the row's sha256 (rows
// from before the hash: the identity check only). Throws core::Error with Exit::kRefused and a
// message that says what differs and how to fix it.
ModelFile open_model(const ModelRecord& rec, const std::string& store_path);

// Registers a trained ensemble: takes the next id, writes <root>/<id>/model.json and
// member-<k>.json, inserts the row (with rec.status: candidate, or rejected) and returns the
// id, all in one transaction (the folder is removed again when the insert fails).
std::int64_t register_model(store::Store& store, ModelRecord& rec, ModelFile& file,
                            const Ensemble& ensemble);
// The same for members members, which save writes to the paths it is given. (The form above
// is defined in registry_models.cpp with load_ensemble: the only parts of the registry that
// touch XGBoost, so a program that only reads the registry does not load it.)
std::int64_t register_model(store::Store& store, ModelRecord& rec, ModelFile& file,
                            std::size_t members,
                            const std::function<void(const std::vector<std::string>&)>& save);

std::optional<ModelRecord> find_model(store::Store& store, std::int64_t id);
// All models, by id; of one series when inst and bar are given.
std::vector<ModelRecord> list_models(store::Store& store, const std::string& inst = {},
                                     const std::string& bar = {});
std::optional<ModelRecord> find_champion(store::Store& store, const std::string& inst,
                                         const std::string& bar);
// The latest created_ms of the models of (inst, bar, horizon), or nullopt.
std::optional<std::int64_t> last_trained(store::Store& store, const std::string& inst,
                                         const std::string& bar, int horizon);
// Makes id the champion of its series (the old champion becomes retired) and records why.
void promote(store::Store& store, std::int64_t id, const std::string& reason);
// Records why a model stays a candidate.
void set_reason(store::Store& store, std::int64_t id, const std::string& reason);

// A skill record as JSON (model.json's "skill", the "skill" of the metrics column) and back;
// from_json throws nlohmann::json::exception on a missing field.
nlohmann::json skill_json(const Skill& s);
Skill skill_from_json(const nlohmann::json& j);

// The ids of the models in the store that OKXKIT_STORE (or the default path) names, newest
// last, for shell completion: empty when there is no such store or it cannot be read. Never
// throws, never creates a store.
std::vector<std::string> completion_model_ids();

// Reads a model folder's model.json (path of the file or its folder). Throws
// core::RuntimeError naming the file on any problem.
ModelFile read_model_file(const std::string& path);
// Loads the ensemble a model file describes.
Ensemble load_ensemble(const ModelFile& file, const std::string& folder);

} // namespace okxkit::ml
