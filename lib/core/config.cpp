// Config file loading with toml++: the sections, core's keys, checks against the keys of the
// modules a tool links, and typed reads.
#include "core/config.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <toml++/toml.h>

namespace okxkit::core {

namespace {

using T = ConfigType;

constexpr std::array<ConfigSection, 19> kSections{{
    {"symbols", "core"},
    {"run", "core"},
    {"store", "core"},
    {"log", "core"},
    {"input", "core"},
    {"output", "core"},
    {"fees", "core"},
    {"okx", "okx"},
    {"bars", "stream"},
    {"replay", "stream"},
    {"featurize", "features"},
    {"train", "ml"},
    {"predict", "ml"},
    // Names of the stages still being built: their keys are judged once their modules exist.
    {"strategy", "strategy"},
    {"risk", "risk"},
    {"risk_guard", "exec"},
    {"execute", "exec"},
    {"audit", "audit"},
    {"news", "news"},
}};

constexpr std::array<ConfigKey, 10> kCoreKeys{{
    {"symbols", T::kStrings, "instruments to trade and stream (default: 8 majors against USDT)"},
    {"run", T::kString, "run id recorded with every order and fill (like --run)"},
    {"store.path", T::kString, "path of the SQLite store (like --store)"},
    {"log.json", T::kBoolean, "diagnostics as JSON lines on stderr (like --log-json)"},
    {"log.verbosity", T::kInteger, "-1 quiet, 0 default, 1 verbose (like -q / -v)"},
    {"input.strict", T::kBoolean, "stop with exit 3 at the first malformed line (like --strict)"},
    {"input.max_line", T::kInteger, "longest input line accepted, in bytes (like --max-line)"},
    {"output.unbuffered", T::kBoolean, "flush stdout after every line (like --unbuffered)"},
    {"fees.taker", T::kNumber, "taker fee rate per side, e.g. 0.001 (like train --fee)"},
    {"fees.maker", T::kNumber, "maker fee rate, for orders that rested, e.g. 0.0008"},
}};

bool has_type(const toml::node& n, ConfigType type) {
    switch (type) {
    case T::kString:
        return n.is_string();
    case T::kInteger:
        return n.is_integer();
    case T::kNumber:
        return n.is_integer() || n.is_floating_point();
    case T::kBoolean:
        return n.is_boolean();
    case T::kStrings: {
        const toml::array* a = n.as_array();
        if (a == nullptr) {
            return false;
        }
        for (const toml::node& el : *a) {
            if (!el.is_string()) {
                return false;
            }
        }
        return true;
    }
    case T::kTable:
        return n.is_table();
    case T::kTables: {
        const toml::array* a = n.as_array();
        return a != nullptr && (a->empty() || a->is_array_of_tables());
    }
    }
    return false;
}

std::uint64_t line_of(const toml::node& n) {
    return n.source().begin.line;
}

// A key in a diagnostic: quoted, escaped and clipped, as a file's quoted keys may hold anything.
std::string quoted(std::string_view key) {
    return excerpt(key, 80);
}

[[noreturn]] void throw_type(const std::string& file, const toml::node& n, std::string_view key,
                             ConfigType want) {
    throw UsageError(file + ":" + std::to_string(line_of(n)) + ": key " + quoted(key) +
                     " must be " + std::string(type_text(want)));
}

// The text of a scalar for the option table (which parses it like a command-line value).
std::string scalar_text(const toml::node& n) {
    if (n.is_string()) {
        return *n.value<std::string>();
    }
    if (n.is_integer()) {
        return std::to_string(*n.value<std::int64_t>());
    }
    if (n.is_floating_point()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *n.value<double>());
        return buf;
    }
    if (n.is_boolean()) {
        return *n.value<bool>() ? "true" : "false";
    }
    return {};
}

// Judges a file's keys against the declared ones: types of known keys, unknown keys.
class Checker {
public:
    Checker(std::string file, const std::vector<ModuleKeys>& modules,
            std::vector<Config::Warning>& warnings)
        : file_(std::move(file)), warnings_(warnings) {
        modules_.push_back({"core", kCoreKeys});
        for (const ModuleKeys& m : modules) {
            modules_.push_back(m);
        }
    }

    void root(const toml::table& t) {
        for (const auto& [k, node] : t) {
            const std::string key(k.str());
            const ConfigSection* section = nullptr;
            for (const ConfigSection& s : kSections) {
                if (s.name == key) {
                    section = &s;
                }
            }
            if (section == nullptr) {
                unknown(key, k.source().begin.line);
                continue;
            }
            if (!linked(section->module)) {
                continue; // another module's keys: judged by the tools that link it
            }
            entry(key, key, node, k.source().begin.line);
        }
    }

private:
    bool linked(std::string_view module) const {
        for (const ModuleKeys& m : modules_) {
            if (m.module == module) {
                return true;
            }
        }
        return false;
    }

    const ConfigKey* find(std::string_view pattern) const {
        for (const ModuleKeys& m : modules_) {
            for (const ConfigKey& k : m.keys) {
                if (k.key == pattern) {
                    return &k;
                }
            }
        }
        return nullptr;
    }

    // True when a declared key starts with prefix + '.'.
    bool parent(std::string_view prefix) const {
        for (const ModuleKeys& m : modules_) {
            for (const ConfigKey& k : m.keys) {
                if (k.key.size() > prefix.size() && k.key.starts_with(prefix) &&
                    k.key[prefix.size()] == '.') {
                    return true;
                }
            }
        }
        return false;
    }

    void unknown(const std::string& shown, std::uint64_t line) {
        warnings_.push_back(
            {file_, line, "unknown key " + quoted(shown) + " (ignored; see okxkit-config(5))"});
    }

    // One entry: pattern is its declared form ("risk.symbols.*.max"), shown its real key.
    void entry(const std::string& pattern, const std::string& shown, const toml::node& node,
               std::uint64_t line) {
        if (const ConfigKey* k = find(pattern)) {
            if (!has_type(node, k->type)) {
                throw_type(file_, node, shown, k->type);
            }
            if (k->type == T::kTable) {
                table(pattern, shown, *node.as_table());
            } else if (k->type == T::kTables) {
                std::size_t i = 0;
                for (const toml::node& el : *node.as_array()) {
                    table(pattern, shown + "[" + std::to_string(i++) + "]", *el.as_table());
                }
            }
            return;
        }
        if (parent(pattern)) {
            if (!node.is_table()) {
                throw_type(file_, node, shown, T::kTable);
            }
            table(pattern, shown, *node.as_table());
            return;
        }
        unknown(shown, line);
    }

    void table(const std::string& pattern, const std::string& shown, const toml::table& t) {
        const std::string any = pattern + ".*";
        const bool named = find(any) != nullptr || parent(any);
        for (const auto& [k, node] : t) {
            std::string child = named ? any : pattern;
            if (!named) {
                child += '.';
                child += k.str();
            }
            std::string child_shown = shown;
            child_shown += '.';
            child_shown += k.str();
            entry(child, child_shown, node, k.source().begin.line);
        }
    }

    std::string file_;
    std::vector<ModuleKeys> modules_;
    std::vector<Config::Warning>& warnings_;
};

const toml::node* as_node(const void* p) {
    return static_cast<const toml::node*>(p);
}

} // namespace

std::string_view type_text(ConfigType type) {
    switch (type) {
    case T::kString:
        return "a string";
    case T::kInteger:
        return "an integer";
    case T::kNumber:
        return "a number";
    case T::kBoolean:
        return "true or false";
    case T::kStrings:
        return "an array of strings";
    case T::kTable:
        return "a table";
    case T::kTables:
        return "an array of tables";
    }
    return "a value";
}

std::span<const ConfigSection> config_sections() {
    return kSections;
}

std::span<const ConfigKey> core_config_keys() {
    return kCoreKeys;
}

std::string expand_home(std::string_view path) {
    if (path.size() >= 2 && path[0] == '~' && path[1] == '/') {
        const char* home = std::getenv("HOME");
        if (home != nullptr && *home != '\0') {
            return std::string(home) + std::string(path.substr(1));
        }
    }
    return std::string(path);
}

std::string default_config_path() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg != nullptr && *xdg != '\0') {
        return std::string(xdg) + "/okxkit/config.toml";
    }
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.config/okxkit/config.toml";
}

struct Config::Impl {
    toml::table table;
};

Config Config::load(const std::string& path, const std::vector<ModuleKeys>& keys) {
    Config cfg;
    cfg.path_ = path;
    cfg.impl_ = std::make_shared<Impl>();
    try {
        cfg.impl_->table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& src = e.source();
        if (src.begin.line == 0) {
            throw UsageError("config " + path +
                             ": cannot read it (check the path and its "
                             "permissions)");
        }
        throw UsageError(path + ":" + std::to_string(src.begin.line) + ":" +
                         std::to_string(src.begin.column) + ": " + std::string(e.description()));
    }
    Checker(path, keys, cfg.warnings_).root(cfg.impl_->table);
    std::stable_sort(cfg.warnings_.begin(), cfg.warnings_.end(),
                     [](const Warning& a, const Warning& b) { return a.line < b.line; });
    return cfg;
}

std::optional<Config::Value> Config::value(std::string_view key, ConfigType type) const {
    if (!impl_) {
        return std::nullopt;
    }
    toml::node_view node = impl_->table.at_path(key);
    if (!node) {
        return std::nullopt;
    }
    if (!has_type(*node.node(), type) || type == T::kTable || type == T::kTables) {
        throw_type(path_, *node.node(), key, type);
    }
    Value v;
    v.line = line_of(*node.node());
    if (type == T::kStrings) {
        for (const toml::node& el : *node.as_array()) {
            v.values.push_back(*el.value<std::string>());
        }
    } else {
        v.values.push_back(scalar_text(*node.node()));
    }
    return v;
}

std::optional<std::vector<std::string>> Config::get(std::string_view key, ConfigType type) const {
    auto v = value(key, type);
    if (!v) {
        return std::nullopt;
    }
    return std::move(v->values);
}

ConfigNode Config::root() const {
    if (!impl_) {
        return {};
    }
    return {impl_, &impl_->table, "", path_};
}

// --- ConfigNode --------------------------------------------------------------------------

std::string ConfigNode::where() const {
    return file_ + ":" + std::to_string(node_ != nullptr ? line_of(*as_node(node_)) : 0);
}

std::string ConfigNode::path_of(std::string_view key) const {
    return key_.empty() ? std::string(key) : key_ + "." + std::string(key);
}

const void* ConfigNode::child(std::string_view key) const {
    if (node_ == nullptr) {
        return nullptr;
    }
    const toml::table* t = as_node(node_)->as_table();
    if (t == nullptr) {
        return nullptr;
    }
    return t->at_path(key).node();
}

void ConfigNode::wrong_type(std::string_view key, const void* node, ConfigType want) const {
    throw_type(file_, *as_node(node), path_of(key), want);
}

std::optional<std::string> ConfigNode::string(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return std::nullopt;
    }
    if (!as_node(c)->is_string()) {
        wrong_type(key, c, T::kString);
    }
    return *as_node(c)->value<std::string>();
}

std::optional<std::int64_t> ConfigNode::integer(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return std::nullopt;
    }
    if (!as_node(c)->is_integer()) {
        wrong_type(key, c, T::kInteger);
    }
    return *as_node(c)->value<std::int64_t>();
}

std::optional<double> ConfigNode::number(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return std::nullopt;
    }
    if (!has_type(*as_node(c), T::kNumber)) {
        wrong_type(key, c, T::kNumber);
    }
    return *as_node(c)->value<double>();
}

std::optional<bool> ConfigNode::boolean(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return std::nullopt;
    }
    if (!as_node(c)->is_boolean()) {
        wrong_type(key, c, T::kBoolean);
    }
    return *as_node(c)->value<bool>();
}

std::optional<std::vector<std::string>> ConfigNode::strings(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return std::nullopt;
    }
    if (!has_type(*as_node(c), T::kStrings)) {
        wrong_type(key, c, T::kStrings);
    }
    std::vector<std::string> out;
    for (const toml::node& el : *as_node(c)->as_array()) {
        out.push_back(*el.value<std::string>());
    }
    return out;
}

ConfigNode ConfigNode::table(std::string_view key) const {
    const void* c = child(key);
    if (c == nullptr) {
        return {};
    }
    if (!as_node(c)->is_table()) {
        wrong_type(key, c, T::kTable);
    }
    return {owner_, c, path_of(key), file_};
}

std::vector<ConfigNode> ConfigNode::tables(std::string_view key) const {
    std::vector<ConfigNode> out;
    const void* c = child(key);
    if (c == nullptr) {
        return out;
    }
    if (!has_type(*as_node(c), T::kTables)) {
        wrong_type(key, c, T::kTables);
    }
    std::size_t i = 0;
    for (const toml::node& el : *as_node(c)->as_array()) {
        out.push_back({owner_, &el, path_of(key) + "[" + std::to_string(i++) + "]", file_});
    }
    return out;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::entries() const {
    std::vector<std::pair<std::string, ConfigNode>> out;
    if (node_ == nullptr) {
        return out;
    }
    const toml::table* t = as_node(node_)->as_table();
    if (t == nullptr) {
        return out;
    }
    for (const auto& [k, node] : *t) {
        std::string name(k.str());
        out.emplace_back(name, ConfigNode{owner_, &node, path_of(name), file_});
    }
    return out;
}

} // namespace okxkit::core
