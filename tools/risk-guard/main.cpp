// risk-guard: sizing, exits, limits and the kill switch between a strategy and execute (see
// risk-guard(1)).
#include "core/cli.hpp"
#include "exec/risk_guard_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::exec::risk_guard_spec(), argc, argv,
                                  okxkit::exec::risk_guard_main);
}
