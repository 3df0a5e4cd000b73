// okx-builder's backtest button: the README's backtest pipeline run as child processes (fork and
// execve, pipes between them, a scrubbed environment), cached by SHA-256 (see okx-builder(1)).
#include "builder/backtest.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <poll.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OKXKIT_VERSION
#define OKXKIT_VERSION "unknown"
#endif

extern char** environ; // NOLINT(readability-identifier-naming): POSIX's name

namespace okxkit::builder {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kRun = "backtest"; // the run id in each backtest's own store
constexpr const char* kBar = "5m";       // the samples' bar (share/okxkit/samples/*_5m.csv)

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
            throw core::RuntimeError("cannot compute SHA-256 (OpenSSL)");
        }
    }
    void add(std::string_view b) { EVP_DigestUpdate(ctx_.get(), b.data(), b.size()); }
    // Its length, a newline, then its bytes: parts can then not run into each other.
    void part(std::string_view b) {
        add(std::to_string(b.size()));
        add("\n");
        add(b);
    }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1) {
            throw core::RuntimeError("cannot compute SHA-256 (OpenSSL)");
        }
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < len; ++i) {
            out += kHex[md[i] >> 4];
            out += kHex[md[i] & 15];
        }
        return out;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// A file descriptor closed when it goes.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = -1;
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_ = -1;
};

std::string error_json(std::string_view message) {
    std::string out = R"({"error":)";
    core::append_json_string(out, message);
    out += '}';
    return out;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (!in) {
        throw core::RuntimeError("cannot read " + p.string());
    }
    return s.str();
}

// Writes bytes to p through a temporary file renamed over it, so that p is whole or absent.
void write_atomic(const fs::path& p, std::string_view bytes) {
    fs::path tmp = p;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            throw core::RuntimeError("cannot write " + tmp.string());
        }
    }
    fs::rename(tmp, p);
}

// The sample candles a backtest replays, by name.
std::vector<fs::path> sample_files(const fs::path& dir) {
    std::vector<fs::path> v;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (e.is_regular_file() && n.size() > 7 && n.compare(n.size() - 7, 7, "_5m.csv") == 0) {
            v.push_back(e.path());
        }
    }
    std::sort(v.begin(), v.end());
    return v;
}

std::string argv_json(const std::vector<std::vector<std::string>>& stages) {
    std::string out = "[";
    for (std::size_t i = 0; i < stages.size(); ++i) {
        out += i ? ",[" : "[";
        for (std::size_t j = 0; j < stages[i].size(); ++j) {
            if (j) {
                out += ',';
            }
            core::append_json_string(out, stages[i][j]);
        }
        out += ']';
    }
    out += ']';
    return out;
}

std::string answer_json(const std::string& id, bool cached, std::string_view command,
                        std::string_view report) {
    std::string out = R"({"id":")";
    out += id;
    out += R"(","cached":)";
    out += cached ? "true" : "false";
    out += R"(,"version":)";
    core::append_json_string(out, OKXKIT_VERSION);
    out += R"(,"command":)";
    out += command;
    out += R"(,"report":)";
    out += report;
    out += '}';
    return out;
}

std::string_view trim_end(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
        s.remove_suffix(1);
    }
    return s;
}

// The last lines of a stage's stderr for an error message: at most 3 lines and 400 bytes, bytes
// outside printable ASCII as '?' (a tail may start inside a UTF-8 sequence).
std::string excerpt(std::string_view tail) {
    tail = trim_end(tail);
    std::size_t from = tail.size();
    for (int lines = 0; lines < 3 && from > 0; ++lines) {
        const auto nl = tail.rfind('\n', from - 1);
        from = nl == std::string_view::npos ? 0 : nl;
    }
    std::string_view s = tail.substr(from);
    if (s.size() > 400) {
        s = s.substr(s.size() - 400);
    }
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        out += (u == '\n' || (u >= 0x20 && u < 0x7f)) ? c : '?';
    }
    while (!out.empty() && out.front() == '\n') {
        out.erase(0, 1);
    }
    return out;
}

// "okx-stream", "audit report": how a stage is named in messages.
std::string stage_name(const std::vector<std::string>& argv) {
    std::string n = fs::path(argv.front()).filename().string();
    if (n == "audit" && argv.size() > 1) {
        n += ' ';
        n += argv[1];
    }
    return n;
}

// stderr.log's part of these stages: each one's argv, exit status and stderr's tail.
void append_log(std::string& log, const std::vector<std::vector<std::string>>& stages,
                const std::vector<StageEnd>& ends) {
    for (std::size_t i = 0; i < stages.size() && i < ends.size(); ++i) {
        log += "== " + stage_name(stages[i]) + ": exit " + std::to_string(ends[i].status);
        if (ends[i].stderr_bytes > ends[i].tail.size()) {
            log += " (stderr: the last " + std::to_string(ends[i].tail.size()) + " of " +
                   std::to_string(ends[i].stderr_bytes) + " bytes)";
        }
        log += '\n';
        log += ends[i].tail;
        if (!ends[i].tail.empty() && ends[i].tail.back() != '\n') {
            log += '\n';
        }
    }
}

// Why a run failed ("backtest failed: ..."), or nullopt when every stage exited 0. The stage named
// is the first that failed other than by a broken pipe: a stage upstream of a failure dies of
// SIGPIPE (141) or gets EPIPE, which says nothing.
std::optional<std::string> failure(const std::vector<std::vector<std::string>>& stages,
                                   const std::vector<StageEnd>& ends, const std::string& stopped) {
    if (!stopped.empty()) {
        return "backtest failed: " + stopped;
    }
    const StageEnd* bad = nullptr;
    std::size_t at = 0;
    for (std::size_t i = 0; i < ends.size(); ++i) {
        if (ends[i].status != 0 &&
            (bad == nullptr || (bad->status == 141 && ends[i].status != 141))) {
            bad = &ends[i];
            at = i;
        }
    }
    if (bad == nullptr) {
        return std::nullopt;
    }
    std::string m = "backtest failed: " + stage_name(stages[at]) + " exited with status " +
                    std::to_string(bad->status);
    const std::string e = excerpt(bad->tail);
    if (!e.empty()) {
        m += ": ";
        m += e;
    }
    return m;
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
    Sha256 h;
    h.add(bytes);
    return h.hex();
}

std::string backtest_id(std::string_view version, std::string_view strategy,
                        const std::vector<fs::path>& samples) {
    Sha256 h;
    h.part("okx-builder backtest"); // what the rest is the recipe of
    h.part(version);
    h.part(strategy);
    for (const fs::path& p : samples) {
        h.part(p.filename().string());
        h.part(read_bytes(p));
    }
    return h.hex();
}

bool is_backtest_id(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::vector<std::string> child_environment(const char* const* env, const std::string& config_home) {
    std::vector<std::string> out;
    for (const char* const* e = env; e != nullptr && *e != nullptr; ++e) {
        const std::string_view kv(*e);
        const std::string_view name = kv.substr(0, kv.find('='));
        const bool keep = name == "PATH" || name == "HOME" || name == "LANG" || name == "TZ" ||
                          name == "TMPDIR" || name.substr(0, 3) == "LC_" ||
                          (name.substr(0, 4) == "XDG_" && name != "XDG_CONFIG_HOME");
        if (keep && name.size() < kv.size()) {
            out.emplace_back(kv);
        }
    }
    out.push_back("XDG_CONFIG_HOME=" + config_home);
    return out;
}

std::vector<StageEnd> run_pipeline(const std::vector<std::vector<std::string>>& stages,
                                   const std::vector<std::string>& env, int out_fd,
                                   Clock::time_point deadline, std::string* stopped) {
    const std::size_t n = stages.size();
    // Everything the children need is made before the first fork: between fork and execve the
    // child of a threaded process may only make async-signal-safe calls (no allocation).
    std::vector<std::vector<char*>> argv(n);
    for (std::size_t i = 0; i < n; ++i) {
        argv[i].reserve(stages[i].size() + 1);
        for (const std::string& a : stages[i]) {
            argv[i].push_back(const_cast<char*>(a.c_str()));
        }
        argv[i].push_back(nullptr);
    }
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const std::string& e : env) {
        envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    static constexpr char kExecFailed[] = "okx-builder: error: cannot run this stage (execve)\n";

    std::vector<StageEnd> ends(n);
    std::vector<pid_t> pids(n, -1);
    std::vector<Fd> pidfds(n);
    std::vector<Fd> errs(n);
    std::vector<bool> waiting(n, false);
    stopped->clear();
    pid_t group = 0;
    Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    Fd null_out;
    if (out_fd < 0) {
        null_out = Fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        out_fd = null_out.get();
    }
    for (std::size_t i = 0; i < n; ++i) {
        int p[2] = {-1, -1};
        if (i + 1 < n && ::pipe2(p, O_CLOEXEC) != 0) {
            *stopped = "cannot make a pipe";
            break;
        }
        Fd next_in(p[0]);
        Fd out(p[1]);
        int e[2] = {-1, -1};
        if (::pipe2(e, O_CLOEXEC) != 0) {
            *stopped = "cannot make a pipe";
            break;
        }
        errs[i] = Fd(e[0]);
        Fd err_w(e[1]);
        const int to = i + 1 < n ? out.get() : out_fd;
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setpgid(0, group);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::signal(SIGPIPE, SIG_DFL);
            sigset_t none;
            ::sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            const int from[3] = {in.get(), to, err_w.get()};
            for (int k = 0; k < 3; ++k) {
                // dup2 onto itself would keep O_CLOEXEC: clear it instead.
                const int r = from[k] == k ? ::fcntl(k, F_SETFD, 0) : ::dup2(from[k], k);
                if (r < 0) {
                    ::_exit(127);
                }
            }
            ::close_range(3, ~0U, 0);
            ::execve(argv[i][0], argv[i].data(), envp.data());
            (void)!::write(2, kExecFailed, sizeof kExecFailed - 1);
            ::_exit(127);
        }
        if (pid < 0) {
            *stopped = "cannot start a process (fork)";
            break;
        }
        if (group == 0) {
            group = pid;
        }
        ::setpgid(pid, group); // also here: a kill of the group must not miss a child not yet in it
        pids[i] = pid;
        waiting[i] = true;
        // glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call itself.
        pidfds[i] = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        in = std::move(next_in);
    }
    in.reset();

    bool killed = false;
    auto kill_all = [&](const std::string& why) {
        if (!killed && group != 0) {
            ::kill(-group, SIGKILL);
        }
        killed = true;
        if (stopped->empty()) {
            *stopped = why;
        }
    };
    if (!stopped->empty()) {
        kill_all(*stopped);
    }
    std::array<char, 4096> buf{};
    for (;;) {
        const bool any_err =
            std::any_of(errs.begin(), errs.end(), [](const Fd& f) { return f.get() >= 0; });
        const bool any_child =
            std::any_of(waiting.begin(), waiting.end(), [](bool w) { return w; });
        if (!any_err && !any_child) {
            break;
        }
        const auto now = Clock::now();
        if (!killed && now >= deadline) {
            kill_all("it ran past its time limit and was stopped");
        } else if (!killed && core::interrupted()) {
            kill_all("okx-builder is stopping");
        }
        std::vector<pollfd> fds;
        std::vector<std::pair<bool, std::size_t>> what; // (a stderr, else a child), its stage
        bool blind = false; // a child without a pidfd: ask waitpid every few ms
        for (std::size_t i = 0; i < n; ++i) {
            if (errs[i].get() >= 0) {
                fds.push_back({errs[i].get(), POLLIN, 0});
                what.emplace_back(true, i);
            }
            if (waiting[i]) {
                if (pidfds[i].get() >= 0) {
                    fds.push_back({pidfds[i].get(), POLLIN, 0});
                    what.emplace_back(false, i);
                } else {
                    blind = true;
                }
            }
        }
        // Wake up now and then to see the deadline and a stop asked for.
        long long ms =
            killed
                ? 200
                : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
        ms = std::clamp<long long>(ms, 0, blind ? 10 : 200);
        const int r = ::poll(fds.data(), fds.size(), static_cast<int>(ms));
        if (r < 0 && errno != EINTR) {
            kill_all("cannot wait for the children (poll)");
        }
        for (std::size_t k = 0; r > 0 && k < fds.size(); ++k) {
            if (fds[k].revents == 0 || !what[k].first) {
                continue;
            }
            const std::size_t i = what[k].second;
            const ssize_t got = ::read(errs[i].get(), buf.data(), buf.size());
            if (got > 0) {
                StageEnd& end = ends[i];
                end.tail.append(buf.data(), static_cast<std::size_t>(got));
                end.stderr_bytes += static_cast<std::uint64_t>(got);
                if (end.tail.size() > 2 * kStderrTail) {
                    end.tail.erase(0, end.tail.size() - kStderrTail);
                }
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                errs[i].reset();
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            int status = 0;
            if (waiting[i] && ::waitpid(pids[i], &status, WNOHANG) == pids[i]) {
                waiting[i] = false;
                ends[i].status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (pids[i] < 0) {
            ends[i].status = 127; // never started
        }
        if (ends[i].tail.size() > kStderrTail) {
            ends[i].tail.erase(0, ends[i].tail.size() - kStderrTail);
        }
    }
    return ends;
}

Backtests::Backtests(fs::path cache, fs::path tools, fs::path samples, std::chrono::seconds timeout)
    : cache_(std::move(cache)), tools_(std::move(tools)), samples_(std::move(samples)),
      timeout_(timeout) {}

std::optional<std::string> Backtests::saved_body(const std::string& id) const {
    const fs::path d = cache_ / id;
    std::error_code ec;
    if (!fs::is_regular_file(d / "report.json", ec) ||
        !fs::is_regular_file(d / "command.json", ec)) {
        return std::nullopt;
    }
    const std::string report = read_bytes(d / "report.json");
    const std::string command = read_bytes(d / "command.json");
    return answer_json(id, true, trim_end(command), trim_end(report));
}

Answer Backtests::saved(std::string_view id) const {
    if (!is_backtest_id(id)) {
        return {400, error_json("not a backtest id: 64 hex digits, as the backtest answered")};
    }
    try {
        if (auto body = saved_body(std::string(id))) {
            return {200, *body};
        }
        return {404, error_json("no such backtest: it was never run, or did not finish")};
    } catch (const std::exception& e) {
        return {500, error_json(e.what())};
    }
}

Answer Backtests::run(const fs::path& file, std::string_view kind) {
    try {
        if (kind == "ml") {
            return {422, error_json("the ml strategy needs trained models, which the backtest "
                                    "button does not make: backtest it by hand with featurize | "
                                    "predict --store MODELS.db before select-strategy (see the "
                                    "README's backtest)")};
        }
        const std::vector<fs::path> samples = sample_files(samples_);
        if (samples.empty()) {
            return {500,
                    error_json("no sample candles (*_5m.csv) in " + samples_.string() +
                               ": give okx-builder the share/okxkit that has them with --data")};
        }
        const std::string strategy = read_bytes(file);
        const std::string id = backtest_id(OKXKIT_VERSION, strategy, samples);
        if (auto body = saved_body(id)) {
            return {200, *body};
        }
        std::unique_lock<std::mutex> lock(running_, std::try_to_lock);
        if (!lock.owns_lock()) {
            return {409,
                    error_json("a backtest is running (one at a time): try again when it ends")};
        }
        if (auto body = saved_body(id)) { // the run that held the lock may have been this one
            return {200, *body};
        }
        return run_locked(id, strategy, samples);
    } catch (const std::exception& e) {
        std::string m = "backtest failed: ";
        m += e.what();
        return {500, error_json(m)};
    }
}

Answer Backtests::run_locked(const std::string& id, const std::string& strategy,
                             const std::vector<fs::path>& samples) {
    const auto start = Clock::now();
    const fs::path d = cache_ / id;
    fs::remove_all(d); // what a run that never finished left (killed): it starts again
    fs::create_directories(d / "config" / "okxkit");
    const std::string config = (d / "config" / "okxkit" / "config.toml").string();
    write_atomic(config, "");
    write_atomic(d / "strategy.toml", strategy);
    const std::string store = (d / "store.db").string();
    auto tool = [&](const char* name) {
        const fs::path p = tools_ / name;
        if (::access(p.c_str(), X_OK) != 0) {
            throw core::RuntimeError("cannot find " + std::string(name) +
                                     " beside okx-builder (in " + tools_.string() + ")");
        }
        return p.string();
    };
    // Every setting that shapes the run is given: the samples' bar, paper mode, this store and
    // run, and an empty config, so that nothing of the user's (a [execute] mode, risk limits,
    // OKXKIT_STORE) changes what the button shows.
    std::vector<std::string> replay{tool("okx-stream"), "--config", config, "-q", "--replay"};
    for (const fs::path& s : samples) {
        replay.push_back(s.string());
    }
    const std::vector<std::vector<std::string>> pipeline{
        replay,
        {tool("select-strategy"), "--strategies", (d / "strategy.toml").string(), "--bar", kBar,
         "--store", store, "--run", kRun, "--config", config, "-q"},
        {tool("risk-guard"), "--store", store, "--run", kRun, "--bar", kBar, "--config", config,
         "-q"},
        {tool("execute"), "--mode", "paper", "--store", store, "--run", kRun, "--bar", kBar,
         "--config", config, "-q"},
    };
    const std::vector<std::vector<std::string>> report_stage{
        {tool("audit"), "report", "--store", store, "--run", kRun, "--format", "json", "--config",
         config, "-q"},
    };
    std::vector<std::vector<std::string>> all = pipeline;
    all.push_back(report_stage.front());
    const std::string command = argv_json(all);
    write_atomic(d / "command.json", command + "\n");

    const std::vector<std::string> env = child_environment(environ, (d / "config").string());
    const auto deadline = start + timeout_;
    std::string stopped;
    std::string log;
    const auto ends = run_pipeline(pipeline, env, -1, deadline, &stopped);
    append_log(log, pipeline, ends);
    if (auto fail = failure(pipeline, ends, stopped)) {
        write_atomic(d / "stderr.log", log);
        core::Log::warning(*fail);
        return {500, error_json(*fail)};
    }
    const fs::path tmp = d / "report.json.tmp";
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) {
        throw core::RuntimeError("cannot write " + tmp.string());
    }
    const auto report_end = run_pipeline(report_stage, env, out.get(), deadline, &stopped);
    out.reset();
    append_log(log, report_stage, report_end);
    write_atomic(d / "stderr.log", log);
    if (auto fail = failure(report_stage, report_end, stopped)) {
        core::Log::warning(*fail);
        return {500, error_json(*fail)};
    }
    const std::string report(trim_end(read_bytes(tmp)));
    if (!nlohmann::json::accept(report) || report.empty() || report.front() != '{') {
        throw core::RuntimeError("audit report wrote no JSON object");
    }
    fs::rename(tmp, d / "report.json"); // last: from now on the run counts as done
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    core::Log::note("backtest " + id + " in " + std::to_string(ms) + " ms");
    return {200, answer_json(id, false, command, report)};
}

} // namespace okxkit::builder
