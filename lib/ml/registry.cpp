// The model registry: rows in the store's models table, files in STORE.models/<id>/.
#include "ml/registry.hpp"

#include "core/error.hpp"
#include "core/timeutil.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sstream>

namespace okxkit::ml {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kColumns =
    "id, inst, bar, horizon, threshold, schema, features, train_from, train_to, valid_from, "
    "valid_to, test_from, test_to, data_end, created_ms, params, metrics, importance, drift, dir, "
    "status, reason, sha256";

ModelRecord read_row(const store::Statement& st) {
    ModelRecord r;
    r.id = st.column_int(0);
    r.inst = st.column_text(1);
    r.bar = st.column_text(2);
    r.horizon = static_cast<int>(st.column_int(3));
    r.threshold = st.column_double(4);
    r.schema = st.column_text(5);
    r.features = static_cast<int>(st.column_int(6));
    r.train_from = st.column_int(7);
    r.train_to = st.column_int(8);
    r.valid_from = st.column_int(9);
    r.valid_to = st.column_int(10);
    r.test_from = st.column_int(11);
    r.test_to = st.column_int(12);
    r.data_end = st.column_int(13);
    r.created_ms = st.column_int(14);
    r.params = st.column_text(15);
    r.metrics = st.column_text(16);
    r.importance = st.column_text(17);
    r.drift = st.column_text(18);
    r.dir = st.column_text(19);
    r.status = st.column_text(20);
    r.reason = st.column_text(21);
    r.sha256 = st.column_text(22);
    return r;
}

std::vector<ModelRecord> query(store::Store& store, const std::string& where,
                               const std::vector<std::string>& args) {
    auto st = store.prepare("SELECT " + std::string(kColumns) + " FROM models " + where);
    for (std::size_t i = 0; i < args.size(); ++i) {
        st.bind(static_cast<int>(i + 1), args[i]);
    }
    std::vector<ModelRecord> out;
    while (st.step()) {
        out.push_back(read_row(st));
        // New rows name their folder relative to the store's, so a store moved with its
        // models keeps finding them; older rows hold an absolute path.
        if (fs::path d(out.back().dir); d.is_relative()) {
            out.back().dir = (fs::absolute(fs::path(store.path())).parent_path() / d).string();
        }
    }
    return out;
}

} // namespace

nlohmann::json skill_json(const Skill& s) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
    return {{"auc", num(s.auc)},
            {"auc_low", num(s.auc_low)},
            {"auc_high", num(s.auc_high)},
            {"level", s.level},
            {"resamples", s.resamples},
            {"block", s.block},
            {"policy_return", num(s.policy_return)},
            {"passed", s.passed},
            {"reason", s.reason},
            {"score", s.score()}};
}

Skill skill_from_json(const nlohmann::json& j) {
    auto num = [&](const char* k) {
        return j.contains(k) && j[k].is_number() ? j[k].get<double>() : std::nan("");
    };
    Skill s;
    s.auc = num("auc");
    s.auc_low = num("auc_low");
    s.auc_high = num("auc_high");
    s.level = j.at("level").get<double>();
    s.resamples = j.at("resamples").get<int>();
    s.block = j.at("block").get<std::size_t>();
    s.policy_return = num("policy_return");
    s.passed = j.at("passed").get<bool>();
    s.reason = j.at("reason").get<std::string>();
    return s;
}

namespace {

nlohmann::json drift_json(const DriftReference& d) {
    nlohmann::json edges = nlohmann::json::array();
    nlohmann::json shares = nlohmann::json::array();
    for (const PsiBins& b : d.bins) {
        edges.push_back(b.edges);
        shares.push_back(b.shares);
    }
    return {{"importance", d.importance},
            {"edges", edges},
            {"shares", shares},
            {"windows", d.windows},
            {"limits", d.limits}};
}

DriftReference drift_from_json(const nlohmann::json& j, std::size_t cols) {
    DriftReference d;
    d.importance = j.at("importance").get<std::vector<double>>();
    const auto& edges = j.at("edges");
    const auto& shares = j.at("shares");
    if (d.importance.size() != cols || edges.size() != cols || shares.size() != cols) {
        throw nlohmann::json::other_error::create(
            501, "drift: one importance, edge list and share list per feature expected", &j);
    }
    for (std::size_t c = 0; c < cols; ++c) {
        PsiBins b;
        b.edges = edges[c].get<std::vector<float>>();
        b.shares = shares[c].get<std::vector<double>>();
        if (b.edges.size() > 11 || b.shares.size() != b.edges.size() + 2 ||
            !std::is_sorted(b.edges.begin(), b.edges.end())) {
            throw nlohmann::json::other_error::create(
                501, "drift: feature " + std::to_string(c) + " has malformed bins", &j);
        }
        d.bins.push_back(std::move(b));
    }
    d.windows = j.at("windows").get<std::vector<std::size_t>>();
    d.limits = j.at("limits").get<std::vector<std::vector<double>>>();
    bool ok =
        d.windows.size() == d.limits.size() && std::is_sorted(d.windows.begin(), d.windows.end());
    for (const auto& l : d.limits) {
        ok = ok && l.size() == cols;
    }
    if (!ok) {
        throw nlohmann::json::other_error::create(
            501, "drift: one list of limits per window length, one limit per feature", &j);
    }
    return d;
}

} // namespace

Calibration ModelFile::calibration() const {
    if (skill) {
        return Calibration{skill->score(), exp_ret};
    }
    // p * mu_up + (1 - p) * mu_down is the line through (0, mu_down) and (1, mu_up).
    return Calibration{0.0, ReturnCurve{{0.0, 1.0}, {mu_down, mu_up}}};
}

std::string models_root(const std::string& store_path) {
    if (store_path.empty() || store_path == ":memory:") {
        throw core::UsageError("model files live beside the store: give --store a file");
    }
    fs::path p = fs::absolute(fs::path(store_path));
    return (p.parent_path() / (p.filename().string() + ".models")).string();
}

std::string files_sha256(const std::string& folder, const std::vector<std::string>& members) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        throw core::RuntimeError("cannot compute SHA-256 (OpenSSL)");
    }
    std::vector<std::string> names{"model.json"};
    names.insert(names.end(), members.begin(), members.end());
    std::string buf;
    for (const std::string& name : names) {
        const fs::path p = fs::path(folder) / name;
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        if (!in) {
            throw core::RuntimeError("cannot read model file " + p.string());
        }
        buf = name + "\n" + std::to_string(ss.view().size()) + "\n";
        buf += ss.view();
        EVP_DigestUpdate(ctx.get(), buf.data(), buf.size());
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1) {
        throw core::RuntimeError("cannot compute SHA-256 (OpenSSL)");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex += kHex[md[i] >> 4U];
        hex += kHex[md[i] & 15U];
    }
    return hex;
}

ModelFile open_model(const ModelRecord& rec, const std::string& store_path) {
    const std::string who = "model " + std::to_string(rec.id) + " (" + rec.inst + " " + rec.bar +
                            ") of the store " + store_path;
    const std::string fix = ": its files were overwritten or changed after train registered "
                            "them; retrain the series (train --symbols " +
                            rec.inst + " --bar " + rec.bar + " --store " + store_path + ")";
    ModelFile f;
    try {
        f = read_model_file(rec.dir);
    } catch (const core::Error& e) {
        throw core::Error(core::Exit::kRefused, who + ": " + e.what() + fix);
    }
    if (f.id != rec.id || f.inst != rec.inst || f.bar != rec.bar || f.horizon != rec.horizon ||
        f.schema != rec.schema || f.data_end != rec.data_end) {
        throw core::Error(core::Exit::kRefused,
                          who + ": " + rec.dir + "/model.json describes model " +
                              std::to_string(f.id) + " of " + f.inst + " " + f.bar + " (data to " +
                              core::format_iso_ms(f.data_end) + "), not the registry's row" + fix);
    }
    if (!rec.sha256.empty()) {
        std::string got;
        try {
            got = files_sha256(rec.dir, f.members);
        } catch (const core::Error& e) {
            throw core::Error(core::Exit::kRefused, who + ": " + e.what() + fix);
        }
        if (got != rec.sha256) {
            throw core::Error(core::Exit::kRefused,
                              who + ": the files in " + rec.dir + " hash to " + got.substr(0, 12) +
                                  ", the registry row to " + rec.sha256.substr(0, 12) + fix);
        }
    }
    return f;
}

std::int64_t register_model(store::Store& store, ModelRecord& rec, ModelFile& file,
                            std::size_t members,
                            const std::function<void(const std::vector<std::string>&)>& save) {
    store.begin();
    fs::path dir;
    try {
        auto st = store.prepare("SELECT coalesce(max(id), 0) + 1 FROM models");
        st.step();
        rec.id = st.column_int(0);
        file.id = rec.id;
        const fs::path root(models_root(store.path()));
        dir = root / std::to_string(rec.id);
        fs::remove_all(dir); // leftovers of a run that died before its commit
        fs::create_directories(dir);
        rec.dir = dir.string();
        const std::string stored = (root.filename() / std::to_string(rec.id)).string();
        file.members.clear();
        std::vector<std::string> paths;
        for (std::size_t k = 0; k < members; ++k) {
            file.members.push_back("member-" + std::to_string(k) + ".json");
            paths.push_back((dir / file.members.back()).string());
        }
        save(paths);
        nlohmann::json j = {
            {"id", file.id},           {"inst", file.inst},           {"bar", file.bar},
            {"horizon", file.horizon}, {"threshold", file.threshold}, {"schema", file.schema},
            {"names", file.names},     {"data_end", file.data_end},   {"members", file.members},
        };
        if (file.skill) {
            j["skill"] = skill_json(*file.skill);
            j["exp_ret"] = {{"p", file.exp_ret.p}, {"ret", file.exp_ret.ret}};
        }
        if (file.drift) {
            j["drift"] = drift_json(*file.drift);
        }
        std::ofstream out(dir / "model.json");
        out << j.dump(1) << '\n';
        out.close();
        if (!out) {
            throw core::RuntimeError("cannot write " + (dir / "model.json").string());
        }
        rec.sha256 = files_sha256(rec.dir, file.members);
        auto ins = store.prepare(
            "INSERT INTO models(" + std::string(kColumns) +
            ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
            "?17, ?18, ?19, ?20, ?21, ?22, ?23)");
        ins.bind(1, rec.id).bind(2, rec.inst).bind(3, rec.bar);
        ins.bind(4, static_cast<std::int64_t>(rec.horizon)).bind(5, rec.threshold);
        ins.bind(6, rec.schema).bind(7, static_cast<std::int64_t>(rec.features));
        ins.bind(8, rec.train_from).bind(9, rec.train_to).bind(10, rec.valid_from);
        ins.bind(11, rec.valid_to).bind(12, rec.test_from).bind(13, rec.test_to);
        ins.bind(14, rec.data_end).bind(15, rec.created_ms).bind(16, rec.params);
        ins.bind(17, rec.metrics).bind(18, rec.importance).bind(19, rec.drift);
        ins.bind(20, stored).bind(21, rec.status).bind(22, rec.reason).bind(23, rec.sha256);
        ins.exec();
        store.commit();
    } catch (...) {
        store.rollback();
        if (!dir.empty()) {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
        throw;
    }
    return rec.id;
}

std::optional<ModelRecord> find_model(store::Store& store, std::int64_t id) {
    auto rows = query(store, "WHERE id = ?1", {std::to_string(id)});
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows.front();
}

std::vector<ModelRecord> list_models(store::Store& store, const std::string& inst,
                                     const std::string& bar) {
    if (inst.empty()) {
        return query(store, "ORDER BY id", {});
    }
    return query(store, "WHERE inst = ?1 AND bar = ?2 ORDER BY id", {inst, bar});
}

std::optional<ModelRecord> find_champion(store::Store& store, const std::string& inst,
                                         const std::string& bar) {
    auto rows = query(store, "WHERE inst = ?1 AND bar = ?2 AND status = 'champion'", {inst, bar});
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows.front();
}

std::optional<std::int64_t> last_trained(store::Store& store, const std::string& inst,
                                         const std::string& bar, int horizon) {
    auto st = store.prepare(
        "SELECT max(created_ms) FROM models WHERE inst = ?1 AND bar = ?2 AND horizon = ?3");
    st.bind(1, inst).bind(2, bar).bind(3, static_cast<std::int64_t>(horizon));
    if (!st.step() || st.column_is_null(0)) {
        return std::nullopt;
    }
    return st.column_int(0);
}

void promote(store::Store& store, std::int64_t id, const std::string& reason) {
    auto rec = find_model(store, id);
    if (!rec) {
        throw core::UsageError("no model " + std::to_string(id) + " in the store");
    }
    store.begin();
    try {
        auto retire = store.prepare("UPDATE models SET status = 'retired' WHERE inst = ?1 AND "
                                    "bar = ?2 AND status = 'champion' AND id != ?3");
        retire.bind(1, rec->inst).bind(2, rec->bar).bind(3, id).exec();
        auto up = store.prepare("UPDATE models SET status = 'champion', reason = ?2 WHERE id = ?1");
        up.bind(1, id).bind(2, reason).exec();
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
}

void set_reason(store::Store& store, std::int64_t id, const std::string& reason) {
    auto up = store.prepare("UPDATE models SET reason = ?2 WHERE id = ?1");
    up.bind(1, id).bind(2, reason).exec();
}

std::vector<std::string> completion_model_ids() {
    std::vector<std::string> ids;
    try {
        const char* env = std::getenv("OKXKIT_STORE");
        const std::string path = env != nullptr && *env != '\0' ? env : store::default_store_path();
        if (!fs::is_regular_file(path)) {
            return ids;
        }
        store::Store::Options so;
        so.create = false;
        so.read_only = true;
        store::Store st(path, so);
        auto q = st.prepare("SELECT id FROM models ORDER BY id");
        while (q.step()) {
            ids.push_back(std::to_string(q.column_int(0)));
        }
    } catch (...) { // NOLINT(bugprone-empty-catch): completion offers nothing rather than fail
        ids.clear();
    }
    return ids;
}

ModelFile read_model_file(const std::string& path) {
    fs::path p(path);
    if (fs::is_directory(p)) {
        p /= "model.json";
    }
    std::ifstream in(p);
    if (!in) {
        throw core::RuntimeError("cannot read model file " + p.string() +
                                 ": no such file (give a model id or a model.json)");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ModelFile f;
    try {
        auto j = nlohmann::json::parse(ss.str());
        f.id = j.at("id").get<std::int64_t>();
        f.inst = j.at("inst").get<std::string>();
        f.bar = j.at("bar").get<std::string>();
        f.horizon = j.at("horizon").get<int>();
        f.threshold = j.at("threshold").get<double>();
        f.schema = j.at("schema").get<std::string>();
        f.names = j.at("names").get<std::vector<std::string>>();
        f.data_end = j.at("data_end").get<std::int64_t>();
        f.members = j.at("members").get<std::vector<std::string>>();
        if (j.contains("skill")) {
            f.skill = skill_from_json(j["skill"]);
            f.exp_ret.p = j.at("exp_ret").at("p").get<std::vector<double>>();
            f.exp_ret.ret = j.at("exp_ret").at("ret").get<std::vector<double>>();
            if (f.exp_ret.p.size() != f.exp_ret.ret.size() ||
                !std::is_sorted(f.exp_ret.p.begin(), f.exp_ret.p.end())) {
                throw nlohmann::json::other_error::create(
                    501, "exp_ret: p and ret must be lists of one length, p increasing", &j);
            }
        } else {
            f.mu_up = j.at("mu_up").get<double>();
            f.mu_down = j.at("mu_down").get<double>();
        }
        if (j.contains("drift")) {
            f.drift = drift_from_json(j["drift"], f.names.size());
        }
    } catch (const nlohmann::json::exception& e) {
        throw core::RuntimeError("model file " + p.string() +
                                 " is not an okxkit model: " + e.what());
    }
    if (f.members.empty()) {
        throw core::RuntimeError("model file " + p.string() + " lists no member files");
    }
    return f;
}

} // namespace okxkit::ml
