// Config file loading with toml++ and the list of known keys.
#include "core/config.hpp"

#include "core/error.hpp"

#include <array>
#include <cstdlib>
#include <toml++/toml.h>

namespace okxkit::core {

namespace {

constexpr std::array<ConfigKey, 29> kKeys{{
    {"symbols", "strings", "instruments to trade and stream (default: 8 majors against USDT)"},
    {"bars", "strings", "candle bars to stream (default: 1m)"},
    {"run", "string", "run id recorded with every order and fill (like --run)"},
    {"store.path", "string", "path of the SQLite store (like --store)"},
    {"log.json", "boolean", "diagnostics as JSON lines on stderr (like --log-json)"},
    {"log.verbosity", "integer", "-1 quiet, 0 default, 1 verbose (like -q / -v)"},
    {"input.strict", "boolean", "stop with exit 3 at the first malformed line (like --strict)"},
    {"input.max_line", "integer", "longest input line accepted, in bytes (like --max-line)"},
    {"output.unbuffered", "boolean", "flush stdout after every line (like --unbuffered)"},
    {"replay.speed", "number", "replay pace as a multiple of real time; 0 = as fast as possible"},
    {"replay.source", "string", "source label stored with replayed candles"},
    {"okx.rest_url", "string", "OKX REST base URL (like --rest-url)"},
    {"okx.ws_public_url", "string", "OKX public WebSocket URL (like --ws-public-url)"},
    {"okx.ws_business_url", "string", "OKX business WebSocket URL (like --ws-business-url)"},
    {"okx.demo", "boolean", "use OKX demo trading (like --demo)"},
    {"okx.retries", "integer", "retries of a REST request after transient errors (like --retries)"},
    {"featurize.set", "string", "feature set file of featurize (like --set)"},
    {"featurize.format", "string", "features as array or object (like featurize --format)"},
    {"featurize.gap_policy", "string", "reset, missing or ignore after gaps (like --gap-policy)"},
    {"fees.taker", "number", "taker fee rate per side, e.g. 0.001 (like train --fee)"},
    {"train.bar", "string", "candle bar train works on (like train --bar)"},
    {"train.horizon", "integer", "label horizon in bars (like train --horizon)"},
    {"train.folds", "integer", "walk-forward folds (like train --folds)"},
    {"train.members", "integer", "boosters per ensemble (like train --members)"},
    {"train.rounds", "integer", "most boosting rounds per booster (like train --rounds)"},
    {"train.threads", "integer", "XGBoost threads (like train --threads)"},
    {"train.window", "string", "stored history to train on, e.g. 30d (like train --window)"},
    {"train.every", "string", "do not retrain a series within this duration (like --every)"},
    {"predict.max_age", "string", "refuse models older than this, e.g. 7d (like --max-age)"},
}};

bool known_key(std::string_view key) {
    for (const ConfigKey& k : kKeys) {
        if (k.key == key) {
            return true;
        }
    }
    return false;
}

bool known_table(std::string_view key) {
    for (const ConfigKey& k : kKeys) {
        if (k.key.size() > key.size() && k.key.substr(0, key.size()) == key &&
            k.key[key.size()] == '.') {
            return true;
        }
    }
    return false;
}

std::string where(const std::string& path, const toml::source_region& src) {
    return path + ":" + std::to_string(src.begin.line);
}

void warn_unknown(const std::string& path, const toml::table& table, const std::string& prefix,
                  std::vector<Config::Warning>& out) {
    for (const auto& [k, node] : table) {
        std::string key =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (known_key(key)) {
            continue;
        }
        if (node.is_table() && known_table(key)) {
            warn_unknown(path, *node.as_table(), key, out);
            continue;
        }
        out.push_back({path, k.source().begin.line,
                       "unknown key \"" + key + "\" (ignored; see okxkit-config(5))"});
    }
}

std::optional<std::string> scalar_text(const toml::node& node, std::string_view type) {
    if (type == "string") {
        if (auto v = node.value<std::string>(); v && node.is_string()) {
            return *v;
        }
    } else if (type == "integer") {
        if (node.is_integer()) {
            return std::to_string(*node.value<std::int64_t>());
        }
    } else if (type == "number") {
        if (node.is_integer()) {
            return std::to_string(*node.value<std::int64_t>());
        }
        if (node.is_floating_point()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", *node.value<double>());
            return std::string(buf);
        }
    } else if (type == "boolean") {
        if (node.is_boolean()) {
            return *node.value<bool>() ? "true" : "false";
        }
    }
    return std::nullopt;
}

} // namespace

struct Config::Impl {
    toml::table table;
};

std::span<const ConfigKey> config_keys() {
    return kKeys;
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

Config Config::load(const std::string& path) {
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
    warn_unknown(path, cfg.impl_->table, "", cfg.warnings_);
    return cfg;
}

std::optional<std::vector<std::string>> Config::get(std::string_view key,
                                                    std::string_view type) const {
    if (!impl_) {
        return std::nullopt;
    }
    toml::node_view node = impl_->table.at_path(key);
    if (!node) {
        return std::nullopt;
    }
    auto bad = [&] {
        return UsageError(where(path_, node.node()->source()) + ": key \"" + std::string(key) +
                          "\" must be " +
                          (type == "strings" ? "an array of strings" : "a " + std::string(type)));
    };
    std::vector<std::string> out;
    if (type == "strings") {
        const toml::array* arr = node.as_array();
        if (arr == nullptr) {
            throw bad();
        }
        for (const toml::node& el : *arr) {
            auto text = scalar_text(el, "string");
            if (!text) {
                throw bad();
            }
            out.push_back(*text);
        }
        return out;
    }
    auto text = scalar_text(*node.node(), type);
    if (!text) {
        throw bad();
    }
    out.push_back(*text);
    return out;
}

} // namespace okxkit::core
