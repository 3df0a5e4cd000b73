// okx-builder: the strategy builder's local server (see okx-builder(1)).
#include "builder/builder_tool.hpp"
#include "core/cli.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::builder::builder_spec(), argc, argv,
                                  okxkit::builder::builder_main);
}
