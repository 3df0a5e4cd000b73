// okx-stream: market data for okxkit pipelines (see okx-stream(1)).
#include "core/cli.hpp"
#include "stream/okx_stream_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::stream::okx_stream_spec(), argc, argv,
                                  okxkit::stream::okx_stream_main);
}
