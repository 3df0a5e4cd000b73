// The registry's parts that touch the boosters themselves: saving a trained ensemble's members
// and loading them. Apart from registry.cpp so that a program that only reads the registry
// (select-strategy asks which models are champions) does not link XGBoost.
#include "ml/registry.hpp"

#include <filesystem>

namespace okxkit::ml {

std::int64_t register_model(store::Store& store, ModelRecord& rec, ModelFile& file,
                            const Ensemble& ensemble) {
    return register_model(
        store, rec, file, ensemble.size(),
        [&ensemble](const std::vector<std::string>& paths) { ensemble.save(paths); });
}

Ensemble load_ensemble(const ModelFile& file, const std::string& folder) {
    std::vector<std::string> paths;
    for (const std::string& m : file.members) {
        paths.push_back((std::filesystem::path(folder) / m).string());
    }
    return Ensemble::load(paths, file.names.size(), file.calibration());
}

} // namespace okxkit::ml
