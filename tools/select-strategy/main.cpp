// select-strategy: regime score, strategy selection, signals and intents (see select-strategy(1)).
#include "core/cli.hpp"
#include "strategy/select_strategy_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::strategy::select_strategy_spec(), argc, argv,
                                  okxkit::strategy::select_strategy_main);
}
