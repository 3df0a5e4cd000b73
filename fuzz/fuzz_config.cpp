// The TOML config loader behind every tool's options: the input is a config file given with
// --config to each tool's command-line parser (which loads it, checks it against the keys of
// the tool's modules and resolves every option from it). Whatever the file, the parser
// returns options or throws a core::Error whose message is a short, valid diagnostic (for
// execute and risk-guard, the risk limits, sizing and ladder are read from it too, as they are
// when those tools start). With the first byte 7 (mod 8) the rest is read as a strategy file
// instead (strategy::check_file): every problem is a short, valid diagnostic too.
#include "core/cli.hpp"
#include "core/error.hpp"
#include "exec/execute_tool.hpp"
#include "exec/risk_guard_tool.hpp"
#include "features/featurize_tool.hpp"
#include "fuzz_common.hpp"
#include "ml/predict_tool.hpp"
#include "ml/train_tool.hpp"
#include "risk/config_keys.hpp"
#include "strategy/params.hpp"
#include "strategy/select_strategy_tool.hpp"
#include "stream/okx_stream_tool.hpp"

#include <fstream>
#include <unistd.h>

using namespace okxkit;

namespace {

const std::string& config_path() {
    static const std::string path =
        "/dev/shm/okxkit-fuzz-config-" + std::to_string(::getpid()) + ".toml";
    return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet();
    if (size < 1) {
        return 0;
    }
    {
        std::ofstream f(config_path(), std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    }
    const std::string path = config_path();
    if (data[0] % 8 == 7) {
        // The same bytes as a strategy file (select-strategy --validate, --strategies FILE).
        for (const strategy::Problem& p : strategy::check_file(path, nullptr)) {
            fuzz::check_diagnostic(p.text(), 600 + path.size());
            fuzz::check_diagnostic(p.key);
        }
        return 0;
    }
    const core::ToolSpec* specs[] = {
        &stream::okx_stream_spec(), &features::featurize_spec(),       &ml::train_spec(),
        &ml::predict_spec(),        &strategy::select_strategy_spec(), &exec::execute_spec(),
        &exec::risk_guard_spec()};
    const core::ToolSpec& spec = *specs[data[0] % 8];
    const char* argv[] = {spec.name.data(), "--config", path.c_str()};
    try {
        core::ParseResult r = core::parse_command_line(spec, 3, argv);
        for (const auto& w : r.warnings) {
            fuzz::check_diagnostic(w.msg);
        }
        if ((&spec == &exec::execute_spec() || &spec == &exec::risk_guard_spec()) && !r.exit_now) {
            // The risk limits (and risk-guard's sizing and ladder) are read from the file when
            // the tool starts.
            (void)risk::limits_from(r.options.config().root());
            (void)risk::guard_config_from(r.options.config().root());
        }
    } catch (const core::Error& e) {
        fuzz::check_diagnostic(e.what(), 600 + path.size());
    }
    return 0;
}
