// featurize: technical-indicator features per candle (see featurize(1)).
#include "core/cli.hpp"
#include "features/featurize_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::features::featurize_spec(), argc, argv,
                                  okxkit::features::featurize_main);
}
