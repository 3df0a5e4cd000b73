// Feature names and sets: parsing a name into its family and parameters, building it, the
// default set, sets from TOML, the schema hash and the --list table.
#include "features/families.hpp"
#include "features/graph.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

namespace okxkit::features {

namespace {

using build::joined;
using build::P;
using build::param_text;

// Replaces {0} {1} {2} and {p} in a template.
std::string expand(std::string_view tmpl, const P& p) {
    std::string s;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] == '{' && i + 2 < tmpl.size() && tmpl[i + 2] == '}') {
            char c = tmpl[i + 1];
            if (c == 'p') {
                s += joined(p);
                i += 2;
                continue;
            }
            if (c >= '0' && c <= '2' && static_cast<std::size_t>(c - '0') < p.size()) {
                s += param_text(p[static_cast<std::size_t>(c - '0')]);
                i += 2;
                continue;
            }
        }
        s += tmpl[i];
    }
    return s;
}

std::string canonical(const Family& f, const P& p) {
    return p.empty() ? f.name : f.name + "_" + joined(p);
}

std::string synopsis(const Family& f) {
    std::string s = f.name;
    for (char k : f.params) {
        s += k == 'x' ? "_X" : "_N";
    }
    return s;
}

struct Parsed {
    const Family* family;
    P params;
};

// Splits "macd_hist_12_26_9" into its family and parameters, and checks them.
Parsed parse_name(const std::string& name) {
    // The family is the longest run of leading tokens that are not numbers.
    std::vector<std::string> tokens;
    std::size_t pos = 0;
    while (pos <= name.size()) {
        std::size_t us = name.find('_', pos);
        tokens.push_back(name.substr(pos, us == std::string::npos ? us : us - pos));
        if (us == std::string::npos) {
            break;
        }
        pos = us + 1;
    }
    std::size_t k = 0;
    std::string fam;
    while (k < tokens.size() && !tokens[k].empty() &&
           !(tokens[k][0] >= '0' && tokens[k][0] <= '9') && tokens[k][0] != '.') {
        if (!fam.empty()) {
            fam += '_';
        }
        fam += tokens[k];
        ++k;
    }
    const Family* f = nullptr;
    for (const Family& cand : families()) {
        if (cand.name == fam) {
            f = &cand;
            break;
        }
    }
    if (f == nullptr) {
        throw std::invalid_argument("unknown feature \"" + name +
                                    "\" (featurize --list shows every family)");
    }
    P params;
    for (std::size_t i = k; i < tokens.size(); ++i) {
        double v = 0;
        const std::string& t = tokens[i];
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) {
            std::string msg = "feature \"" + name + "\": \"";
            msg += t;
            msg += "\" is not a number (write it as ";
            msg += synopsis(*f);
            msg += ")";
            throw std::invalid_argument(msg);
        }
        params.push_back(v);
    }
    if (params.size() != f->params.size()) {
        throw std::invalid_argument("feature \"" + name + "\" takes " +
                                    std::to_string(f->params.size()) + " parameter" +
                                    (f->params.size() == 1 ? "" : "s") + ": " + synopsis(*f));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        double v = params[i];
        char kind = f->params[i];
        bool integer = v == std::floor(v);
        if ((kind == 'n' && (!integer || v < 1 || v > 100000)) ||
            (kind == 'm' && (!integer || v < 2 || v > 100000)) ||
            (kind == 'x' && (v <= 0 || v > 1000))) {
            throw std::invalid_argument("feature \"" + name + "\": parameter " +
                                        std::to_string(i + 1) + " must be " +
                                        (kind == 'n'   ? "an integer from 1 to 100000"
                                         : kind == 'm' ? "an integer from 2 to 100000"
                                                       : "a number above 0 and at most 1000"));
        }
    }
    if (canonical(*f, params) != name) {
        throw std::invalid_argument("feature \"" + name + "\": write it as " +
                                    canonical(*f, params));
    }
    return {f, std::move(params)};
}

// "text" with its quotes, for error messages.
std::string quoted(std::string_view text) {
    std::string q;
    q.reserve(text.size() + 2);
    q += '"';
    q += text;
    q += '"';
    return q;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace

FeatureSlot build_feature(Graph& g, const std::string& name) {
    Parsed parsed = parse_name(name);
    FeatureSlot o = parsed.family->build(g, parsed.params);
    if (!parsed.family->warm_note.empty()) {
        o.warm_text = expand(parsed.family->warm_note, parsed.params);
    }
    return o;
}

FeatureSet FeatureSet::default_set() {
    FeatureSet s;
    for (const Family& f : families()) {
        if (f.opt_in) {
            continue;
        }
        for (const P& p : f.defaults) {
            s.names_.push_back(canonical(f, p));
        }
    }
    return s;
}

FeatureSet FeatureSet::from_names(std::span<const std::string> names) {
    FeatureSet s;
    std::set<std::string> seen;
    for (const std::string& n : names) {
        parse_name(n);
        if (!seen.insert(n).second) {
            throw std::invalid_argument("feature \"" + n + "\" is listed twice");
        }
        s.names_.push_back(n);
    }
    if (s.names_.empty()) {
        throw std::invalid_argument("the feature set is empty");
    }
    return s;
}

FeatureSet FeatureSet::from_toml_file(const std::string& path) {
    toml::table t;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw std::invalid_argument(path + ": a folder, not a feature set file (TOML)");
    }
    if (!std::ifstream(path)) {
        throw std::invalid_argument(path + ": cannot open the feature set file");
    }
    try {
        t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << path << ":" << e.source().begin.line << ": " << e.description();
        throw std::invalid_argument(where.str());
    }
    auto fail = [&](const toml::node& node, const std::string& msg) {
        throw std::invalid_argument(path + ":" + std::to_string(node.source().begin.line) + ": " +
                                    msg);
    };
    auto strings = [&](std::string_view key) {
        std::vector<std::string> out;
        const toml::node* node = t.get(key);
        if (node == nullptr) {
            return out;
        }
        const toml::array* arr = node->as_array();
        if (arr == nullptr) {
            fail(*node, quoted(key) + " must be an array of " +
                            (key == "groups" ? "group" : "feature") + " names");
        }
        for (const toml::node& el : *arr) {
            if (!el.is_string()) {
                fail(el, quoted(key) + " must hold strings");
            }
            out.push_back(*el.value<std::string>());
        }
        return out;
    };
    for (const auto& [k, node] : t) {
        if (k != "default" && k != "features" && k != "exclude" && k != "groups") {
            fail(node, "unknown key \"" + std::string(k.str()) +
                           "\" (a feature set has default, groups, features and exclude)");
        }
    }
    bool use_default = t.get("features") == nullptr;
    if (const toml::node* d = t.get("default")) {
        if (!d->is_boolean()) {
            fail(*d, "\"default\" must be true or false");
        }
        use_default = *d->value<bool>();
    }
    std::vector<std::string> names;
    if (use_default) {
        names = default_set().names();
    }
    auto line_of = [&](std::string_view key) {
        return path + ":" + std::to_string(t.get(key)->source().begin.line) + ": ";
    };
    // A group adds the default parameter sets of each of its families, in family order, that
    // the set does not hold yet (so `groups = ["news"]` adds the opt-in news features).
    for (const std::string& grp : strings("groups")) {
        bool known = false;
        std::string all;
        for (const Family& f : families()) {
            if (all.find(" " + f.group + ",") == std::string::npos) {
                all += " " + f.group + ",";
            }
            if (f.group != grp) {
                continue;
            }
            known = true;
            for (const P& p : f.defaults) {
                std::string n = canonical(f, p);
                if (std::find(names.begin(), names.end(), n) == names.end()) {
                    names.push_back(std::move(n));
                }
            }
        }
        if (!known) {
            all.pop_back();
            std::string msg = line_of("groups");
            msg += "unknown group \"";
            msg += grp;
            msg += "\" (groups:";
            msg += all;
            msg += ")";
            throw std::invalid_argument(msg);
        }
    }
    for (std::string& n : strings("features")) {
        try {
            parse_name(n);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(line_of("features") + e.what());
        }
        if (std::find(names.begin(), names.end(), n) != names.end()) {
            throw std::invalid_argument(line_of("features") + "feature \"" + n +
                                        "\" is listed twice" +
                                        (use_default ? " (it is in the default set)" : ""));
        }
        names.push_back(std::move(n));
    }
    for (const std::string& n : strings("exclude")) {
        auto it = std::find(names.begin(), names.end(), n);
        if (it == names.end()) {
            throw std::invalid_argument(line_of("exclude") + "\"" + n +
                                        "\" is not in the set, so it cannot be excluded");
        }
        names.erase(it);
    }
    try {
        return from_names(names);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ": " + e.what());
    }
}

std::string FeatureSet::hash() const {
    std::uint64_t h = fnv1a("okxkit-features-v1", 0xcbf29ce484222325ULL);
    for (const std::string& n : names_) {
        h = fnv1a("\n", h);
        h = fnv1a(n, h);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = kHex[h & 15];
        h >>= 4;
    }
    return s;
}

std::vector<FeatureInfo> FeatureSet::describe() const {
    std::vector<FeatureInfo> out;
    FeatureSet one;
    for (const std::string& n : names_) {
        Parsed parsed = parse_name(n);
        one.names_.assign(1, n);
        Graph g(one);
        const FeatureSlot& o = g.outputs().front();
        out.push_back(FeatureInfo{n, parsed.family->group,
                                  expand(parsed.family->definition, parsed.params), o.warm,
                                  o.warm_text.empty() ? std::to_string(o.warm) : o.warm_text});
    }
    return out;
}

std::vector<NewsQuery> news_queries(const FeatureSet& set) {
    std::vector<NewsQuery> out;
    for (const std::string& n : set.names()) {
        Parsed parsed = parse_name(n);
        std::optional<NewsQuery> q = news_query(parsed.family->name, parsed.params);
        if (q && std::find(out.begin(), out.end(), *q) == out.end()) {
            out.push_back(*q);
        }
    }
    return out;
}

std::vector<std::string> family_synopses() {
    std::vector<std::string> out;
    for (const Family& f : families()) {
        out.push_back(synopsis(f));
    }
    return out;
}

} // namespace okxkit::features
