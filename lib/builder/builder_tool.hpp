// okx-builder: a local HTTP server for the strategy builder page, over the strategy files of
// one folder (see okx-builder(1)).
#pragma once

#include "core/cli.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace okxkit::builder {

const core::ToolSpec& builder_spec();
int builder_main(const core::Options& options);

// The checks every request passes, apart from the server (so that they can be tested alone).
// port: the one the server listens on; token: the session's secret.
struct Guard {
    int port = 0;
    std::string token;

    // Whether a Host header names this server: 127.0.0.1:PORT or localhost:PORT (a foreign
    // name is how DNS rebinding reaches a loopback server).
    [[nodiscard]] bool host_ok(std::string_view host) const;
    // Whether an Origin header, when there is one, is this server's own page.
    [[nodiscard]] bool origin_ok(std::string_view origin) const;
    // Whether the token given (the X-Okxkit-Token header) is the session's; compared in time
    // that does not depend on where they differ.
    [[nodiscard]] bool token_ok(std::string_view given) const;
};

// A strategy file's name as the API takes it: 1 to 64 letters, digits, '_', '-' and '.',
// starting with a letter or digit, ending in ".toml", with no "..": a name in the folder,
// never a path. nullopt when it is not one.
std::optional<std::string> file_name(std::string_view name);

} // namespace okxkit::builder
