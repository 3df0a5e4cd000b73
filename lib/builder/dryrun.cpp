// okx-builder's live dry run (see dryrun.hpp and okx-builder(1)): okx-stream's live candles,
// preceded by a REST backfill that warms the strategy up, through select-strategy --explain,
// each line of interest sent on to the page as a server-sent event.
#include "builder/dryrun.hpp"

#include "core/bar.hpp"
#include "core/json_out.hpp"
#include "core/signals.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace okxkit::builder {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxLine = std::size_t{1} << 20;     // a longer line is cut, not kept
constexpr std::size_t kMaxPending = std::size_t{16} << 20; // live lines waiting for the backfill

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

struct Pipe {
    Fd r, w;
};

std::optional<Pipe> make_pipe() {
    int p[2] = {-1, -1};
    if (::pipe2(p, O_CLOEXEC) != 0) {
        return std::nullopt;
    }
    return Pipe{Fd(p[0]), Fd(p[1])};
}

// A child: argv[0] run as is (no shell, no PATH), stdin/stdout/stderr from the given fds, in
// process group `group` (0: a new one, led by the child), killed with its parent thread.
struct Child {
    pid_t pid = -1;
    Fd pidfd;
    bool running = false;
    int status = 0; // the exit status, or 128 + the signal
};

Child spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, int in,
            int out, int err, pid_t group) {
    // Made before fork: the child of a threaded process may not allocate.
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const std::string& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const std::string& e : env) {
        envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    static constexpr char kExecFailed[] = "okx-builder: error: cannot run a dry run stage\n";
    Child c;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, group);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        const int from[3] = {in, out, err};
        for (int k = 0; k < 3; ++k) {
            const int r = from[k] == k ? ::fcntl(k, F_SETFD, 0) : ::dup2(from[k], k);
            if (r < 0) {
                ::_exit(127);
            }
        }
        ::close_range(3, ~0U, 0);
        ::execve(argv[0], argv.data(), envp.data());
        (void)!::write(2, kExecFailed, sizeof kExecFailed - 1);
        ::_exit(127);
    }
    if (pid < 0) {
        return c;
    }
    ::setpgid(pid, group == 0 ? pid : group);
    c.pid = pid;
    c.running = true;
    c.pidfd = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return c;
}

// Reaps c when it has ended; true then.
bool reap(Child& c) {
    if (!c.running) {
        return true;
    }
    int st = 0;
    const pid_t r = ::waitpid(c.pid, &st, WNOHANG);
    if (r != c.pid) {
        return false;
    }
    c.running = false;
    c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
}

// Lines read from a pipe; the rest of a line longer than kMaxLine is dropped.
struct LineReader {
    Fd fd;
    std::string buf;
    bool cutting = false;

    // Reads what is there; calls f(line) for each whole line. False at end of file or error.
    template <class F> bool read(F f) {
        std::array<char, 65536> chunk{};
        const ssize_t got = ::read(fd.get(), chunk.data(), chunk.size());
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            return true;
        }
        if (got <= 0) {
            if (!buf.empty() && !cutting) {
                f(std::string_view(buf));
            }
            buf.clear();
            fd.reset();
            return false;
        }
        std::string_view in(chunk.data(), static_cast<std::size_t>(got));
        while (!in.empty()) {
            const std::size_t nl = in.find('\n');
            const std::string_view part = in.substr(0, nl);
            if (!cutting) {
                buf.append(part.substr(0, std::min(part.size(), kMaxLine - buf.size())));
                cutting = buf.size() >= kMaxLine && nl == std::string_view::npos;
            }
            if (nl == std::string_view::npos) {
                break;
            }
            if (!cutting) {
                f(std::string_view(buf));
            }
            buf.clear();
            cutting = false;
            in.remove_prefix(nl + 1);
        }
        return true;
    }
};

std::string tool(const DryRunSpec& s, const char* name) {
    return (s.tools / name).string();
}

std::string argv_json(const std::vector<std::vector<std::string>>& stages) {
    std::string o = "[";
    for (std::size_t i = 0; i < stages.size(); ++i) {
        o += i ? ",[" : "[";
        for (std::size_t k = 0; k < stages[i].size(); ++k) {
            o += k ? "," : "";
            core::append_json_string(o, stages[i][k]);
        }
        o += ']';
    }
    return o + "]";
}

std::string why_json(std::string_view why) {
    std::string o = R"({"why":)";
    core::append_json_string(o, why);
    return o + "}";
}

// A diagnostic line of a child for the page: its JSON log line as is, else wrapped.
std::string log_json(std::string_view line) {
    if (line.starts_with("{") && nlohmann::json::accept(line)) {
        return std::string(line);
    }
    std::string o = R"({"msg":)";
    core::append_json_string(o, line);
    return o + "}";
}

} // namespace

std::vector<std::vector<std::string>> dry_run_commands(const DryRunSpec& s, long long first_ts) {
    const std::string config = (s.work / "config" / "okxkit" / "config.toml").string();
    const std::vector<std::string> common = {"--config", config, "--log-json", "--unbuffered"};
    auto with = [&](std::vector<std::string> v) {
        v.insert(v.end(), common.begin(), common.end());
        return v;
    };
    std::vector<std::string> live = {tool(s, "okx-stream"), "--channels", "candle" + s.bar,
                                     "--symbols",           s.inst,       "--partial"};
    const auto bar = core::parse_bar(s.bar);
    const long long ms = bar ? bar->ms : 60000;
    std::vector<std::string> backfill = {tool(s, "okx-stream"),
                                         "--since",
                                         first_ts < 0
                                             ? "FIRST-" + std::to_string(s.warm_bars) + "x" + s.bar
                                             : std::to_string(first_ts - s.warm_bars * ms),
                                         "--until",
                                         first_ts < 0 ? "FIRST" : std::to_string(first_ts),
                                         "--symbols",
                                         s.inst,
                                         "--bar",
                                         s.bar};
    if (!s.rest_url.empty()) {
        live.insert(live.end(), {"--rest-url", s.rest_url});
        backfill.insert(backfill.end(), {"--rest-url", s.rest_url});
    }
    if (!s.ws_business_url.empty()) {
        live.insert(live.end(), {"--ws-business-url", s.ws_business_url});
    }
    const std::vector<std::string> select = {tool(s, "select-strategy"),
                                             "--strategies",
                                             (s.work / "strategy.toml").string(),
                                             "--bar",
                                             s.bar,
                                             "--store",
                                             (s.work / "store.db").string(),
                                             "--run",
                                             "dryrun",
                                             "--explain"};
    return {with(live), with(backfill), with(select)};
}

void dry_run(const DryRunSpec& spec, const EmitFn& emit) {
    using Clock = std::chrono::steady_clock;
    auto end = [&](std::string_view why) { (void)emit("end", why_json(why)); };
    std::error_code ec;
    fs::create_directories(spec.work / "config" / "okxkit", ec);
    {
        const std::ofstream empty(spec.work / "config" / "okxkit" / "config.toml", std::ios::trunc);
        std::ofstream st(spec.work / "strategy.toml", std::ios::binary | std::ios::trunc);
        st << spec.strategy;
        if (!st) {
            end("cannot write the dry run's folder " + spec.work.string());
            return;
        }
    }
    fs::remove(spec.work / "store.db", ec);
    auto cmds = dry_run_commands(spec);
    {
        std::string start = R"({"inst":)";
        core::append_json_string(start, spec.inst);
        start += R"(,"bar":)";
        core::append_json_string(start, spec.bar);
        start += R"(,"warm_bars":)" + std::to_string(spec.warm_bars);
        start += R"(,"command":)" + argv_json(cmds) + "}";
        if (!emit("start", start)) {
            return;
        }
    }

    Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    auto live_out = make_pipe();
    auto live_err = make_pipe();
    if (!live_out || !live_err) {
        end("cannot make a pipe");
        return;
    }
    Child live = spawn(cmds[0], spec.env, null_in.get(), live_out->w.get(), live_err->w.get(), 0);
    if (live.pid < 0) {
        end("cannot start okx-stream (fork)");
        return;
    }
    const pid_t group = live.pid;
    live_out->w.reset();
    live_err->w.reset();
    LineReader live_lines{std::move(live_out->r), {}, false};
    LineReader live_diag{std::move(live_err->r), {}, false};

    Child backfill, select;
    LineReader bf_diag, sel_lines, sel_diag;
    Fd sel_in;           // select-strategy's stdin, written once the backfill is done
    std::string pending; // live lines waiting for the backfill, then bytes not yet written
    bool streaming = false;
    std::string why;

    auto kill_all = [&] {
        ::kill(-group, SIGKILL);
        for (Child* c : {&live, &backfill, &select}) {
            if (c->running) {
                int st = 0;
                ::waitpid(c->pid, &st, 0);
                c->running = false;
            }
        }
    };

    // The live stream's first candle: start select-strategy and the backfill before it.
    auto begin = [&](long long first) -> bool {
        cmds = dry_run_commands(spec, first);
        auto in = make_pipe();
        auto out = make_pipe();
        auto err = make_pipe();
        auto berr = make_pipe();
        if (!in || !out || !err || !berr) {
            why = "cannot make a pipe";
            return false;
        }
        select = spawn(cmds[2], spec.env, in->r.get(), out->w.get(), err->w.get(), group);
        backfill = spawn(cmds[1], spec.env, null_in.get(), in->w.get(), berr->w.get(), group);
        if (select.pid < 0 || backfill.pid < 0) {
            why = "cannot start a process (fork)";
            return false;
        }
        sel_in = std::move(in->w);
        ::fcntl(sel_in.get(), F_SETFL, O_NONBLOCK);
        sel_lines.fd = std::move(out->r);
        sel_diag.fd = std::move(err->r);
        bf_diag.fd = std::move(berr->r);
        std::string cmd = R"({"command":)" + argv_json(cmds) + "}";
        return emit("command", cmd);
    };

    bool first_seen = false;
    bool gone = false;
    auto on_live = [&](std::string_view line) {
        if (!first_seen && line.find(R"("type":"candle")") != std::string_view::npos) {
            try {
                const auto j = nlohmann::json::parse(line);
                first_seen = true;
                if (!begin(j.at("ts").get<long long>())) {
                    gone = true;
                }
            } catch (const std::exception&) {
                // not a candle after all: it waits with the others
            }
        }
        if (pending.size() + line.size() < kMaxPending) {
            pending.append(line);
            pending += '\n';
        }
    };
    auto on_select = [&](std::string_view line) {
        // The lines of interest: closed candles, signals and intents.
        const char* kinds[][2] = {{R"("type":"intent")", "intent"},
                                  {R"("type":"signal")", "signal"},
                                  {R"("type":"candle")", "candle"}};
        for (const auto& k : kinds) {
            if (line.find(k[0]) == std::string_view::npos) {
                continue;
            }
            if (k[1] == std::string_view("candle") &&
                line.find(R"("confirm":true)") == std::string_view::npos) {
                return; // a forming candle: nothing is decided on it
            }
            if (!emit(k[1], line)) {
                gone = true;
            }
            return;
        }
    };
    auto on_diag = [&](std::string_view line) {
        // select-strategy's --explain: per candle (with "holds"), or an evaluation's path.
        const bool explain = line.find(R"("level":"explain")") != std::string_view::npos;
        const bool per_candle = explain && line.find(R"("holds":)") != std::string_view::npos;
        const char* event = per_candle ? "explain" : explain ? "evaluation" : "log";
        if (!emit(event, explain ? std::string(line) : log_json(line))) {
            gone = true;
        }
    };

    auto last_event = Clock::now();
    while (!gone) {
        if (core::interrupted()) {
            why = "okx-builder is stopping";
            break;
        }
        // A stage that ended ends the dry run, except the backfill's good end: then the live
        // lines follow it.
        if (reap(live) && live_lines.fd.get() < 0) {
            why = "okx-stream (live) ended with status " + std::to_string(live.status);
            break;
        }
        if (backfill.pid > 0 && !streaming && reap(backfill)) {
            if (backfill.status != 0) {
                why = "okx-stream (backfill) failed with status " + std::to_string(backfill.status);
                break;
            }
            streaming = true;
        }
        if (select.pid > 0 && reap(select) && sel_lines.fd.get() < 0) {
            why = "select-strategy ended with status " + std::to_string(select.status);
            break;
        }
        std::vector<pollfd> fds;
        std::vector<std::pair<LineReader*, int>> readers; // which reader, 0 live 1 select 2 diag
        for (auto [r, kind] :
             {std::pair{&live_lines, 0}, std::pair{&sel_lines, 1}, std::pair{&live_diag, 2},
              std::pair{&bf_diag, 2}, std::pair{&sel_diag, 2}}) {
            if (r->fd.get() >= 0) {
                fds.push_back({r->fd.get(), POLLIN, 0});
                readers.emplace_back(r, kind);
            }
        }
        const std::size_t n_readers = fds.size();
        const bool write_now = streaming && !pending.empty() && sel_in.get() >= 0;
        if (write_now) {
            fds.push_back({sel_in.get(), POLLOUT, 0});
        }
        for (Child* c : {&live, &backfill, &select}) {
            if (c->running && c->pidfd.get() >= 0) {
                fds.push_back({c->pidfd.get(), POLLIN, 0});
            }
        }
        const int r = ::poll(fds.data(), fds.size(), 1000);
        if (r < 0 && errno != EINTR) {
            why = "cannot wait for the children (poll)";
            break;
        }
        for (std::size_t k = 0; r > 0 && k < n_readers && !gone; ++k) {
            if (fds[k].revents == 0) {
                continue;
            }
            auto [reader, kind] = readers[k];
            if (kind == 0) {
                (void)reader->read(on_live);
            } else if (kind == 1) {
                (void)reader->read(on_select);
            } else {
                (void)reader->read(on_diag);
            }
        }
        if (write_now && r > 0 && (fds[n_readers].revents & (POLLOUT | POLLERR)) != 0) {
            const ssize_t w = ::write(sel_in.get(), pending.data(), pending.size());
            if (w > 0) {
                pending.erase(0, static_cast<std::size_t>(w));
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                sel_in.reset(); // select-strategy has gone: its end is reported above
            }
        }
        // A comment now and then: a page that has gone is noticed while the market is quiet.
        if (Clock::now() - last_event > std::chrono::seconds(15)) {
            last_event = Clock::now();
            if (!emit("", "keep-alive")) {
                gone = true;
            }
        }
    }
    if (!gone) {
        // What the children said last, then why it ended.
        for (LineReader* rd : {&live_diag, &bf_diag, &sel_diag}) {
            while (rd->fd.get() >= 0) {
                pollfd p{rd->fd.get(), POLLIN, 0};
                if (::poll(&p, 1, 0) <= 0 || !rd->read(on_diag)) {
                    break;
                }
            }
        }
        end(why);
    }
    kill_all();
}

} // namespace okxkit::builder
