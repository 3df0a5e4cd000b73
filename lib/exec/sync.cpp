// The barrier's account row, and the run's kill switch in the store.
#include "exec/sync.hpp"

#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/timeutil.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace okxkit::exec {

namespace {

void key(std::string& out, std::string_view k) {
    core::append_json_string(out, k);
    out += ':';
}

void number(std::string& out, std::string_view k, double v) {
    key(out, k);
    core::append_double(out, v);
}

} // namespace

std::string account_json(const AccountSnapshot& a) {
    std::string s = "{";
    key(s, "ts");
    core::append_int(s, a.ts);
    s += ',';
    number(s, "cash", a.cash);
    s += ',';
    number(s, "equity", a.equity);
    s += ',';
    key(s, "halted");
    s += a.halted ? "true" : "false";
    s += ',';
    key(s, "halt_code");
    core::append_json_string(s, a.halt_code);
    s += ',';
    key(s, "insts");
    s += '{';
    bool first = true;
    for (const auto& [inst, v] : a.insts) {
        if (!first) {
            s += ',';
        }
        first = false;
        key(s, inst);
        s += '[';
        core::append_double(s, v.position);
        s += ',';
        core::append_double(s, v.mark);
        s += ',';
        core::append_double(s, v.open_buy_base);
        s += ',';
        core::append_double(s, v.open_sell_base);
        s += ',';
        core::append_double(s, v.open_orders);
        s += ']';
    }
    s += "},";
    key(s, "legs");
    s += '[';
    first = true;
    for (const LegOrder& l : a.legs) {
        if (!first) {
            s += ',';
        }
        first = false;
        s += '[';
        core::append_json_string(s, l.strategy);
        s += ',';
        core::append_json_string(s, l.inst);
        s += ',';
        core::append_json_string(s, l.leg);
        s += ',';
        core::append_json_string(s, core::to_text(l.side));
        s += ',';
        core::append_double(s, l.left);
        s += ']';
    }
    s += "]}";
    return s;
}

AccountSnapshot account_from_json(std::string_view text) {
    AccountSnapshot a;
    try {
        const auto j = nlohmann::json::parse(text);
        a.ts = j.at("ts").get<std::int64_t>();
        a.cash = j.at("cash").get<double>();
        a.equity = j.at("equity").get<double>();
        a.halted = j.at("halted").get<bool>();
        a.halt_code = j.at("halt_code").get<std::string>();
        for (const auto& [inst, v] : j.at("insts").items()) {
            a.insts[inst] =
                risk::InstView{v.at(0).get<double>(), v.at(1).get<double>(), v.at(2).get<double>(),
                               v.at(3).get<double>(), v.at(4).get<double>()};
        }
        for (const auto& l : j.at("legs")) {
            auto side = core::from_text<core::Side>(l.at(3).get<std::string>());
            if (!side) {
                throw core::RuntimeError("bad side");
            }
            a.legs.push_back(LegOrder{l.at(0).get<std::string>(), l.at(1).get<std::string>(),
                                      l.at(2).get<std::string>(), *side, l.at(4).get<double>()});
        }
    } catch (const std::exception& e) {
        throw core::RuntimeError(std::string("the account recorded at a sync point cannot be "
                                             "read (") +
                                 e.what() + "): was the store written by another okxkit?");
    }
    return a;
}

std::string store_side_path(const std::string& store, std::string_view run, std::string_view kind) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(store, ec);
    if (ec) {
        p = store;
    }
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a
    for (const char c : run) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, h);
    std::string out = p.string();
    out += '-';
    out += kind;
    out += '-';
    out += hex;
    return out;
}

std::string sync_fifo_path(const std::string& store, std::string_view run) {
    return store_side_path(store, run, "sync");
}

SyncFifoReader::SyncFifoReader(std::string path) : path_(std::move(path)) {
    (void)::unlink(path_.c_str()); // an earlier run's, left by a crash
    if (::mkfifo(path_.c_str(), 0600) != 0) {
        return;
    }
    fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ >= 0) {
        keep_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    }
    if (fd_ < 0 || keep_ < 0) {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        (void)::unlink(path_.c_str());
    }
}

SyncFifoReader::~SyncFifoReader() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::close(keep_);
        (void)::unlink(path_.c_str());
    }
}

std::optional<std::string> SyncFifoReader::wait(std::int64_t id, int wait_ms) {
    if (fd_ < 0) {
        return std::nullopt;
    }
    const std::string want = std::to_string(id) + ' ';
    for (bool waited = false;;) {
        // Whole lines first: the one asked for is returned, older ones dropped.
        for (std::size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
            std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 1);
            if (line.compare(0, want.size(), want) == 0) {
                return line.substr(want.size());
            }
        }
        char chunk[8192];
        const ssize_t n = ::read(fd_, chunk, sizeof chunk);
        if (n > 0) {
            buf_.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (waited) {
            return std::nullopt;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, wait_ms) <= 0) {
            return std::nullopt; // nothing within wait_ms, or a signal
        }
        waited = true;
    }
}

SyncFifoWriter::~SyncFifoWriter() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool SyncFifoWriter::send(std::int64_t id, std::string_view account) {
    if (!tried_) {
        tried_ = true;
        // Only a FIFO with a reader opens this way (ENXIO without one); never write into a
        // file that happens to have the name.
        fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st {};
        if (fd_ >= 0 &&
            (::fstat(fd_, &st) != 0 || !S_ISFIFO(st.st_mode) || ::fcntl(fd_, F_SETFL, 0) != 0)) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    if (fd_ < 0) {
        return false;
    }
    std::string line = std::to_string(id);
    line += ' ';
    line += account;
    line += '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
        const ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            // The reader went away (EPIPE; SIGPIPE is ignored): the store it is.
            ::close(fd_);
            fd_ = -1;
            return false;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void clear_syncs(store::Store& s, std::string_view run) {
    s.prepare("DELETE FROM sync_points WHERE run_id = ?").bind(1, run).exec();
}

void write_sync(store::Store& s, std::string_view run, std::int64_t id, std::uint64_t line,
                const AccountSnapshot& a) {
    s.prepare("INSERT OR REPLACE INTO sync_points (run_id, id, line, ts, account) VALUES "
              "(?,?,?,?,?)")
        .bind(1, run)
        .bind(2, id)
        .bind(3, static_cast<std::int64_t>(line))
        .bind(4, a.ts)
        .bind(5, std::string_view(account_json(a)))
        .exec();
}

std::optional<AccountSnapshot> read_sync(store::Store& s, std::string_view run, std::int64_t id) {
    auto st = s.prepare("SELECT account FROM sync_points WHERE run_id = ? AND id = ?");
    st.bind(1, run).bind(2, id);
    if (!st.step() || st.column_is_null(0)) {
        return std::nullopt;
    }
    return account_from_json(st.column_text(0));
}

std::optional<HaltRecord> open_halt(store::Store& s, std::string_view run) {
    auto st = s.prepare("SELECT action, ts, code, detail FROM risk_events WHERE run_id = ? AND "
                        "action IN ('halt', 'resume') ORDER BY rowid DESC LIMIT 1");
    st.bind(1, run);
    if (!st.step() || st.column_text(0) != "halt") {
        return std::nullopt;
    }
    return HaltRecord{st.column_int(1), st.column_text(2), st.column_text(3)};
}

std::optional<HaltRecord> reset_halt(store::Store& s, std::string_view run) {
    auto h = open_halt(s, run);
    if (!h) {
        return std::nullopt;
    }
    s.prepare("INSERT INTO risk_events (run_id, ts, inst, tool, action, code, limit_key, value, "
              "threshold, strategy, leg, detail) VALUES (?,?,NULL,'risk-guard','resume','reset',"
              "'risk.kill_switch',NULL,NULL,NULL,NULL,'reset by hand (risk-guard --reset-halt)')")
        .bind(1, run)
        .bind(2, h->ts)
        .exec();
    return h;
}

bool holds_at_start(const HaltRecord& h, risk::Resume resume) {
    return h.code != "daily_loss" || resume == risk::Resume::kManual;
}

std::string halted_message(std::string_view tool, std::string_view store, std::string_view run,
                           const HaltRecord& h) {
    std::string m = "run \"";
    m += run;
    m += "\" is halted by the kill switch (";
    m += h.code;
    m += " at ";
    m += core::format_iso_ms(h.ts);
    m += ": ";
    m += h.detail;
    m += "); ";
    m += tool;
    m += " will not start until it is reset: look at what happened (sqlite3 ";
    m += store;
    m += " \"SELECT * FROM risk_events WHERE run_id = '";
    m += run;
    m += "'\"), then risk-guard --reset-halt --store ";
    m += store;
    m += " --run ";
    m += run;
    m += " (or use another --run)";
    return m;
}

} // namespace okxkit::exec
