// predict: ensemble predictions per confirmed candle (see predict(1)).
#include "core/cli.hpp"
#include "ml/predict_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::ml::predict_spec(), argc, argv, okxkit::ml::predict_main);
}
