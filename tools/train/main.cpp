// train: walk-forward-validated XGBoost ensembles and the model registry (see train(1)).
#include "core/cli.hpp"
#include "ml/train_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::ml::train_spec(), argc, argv, okxkit::ml::train_main);
}
