// The okxkit config file: TOML at an XDG path, its known keys, and lookups by dotted key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::core {

// One key the config file may hold. Every tool reads the same file, so unknown keys are
// judged against this one list, not against the options of the running tool.
struct ConfigKey {
    std::string_view key;  // dotted path, e.g. "store.path"
    std::string_view type; // "string", "integer", "number", "boolean", "strings"
    std::string_view help;
};

std::span<const ConfigKey> config_keys();

// Where the config file is looked for when neither --config nor OKXKIT_CONFIG names one:
// ${XDG_CONFIG_HOME:-$HOME/.config}/okxkit/config.toml.
std::string default_config_path();

// Replaces a leading "~/" with $HOME/.
std::string expand_home(std::string_view path);

// A loaded config file. Values are returned as text (arrays as one string per element),
// so the option table can parse them with the same code as the command line.
class Config {
public:
    Config() = default;
    // A problem worth a warning (an unknown key), for the caller to print once logging is set.
    struct Warning {
        std::string file;
        std::uint64_t line;
        std::string msg;
    };

    // Parses path. Throws UsageError with file:line:column on a syntax error. Unknown keys
    // are collected in warnings() ("unknown key "x.y"", with file and line).
    static Config load(const std::string& path);
    [[nodiscard]] const std::vector<Warning>& warnings() const { return warnings_; }

    // The value of a dotted key as strings, or nullopt when absent. Throws UsageError
    // naming file and line when the value's type does not match `type` of ConfigKey.
    [[nodiscard]] std::optional<std::vector<std::string>> get(std::string_view key,
                                                              std::string_view type) const;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool loaded() const { return !path_.empty(); }

private:
    struct Impl;
    std::string path_;
    std::shared_ptr<Impl> impl_;
    std::vector<Warning> warnings_;
};

} // namespace okxkit::core
