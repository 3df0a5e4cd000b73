// execute: orders, fills, positions and P&L on the paper exchange (see execute(1)).
#include "core/cli.hpp"
#include "exec/execute_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::exec::execute_spec(), argc, argv,
                                  okxkit::exec::execute_main);
}
