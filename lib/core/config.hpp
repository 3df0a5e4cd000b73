// The okxkit config file: TOML at an XDG path, the keys each module declares, typed lookups.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::core {

// What a config key holds.
enum class ConfigType {
    kString,
    kInteger,
    kNumber, // integers are numbers too
    kBoolean,
    kStrings, // an array of strings
    kTable,   // a table; its keys are declared as "<key>.<sub>", or "<key>.*.<sub>" when its
              // keys are names chosen by the user (per-symbol overrides: [risk.symbols.BTC-USDT])
    kTables,  // an array of tables ([[key]] ...), each with the keys "<key>.<sub>"
};

// Its name in diagnostics and docs: "a string", "an array of tables", ...
std::string_view type_text(ConfigType type);

// One key the config file may hold, declared by the module that reads it.
struct ConfigKey {
    std::string_view key; // dotted path; "*" stands for any one key of a kTable ("a.*.b")
    ConfigType type;
    std::string_view help;
    // Only the config file can set it: no option and no environment variable maps to it
    // (a switch like a future `live = true` must be a deliberate edit of a file).
    bool file_only = false;
};

// The keys a module declares, as a tool hands them to the loader.
struct ModuleKeys {
    std::string_view module; // its lib/ folder: "core", "okx", "features", ...
    std::span<const ConfigKey> keys;
};

// Every top-level name of the config file and the module whose keys live under it. A tool
// judges the keys under a name only when it links that module: okx-stream knows nothing of
// train's keys, and does not warn about them.
struct ConfigSection {
    std::string_view name;
    std::string_view module;
};
std::span<const ConfigSection> config_sections();

// The keys of core: symbols, run, store, log, input, output, fees.
std::span<const ConfigKey> core_config_keys();

// Where the config file is looked for when neither --config nor OKXKIT_CONFIG names one:
// ${XDG_CONFIG_HOME:-$HOME/.config}/okxkit/config.toml.
std::string default_config_path();

// Replaces a leading "~/" with $HOME/.
std::string expand_home(std::string_view path);

class Config;

// A place in a loaded config: the root, a table, or an element of an array of tables. Reads
// are typed: nullopt when the key is absent; UsageError "FILE:LINE: key \"a.b\" must be an
// integer" when it holds another type. Cheap to copy; valid while its Config lives.
class ConfigNode {
public:
    ConfigNode() = default;

    [[nodiscard]] bool exists() const { return node_ != nullptr; }
    // The dotted path from the root ("" for the root, "strategy.templates[2]" for an element).
    [[nodiscard]] const std::string& key() const { return key_; }
    // "FILE:LINE" of its start.
    [[nodiscard]] std::string where() const;

    [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
    [[nodiscard]] std::optional<double> number(std::string_view key) const;
    [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
    [[nodiscard]] std::optional<std::vector<std::string>> strings(std::string_view key) const;
    // A sub-table (absent: a node that does not exist).
    [[nodiscard]] ConfigNode table(std::string_view key) const;
    // The elements of an array of tables, in file order (absent: none).
    [[nodiscard]] std::vector<ConfigNode> tables(std::string_view key) const;
    // The entries of this table by key order: name and node (for per-symbol tables).
    [[nodiscard]] std::vector<std::pair<std::string, ConfigNode>> entries() const;

private:
    friend class Config;
    ConfigNode(std::shared_ptr<const void> owner, const void* node, std::string key,
               std::string file)
        : owner_(std::move(owner)), node_(node), key_(std::move(key)), file_(std::move(file)) {}
    [[nodiscard]] const void* child(std::string_view key) const;
    [[noreturn]] void wrong_type(std::string_view key, const void* node, ConfigType want) const;
    [[nodiscard]] std::string path_of(std::string_view key) const;

    std::shared_ptr<const void> owner_; // keeps the parsed file alive
    const void* node_ = nullptr;        // a toml::node
    std::string key_;
    std::string file_;
};

// A loaded config file.
class Config {
public:
    Config() = default;
    // A problem worth a warning (an unknown key), for the caller to print once logging is set.
    struct Warning {
        std::string file;
        std::uint64_t line;
        std::string msg;
    };
    // An option's value as text (arrays: one string per element) and where it was written.
    struct Value {
        std::vector<std::string> values;
        std::uint64_t line = 0;
    };

    // Parses path and checks it against the keys of the modules given (core's always count):
    // a syntax error is UsageError "FILE:LINE:COLUMN: what"; a known key holding the wrong type
    // is UsageError "FILE:LINE: key \"x.y\" must be ..."; an unknown key under a name of a
    // module in keys, or an unknown top-level name, is a warning ("unknown key "x.y"", with
    // file and line). Keys under names of modules not given are not judged.
    static Config load(const std::string& path, const std::vector<ModuleKeys>& keys = {});
    [[nodiscard]] const std::vector<Warning>& warnings() const { return warnings_; }

    // The value of a dotted key of a scalar or strings type as text, or nullopt when absent.
    // Throws UsageError naming file and line when it holds another type.
    [[nodiscard]] std::optional<Value> value(std::string_view key, ConfigType type) const;
    // The same, values only.
    [[nodiscard]] std::optional<std::vector<std::string>> get(std::string_view key,
                                                              ConfigType type) const;
    // The whole file, for typed reads of tables (a node that does not exist when not loaded).
    [[nodiscard]] ConfigNode root() const;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool loaded() const { return !path_.empty(); }

private:
    struct Impl;
    std::string path_;
    std::shared_ptr<Impl> impl_;
    std::vector<Warning> warnings_;
};

} // namespace okxkit::core
