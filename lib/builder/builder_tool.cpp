// okx-builder: its option table, the request guard and the API over one folder of strategy
// files. cpp-httplib (Debian's libcpp-httplib-dev) carries the HTTP.
#include "builder/builder_tool.hpp"

#include "builder/backtest.hpp"
#include "builder/dryrun.hpp"

#include "core/bar.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "features/engine.hpp"
#include "store/store.hpp"
#include "strategy/params.hpp"
#include "strategy/regime.hpp"
#include "strategy/rules.hpp"
#include "strategy/select_strategy_tool.hpp"
#include "strategy/strategies.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#ifndef OKXKIT_DATA_DIRS
#define OKXKIT_DATA_DIRS ""
#endif

extern char** environ; // NOLINT(readability-identifier-naming): POSIX's name

namespace okxkit::builder {

namespace fs = std::filesystem;
using core::Log;
using core::OptType;

namespace {

constexpr std::size_t kMaxBody = 1 << 20; // a strategy file is a few kB

core::ToolSpec make_spec() {
    core::ToolSpec spec{
        "okx-builder",
        "a local server for building strategy files in the browser, over one folder of them",
        "okx-builder [--dir DIR] [--port N] [--data DIR] [OPTIONS]",
        "Serves the strategy builder page and its API on 127.0.0.1 only, over the strategy\n"
        "files (TOML) of --dir: list, read, save, validate (as select-strategy --validate),\n"
        "the deploy pipeline (as select-strategy --compile), and the backtest of a saved file\n"
        "on the bundled samples in paper mode (POST /api/backtest/NAME: audit report's JSON,\n"
        "cached in DIR/.okx-builder/backtests/), and its live dry run on OKX's public candles\n"
        "(GET /api/dryrun/NAME: select-strategy --explain per candle as server-sent events, no\n"
        "order anywhere). Every API call needs the session's token,\n"
        "printed with the address at start; requests with a foreign Host or Origin are\n"
        "refused, and names are file names in --dir, never paths. Nothing it does reaches an\n"
        "exchange. Stops on SIGINT or SIGTERM.\n"
        "Example: okx-builder --dir ~/strategies   # then open the printed address\n",
        {},
    };
    const core::OptionSpec own[] = {
        {"dir", 0, OptType::kPath, "DIR",
         "the folder of strategy files it reads and saves (made when missing; default: "
         "${XDG_CONFIG_HOME:-~/.config}/okxkit/strategies)"},
        {"port",
         0,
         OptType::kInt,
         "N",
         "the port on 127.0.0.1 (0: any free one; the address is printed)",
         "8765",
         {},
         {},
         {},
         {},
         0,
         65535},
        {"data", 0, OptType::kPath, "DIR",
         "the folder holding builder/ (the page), strategies/ (the templates) and samples/ (the "
         "backtest's candles) (default: the installed share/okxkit)"},
        {"bar", 0, OptType::kString, "BAR", "the bar of the deploy pipeline", "5m"},
        {"store", 0, OptType::kPath, "FILE",
         "the store the deploy pipeline names (default: the tools' default store)"},
        {"rest-url", 0, OptType::kString, "URL",
         "OKX REST base URL of the dry run's public candles (default: okx-stream's)"},
        {"ws-business-url", 0, OptType::kString, "URL",
         "OKX business WebSocket URL of the dry run's live candles (default: okx-stream's)"},
    };
    spec.options.assign(std::begin(own), std::end(own));
    for (const auto& o : core::common_options()) {
        spec.options.push_back(o);
    }
    return spec;
}

std::string random_token() {
    unsigned char b[16];
    std::ifstream in("/dev/urandom", std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(b), sizeof b)) {
        throw core::RuntimeError("cannot read /dev/urandom for the session token");
    }
    static const char* hex = "0123456789abcdef";
    std::string t;
    for (unsigned char c : b) {
        t += hex[c >> 4];
        t += hex[c & 15];
    }
    return t;
}

std::string default_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg != nullptr && *xdg != '\0') {
        return std::string(xdg) + "/okxkit/strategies";
    }
    return core::expand_home("~/.config/okxkit/strategies");
}

// share/okxkit: --data, else the installed one, else the source tree's (a build not installed).
fs::path data_dir(const core::Options& o) {
    if (o.has("data")) {
        return o.str("data");
    }
    std::string dirs = OKXKIT_DATA_DIRS;
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        fs::path d = dirs.substr(0, colon);
        if (fs::is_directory(d / "strategies")) {
            return d;
        }
        dirs = colon == std::string::npos ? "" : dirs.substr(colon + 1);
    }
    throw core::UsageError("cannot find share/okxkit: give it with --data DIR");
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The answer of select-strategy --validate --format json for one file shown as `shown`.
// Bars before each node of a valid file can first be true, by its key ("indicators.fast",
// "conditions.golden", "actions.enter"), and "" for the strategy as a whole: an indicator's
// feature warm-up, a price 1, a number 0, a comparison the most of its inputs, a cross one more
// (it reads the candle before), an action that of its condition. A built-in kind is one node:
// the slowest of its features.
struct Warmups {
    std::uint64_t all = 0;
    std::vector<std::pair<std::string, std::uint64_t>> nodes;
};

Warmups warmups(const strategy::StrategyConfig& c) {
    Warmups w;
    auto& out = w.nodes;
    std::uint64_t& all = w.all;
    auto feature_warmup = [](const std::string& name) {
        const std::vector<std::string> one{name};
        return features::FeatureSet::from_names(one).describe().front().warmup;
    };
    if (c.rules) {
        const strategy::Rules& r = *c.rules;
        std::vector<std::uint64_t> ind;
        for (const auto& i : r.indicators) {
            ind.push_back(feature_warmup(i.feature));
            out.emplace_back("indicators." + i.id, ind.back());
        }
        std::vector<std::uint64_t> cond;
        for (const auto& k : r.conditions) {
            std::uint64_t w = 0;
            for (const auto& a : k.args) {
                using K = strategy::Operand::Kind;
                const std::uint64_t x = a.kind == K::kNumber      ? 0
                                        : a.kind == K::kPrice     ? 1
                                        : a.kind == K::kIndicator ? ind.at(a.index)
                                                                  : cond.at(a.index);
                w = std::max(w, x);
            }
            if (k.op == strategy::RuleOp::kCrossAbove || k.op == strategy::RuleOp::kCrossBelow) {
                ++w;
            }
            cond.push_back(w);
            out.emplace_back("conditions." + k.id, w);
        }
        for (const auto& a : r.actions) {
            out.emplace_back("actions." + a.id, cond.at(a.when));
            all = std::max(all, cond.at(a.when));
        }
    } else {
        for (const auto& n : strategy::make_strategy(c)->feature_names()) {
            all = std::max(all, feature_warmup(n));
        }
    }
    return w;
}

std::string warmup_json(const strategy::StrategyConfig& c) {
    const Warmups ws = warmups(c);
    std::string o = R"({"":)" + std::to_string(ws.all);
    for (const auto& [key, w] : ws.nodes) {
        o += ',';
        core::append_json_string(o, key);
        o += ':';
        o += std::to_string(w);
    }
    o += '}';
    return o;
}

// select-strategy --validate --format json's answer, and for a valid file the warm-ups.
std::string validate_json(const std::string& path, const std::string& shown) {
    strategy::StrategyConfig config;
    const auto problems = strategy::check_file(path, &config);
    std::string out = R"({"valid":)";
    out += problems.empty() ? "true" : "false";
    out += R"(,"files":1,"errors":[)";
    for (std::size_t i = 0; i < problems.size(); ++i) {
        out += i ? ",{" : "{";
        out += R"("file":)";
        core::append_json_string(out, shown);
        out += R"(,"line":)" + std::to_string(problems[i].line) + R"(,"key":)";
        core::append_json_string(out, problems[i].key);
        out += R"(,"message":)";
        // The message names the temporary file in places: show the name the page knows.
        std::string m = problems[i].message;
        for (auto at = m.find(path); at != std::string::npos; at = m.find(path)) {
            m.replace(at, path.size(), shown);
        }
        core::append_json_string(out, m);
        out += '}';
    }
    out += ']';
    if (problems.empty()) {
        out += R"(,"warmup":)" + warmup_json(config);
    }
    out += '}';
    return out;
}

std::string error_json(const std::string& message) {
    std::string out = R"({"error":)";
    core::append_json_string(out, message);
    out += '}';
    return out;
}

class Server {
public:
    Server(const core::Options& o, fs::path dir, fs::path data)
        : dir_(std::move(dir)), data_(std::move(data)), bar_(o.str("bar")),
          store_(o.has("store") ? o.str("store") : std::string()),
          backtests_(dir_ / ".okx-builder" / "backtests", tools_dir(), data_ / "samples",
                     std::chrono::seconds(300)),
          rest_url_(o.has("rest-url") ? o.str("rest-url") : std::string()),
          ws_business_url_(o.has("ws-business-url") ? o.str("ws-business-url") : std::string()) {
        if (!core::parse_bar(bar_)) {
            throw core::UsageError("--bar " + bar_ + ": not a bar (1m 5m 15m 1H ...)");
        }
        guard_.token = random_token();
        routes();
    }

    int run(int port) {
        svr_.set_payload_max_length(kMaxBody);
        svr_.set_tcp_nodelay(true); // headers and body go in two writes: no Nagle wait
        // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server
        // could bind the same port and take half of the connections.
        svr_.set_socket_options([](socket_t sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        });
        svr_.set_read_timeout(5, 0);
        int bound = port;
        if (port == 0) {
            bound = svr_.bind_to_any_port("127.0.0.1");
        } else if (!svr_.bind_to_port("127.0.0.1", port)) {
            bound = -1;
        }
        if (bound <= 0) {
            throw core::RuntimeError("cannot listen on 127.0.0.1:" + std::to_string(port) +
                                     " (in use? try --port 0 for any free port)");
        }
        guard_.port = bound;
        const std::string url =
            "http://127.0.0.1:" + std::to_string(bound) + "/#token=" + guard_.token;
        // The one place the token is written: the person who started the server opens it.
        std::fprintf(stderr, "okx-builder: serving %s (strategies in %s)\n", url.c_str(),
                     dir_.c_str());
        std::fflush(stderr);
        std::atomic<bool> done{false};
        std::thread watch([&] {
            while (!done.load() && !core::interrupted()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            svr_.stop();
        });
        svr_.listen_after_bind();
        done = true;
        watch.join();
        return core::interrupted() ? 0 : 1;
    }

private:
    using Req = httplib::Request;
    using Res = httplib::Response;

    static void json(Res& res, int status, const std::string& body) {
        res.status = status;
        res.set_content(body + "\n", "application/json");
    }

    // Host and Origin on every request; the token on every API call.
    httplib::Server::HandlerResponse guard(const Req& req, Res& res) const {
        res.set_header("Cache-Control", "no-store");
        res.set_header("X-Content-Type-Options", "nosniff");
        if (!guard_.host_ok(req.get_header_value("Host"))) {
            json(res, 403,
                 error_json("forbidden: the Host header must be 127.0.0.1:" +
                            std::to_string(guard_.port)));
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.has_header("Origin") && !guard_.origin_ok(req.get_header_value("Origin"))) {
            json(res, 403, error_json("forbidden: requests from another origin"));
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.path.rfind("/api/", 0) == 0 &&
            !guard_.token_ok(req.get_header_value("X-Okxkit-Token"))) {
            json(res, 403,
                 error_json("forbidden: no session token (the X-Okxkit-Token header; it is in "
                            "the address okx-builder printed)"));
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    }

    // The name of a request's file, or a 400 answer.
    std::optional<std::string> name_of(const Req& req, Res& res) const {
        auto n = file_name(req.matches[1].str());
        if (!n) {
            json(res, 400,
                 error_json("not a strategy file name: letters, digits, _ - and ., ending in "
                            ".toml, in the folder (no paths)"));
        }
        return n;
    }

    void routes() {
        svr_.set_pre_routing_handler([this](const Req& q, Res& r) { return guard(q, r); });
        svr_.Get("/", [this](const Req&, Res& res) { page(res, "index.html"); });
        svr_.Get(R"(/([A-Za-z0-9_-]+\.(?:html|css|js|svg)))",
                 [this](const Req& req, Res& res) { page(res, req.matches[1].str()); });
        // Made once: it lists every feature with its warm-up (about 60 kB).
        svr_.Get("/api/schema", [schema = strategy::schema_json()](const Req&, Res& res) {
            json(res, 200, schema);
        });
        svr_.Get("/api/files", [this](const Req&, Res& res) { list(res); });
        svr_.Get(R"(/api/files/(.*))", [this](const Req& req, Res& res) {
            if (auto n = name_of(req, res)) {
                send_toml(res, dir_ / *n);
            }
        });
        svr_.Put(R"(/api/files/(.*))", [this](const Req& req, Res& res) { save(req, res); });
        svr_.Get(R"(/api/templates/(.*))", [this](const Req& req, Res& res) {
            if (auto n = name_of(req, res)) {
                send_toml(res, data_ / "strategies" / *n);
            }
        });
        svr_.Post("/api/validate", [this](const Req& req, Res& res) {
            const std::string shown =
                req.has_param("name") ? req.get_param_value("name") : std::string("strategy.toml");
            with_temp(req.body, [&](const std::string& path) {
                json(res, 200, validate_json(path, file_name(shown).value_or("strategy.toml")));
            });
        });
        svr_.Get(R"(/api/compile/(.*))", [this](const Req& req, Res& res) { compile(req, res); });
        svr_.Post(R"(/api/backtest/(.*))",
                  [this](const Req& req, Res& res) { backtest(req, res); });
        svr_.Get(R"(/api/dryrun/(.*))", [this](const Req& req, Res& res) { dryrun(req, res); });
        svr_.Get(R"(/api/backtests/(.*))", [this](const Req& req, Res& res) {
            const Answer a = backtests_.saved(req.matches[1].str());
            json(res, a.status, a.body);
        });
        // Anything else under /api: a JSON 404, not the page.
        svr_.set_error_handler([](const Req&, Res& res) {
            if (res.body.empty()) {
                json(res, res.status,
                     error_json(res.status == 404 ? "no such resource" : "request refused"));
            }
        });
    }

    void page(Res& res, const std::string& name) const {
        const fs::path p = data_ / "builder" / name;
        if (!fs::is_regular_file(p)) {
            res.status = 404;
            res.set_content("okx-builder: the page is not installed (" + p.string() + ")\n",
                            "text/plain; charset=utf-8");
            return;
        }
        const std::string ext = p.extension().string();
        const char* type = ext == ".html"  ? "text/html; charset=utf-8"
                           : ext == ".css" ? "text/css; charset=utf-8"
                           : ext == ".js"  ? "text/javascript; charset=utf-8"
                                           : "image/svg+xml";
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        res.set_content(read_file(p), type);
    }

    static void send_toml(Res& res, const fs::path& p) {
        if (!fs::is_regular_file(p)) {
            json(res, 404, error_json("no such file: " + p.filename().string()));
            return;
        }
        res.set_content(read_file(p), "application/toml; charset=utf-8");
    }

    void list(Res& res) const {
        auto names = [](const fs::path& d) {
            std::vector<std::string> v;
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(d, ec)) {
                const std::string n = e.path().filename().string();
                if (e.is_regular_file() && file_name(n)) {
                    v.push_back(n);
                }
            }
            std::sort(v.begin(), v.end());
            return v;
        };
        std::string out = R"({"dir":)";
        core::append_json_string(out, dir_.string());
        for (const auto& [key, d] :
             {std::pair{"files", dir_}, {"templates", data_ / "strategies"}}) {
            out += ",\"";
            out += key;
            out += "\":[";
            bool first = true;
            for (const std::string& n : names(d)) {
                out += first ? "" : ",";
                first = false;
                core::append_json_string(out, n);
            }
            out += ']';
        }
        out += '}';
        json(res, 200, out);
    }

    // Saves the body as the file (whatever its problems: work in progress is kept), atomically,
    // and answers with its validation.
    void save(const Req& req, Res& res) {
        auto n = name_of(req, res);
        if (!n) {
            return;
        }
        std::lock_guard<std::mutex> lock(save_mutex_);
        const fs::path target = dir_ / *n;
        std::string tmp_name = ".";
        tmp_name += *n;
        tmp_name += ".saving";
        const fs::path tmp = dir_ / tmp_name;
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
            out.flush();
            if (!out) {
                json(res, 500, error_json("cannot write " + tmp.string()));
                return;
            }
        }
        std::error_code ec;
        fs::rename(tmp, target, ec);
        if (ec) {
            json(res, 500, error_json("cannot save " + target.string() + ": " + ec.message()));
            return;
        }
        Log::note("saved " + target.string());
        json(res, 200, validate_json(target.string(), *n));
    }

    void compile(const Req& req, Res& res) const {
        auto n = name_of(req, res);
        if (!n) {
            return;
        }
        const fs::path p = dir_ / *n;
        if (!fs::is_regular_file(p)) {
            json(res, 404, error_json("no such file: " + *n));
            return;
        }
        strategy::StrategyConfig c;
        const auto problems = strategy::check_file(p.string(), &c);
        if (!problems.empty()) {
            json(res, 422, validate_json(p.string(), *n));
            return;
        }
        const std::string text = strategy::compile_pipeline(
            c, p.string(), *core::parse_bar(bar_),
            "BTC-USDT,ETH-USDT,ADA-USDT,BNB-USDT,DOT-USDT,LINK-USDT,LTC-USDT,XRP-USDT",
            store_.empty() ? store::default_store_path() : store_, "default");
        res.set_content(text, "text/plain; charset=utf-8");
    }

    // The backtest of the saved file NAME (backtest.hpp): 404 when there is none, 422 with the
    // validation when it has problems.
    void backtest(const Req& req, Res& res) {
        auto n = name_of(req, res);
        if (!n) {
            return;
        }
        const fs::path p = dir_ / *n;
        if (!fs::is_regular_file(p)) {
            json(res, 404, error_json("no such file: " + *n));
            return;
        }
        strategy::StrategyConfig c;
        if (!strategy::check_file(p.string(), &c).empty()) {
            json(res, 422, validate_json(p.string(), *n));
            return;
        }
        const Answer a = backtests_.run(p, c.kind);
        json(res, a.status, a.body);
    }

    // The live dry run of the saved file NAME (dryrun.hpp) as server-sent events, for
    // ?inst=INST (default BTC-USDT) and &bar=BAR (default 1m): 404 when there is no such file,
    // 422 with the validation when it has problems or for an ml file, 400 for a bad instrument
    // or bar, 409 while another dry run goes on. The file's bytes are read once, at the start.
    void dryrun(const Req& req, Res& res) {
        auto n = name_of(req, res);
        if (!n) {
            return;
        }
        const std::string inst = req.has_param("inst") ? req.get_param_value("inst") : "BTC-USDT";
        const std::string bar = req.has_param("bar") ? req.get_param_value("bar") : "1m";
        static const std::regex inst_pattern("^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}(-SWAP)?$");
        if (!std::regex_match(inst, inst_pattern)) {
            json(res, 400, error_json("inst: an OKX instrument such as BTC-USDT"));
            return;
        }
        const auto b = core::parse_bar(bar);
        if (!b) {
            json(res, 400, error_json("bar: one of " + core::bar_names()));
            return;
        }
        const fs::path p = dir_ / *n;
        if (!fs::is_regular_file(p)) {
            json(res, 404, error_json("no such file: " + *n));
            return;
        }
        strategy::StrategyConfig c;
        if (!strategy::check_file(p.string(), &c).empty()) {
            json(res, 422, validate_json(p.string(), *n));
            return;
        }
        if (c.kind == "ml") {
            json(res, 422,
                 error_json("an ml strategy needs predict's models: run its pipeline "
                            "by hand (Deploy shows it)"));
            return;
        }
        auto lock = std::make_shared<std::unique_lock<std::mutex>>(dry_mutex_, std::try_to_lock);
        if (!lock->owns_lock()) {
            json(res, 409, error_json("a dry run is going on: one at a time (close the other)"));
            return;
        }
        auto spec = std::make_shared<DryRunSpec>();
        spec->tools = tools_dir();
        spec->work = dir_ / ".okx-builder" / "dryrun";
        std::ifstream in(p, std::ios::binary);
        spec->strategy.assign(std::istreambuf_iterator<char>(in), {});
        spec->inst = inst;
        spec->bar = std::string(b->name);
        // Warm when the live candles come: the strategy's and the selector's regime warm-up.
        const std::uint64_t warm = std::max<std::uint64_t>(
            warmups(c).all, strategy::RegimeScorer::warmup(strategy::RegimeConfig{}));
        spec->warm_bars = static_cast<long long>(warm) + 10;
        spec->rest_url = rest_url_;
        spec->ws_business_url = ws_business_url_;
        spec->env = child_environment(environ, (spec->work / "config").string());
        res.set_header("X-Accel-Buffering", "no");
        res.set_chunked_content_provider(
            "text/event-stream", [spec, lock](std::size_t, httplib::DataSink& sink) {
                dry_run(*spec, [&sink](std::string_view event, std::string_view data) {
                    std::string e;
                    if (event.empty()) {
                        e = ": " + std::string(data) + "\n\n";
                    } else {
                        e = "event: " + std::string(event) + "\ndata: " + std::string(data) +
                            "\n\n";
                    }
                    return sink.write(e.data(), e.size());
                });
                sink.done();
                return true;
            });
    }

    // The folder of the other tools: okx-builder's own (they are installed side by side).
    static fs::path tools_dir() {
        std::error_code ec;
        return fs::read_symlink("/proc/self/exe", ec).parent_path();
    }

    // Runs f on a private temporary file holding body.
    template <class F> void with_temp(const std::string& body, F f) const {
        std::string path = (fs::temp_directory_path() / "okx-builder-XXXXXX").string();
        const int fd = ::mkstemp(path.data());
        if (fd < 0) {
            throw core::RuntimeError("cannot make a temporary file");
        }
        const bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
        ::close(fd);
        if (ok) {
            f(path);
        }
        fs::remove(path);
    }

    httplib::Server svr_;
    Guard guard_;
    fs::path dir_;
    fs::path data_;
    std::string bar_;
    std::string store_;
    std::mutex save_mutex_;
    Backtests backtests_;
    std::string rest_url_;
    std::string ws_business_url_;
    std::mutex dry_mutex_;
};

} // namespace

namespace {

// Whether s is prefix, ':' and the port, exactly.
bool names_port(std::string_view s, std::string_view prefix, int port) {
    if (s.substr(0, prefix.size()) != prefix) {
        return false;
    }
    s.remove_prefix(prefix.size());
    return !s.empty() && s.front() == ':' && s.substr(1) == std::to_string(port);
}

} // namespace

bool Guard::host_ok(std::string_view host) const {
    return names_port(host, "127.0.0.1", port) || names_port(host, "localhost", port);
}

bool Guard::origin_ok(std::string_view origin) const {
    return names_port(origin, "http://127.0.0.1", port) ||
           names_port(origin, "http://localhost", port);
}

bool Guard::token_ok(std::string_view given) const {
    if (token.empty() || given.size() != token.size()) {
        return false;
    }
    unsigned diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(token[i]);
    }
    return diff == 0;
}

std::optional<std::string> file_name(std::string_view name) {
    if (name.size() < 6 || name.size() > 64 || name.substr(name.size() - 5) != ".toml" ||
        name.find("..") != std::string_view::npos) {
        return std::nullopt;
    }
    const char first = name.front();
    if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
          (first >= '0' && first <= '9'))) {
        return std::nullopt;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok) {
            return std::nullopt;
        }
    }
    return std::string(name);
}

const core::ToolSpec& builder_spec() {
    static const core::ToolSpec spec = make_spec();
    return spec;
}

int builder_main(const core::Options& o) {
    const fs::path dir = o.has("dir") ? fs::path(o.str("dir")) : fs::path(default_dir());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir)) {
        throw core::RuntimeError("--dir " + dir.string() + ": cannot make the folder" +
                                 (ec ? ": " + ec.message() : std::string()));
    }
    Server server(o, fs::absolute(dir), data_dir(o));
    return server.run(static_cast<int>(o.integer("port")));
}

} // namespace okxkit::builder
