// The okxkit SQLite store: opening, migrations, statements, transactions, runs and candles.
#include "store/store.hpp"

#include "core/error.hpp"

#include <sqlite3.h>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <thread>
#include <utility>

namespace okxkit::store {
namespace {

constexpr std::string_view kUpsertCandle =
    "INSERT INTO candles(inst, bar, ts, o, h, l, c, vol, vol_quote, source) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT(inst, bar, ts) DO UPDATE SET o = excluded.o, h = excluded.h, "
    "l = excluded.l, c = excluded.c, vol = excluded.vol, vol_quote = excluded.vol_quote, "
    "source = excluded.source";

bool is_memory_path(const std::string& path) {
    return path.empty() || path == ":memory:";
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// SQL on one line and bounded, so a diagnostic stays one readable line.
std::string quote_sql(std::string_view sql) {
    constexpr std::size_t kMax = 120;
    std::string out = "\"";
    bool space = false;
    for (char ch : sql) {
        if (std::isspace(static_cast<unsigned char>(ch)) != 0) {
            space = out.size() > 1;
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        if (out.size() > kMax) {
            out += "...";
            break;
        }
        out += ch;
    }
    out += '"';
    return out;
}

// The name a connection's errors carry: the file, or ":memory:" for a private database.
std::string db_name(sqlite3* db) {
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    return file != nullptr && *file != '\0' ? file : ":memory:";
}

// "store WHERE: WHAT: SQLITE MESSAGE[: hint]" for result code rc on connection db.
std::string sqlite_message(std::string_view where, std::string_view what, sqlite3* db, int rc) {
    const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string msg = "store ";
    msg += where;
    msg += ": ";
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        msg += "not an sqlite database (";
        msg += text;
        msg += "): check the store path (--store, OKXKIT_STORE)";
        break;
    case SQLITE_BUSY:
        msg += what;
        msg += ": ";
        msg += text;
        msg += ": another writer held the store longer than the busy timeout";
        break;
    default:
        msg += what;
        msg += ": ";
        msg += text;
        break;
    }
    return msg;
}

[[noreturn]] void throw_sqlite(std::string_view where, std::string_view what, sqlite3* db, int rc) {
    throw core::RuntimeError(sqlite_message(where, what, db, rc));
}

// Runs SQL text with no results; returns SQLite's result code (the message stays on db).
int run_sql(sqlite3* db, const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    sqlite3_free(error);
    return rc;
}

} // namespace

// --- Statement ---------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (db_ == nullptr) {
        throw core::RuntimeError("store: cannot prepare " + quote_sql(sql) + ": no connection");
    }
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK) {
        throw_sqlite(db_name(db_), "cannot prepare " + quote_sql(sql), db_, rc);
    }
    if (stmt_ == nullptr) {
        throw core::RuntimeError("store " + db_name(db_) + ": cannot prepare " + quote_sql(sql) +
                                 ": no sql statement in it");
    }
    // sqlite3_prepare stops after the first statement; a second one would silently never run.
    const char* end = sql.data() + sql.size();
    if (tail != nullptr && tail < end) {
        sqlite3_stmt* next = nullptr;
        rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, nullptr);
        sqlite3_finalize(next);
        if (rc != SQLITE_OK || next != nullptr) {
            sqlite3_finalize(stmt_);
            stmt_ = nullptr;
            throw core::RuntimeError("store " + db_name(db_) + ": cannot prepare " +
                                     quote_sql(sql) +
                                     ": it holds more than one statement: use Store::exec");
        }
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

namespace {

void check_usable(sqlite3_stmt* stmt) {
    if (stmt == nullptr) {
        throw core::RuntimeError("store: statement used after it was moved from");
    }
}

void check_bind(sqlite3* db, sqlite3_stmt* stmt, int index, int rc) {
    if (rc != SQLITE_OK) {
        throw_sqlite(db_name(db),
                     "cannot bind parameter " + std::to_string(index) + " of " +
                         quote_sql(sqlite3_sql(stmt)),
                     db, rc);
    }
}

} // namespace

Statement& Statement::bind(int index, std::int64_t value) {
    check_usable(stmt_);
    check_bind(db_, stmt_, index, sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_usable(stmt_);
    check_bind(db_, stmt_, index, sqlite3_bind_double(stmt_, index, value));
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    check_usable(stmt_);
    // A null pointer would bind SQL NULL, but an empty string_view means the empty string.
    const char* data = value.data() != nullptr ? value.data() : "";
    check_bind(
        db_, stmt_, index,
        sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_ref(int index, std::string_view value) {
    check_usable(stmt_);
    const char* data = value.data() != nullptr ? value.data() : "";
    check_bind(db_, stmt_, index,
               sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_usable(stmt_);
    check_bind(db_, stmt_, index, sqlite3_bind_null(stmt_, index));
    return *this;
}

bool Statement::step() {
    check_usable(stmt_);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    auto msg = sqlite_message(db_name(db_), "cannot run " + quote_sql(sqlite3_sql(stmt_)), db_, rc);
    // Leave the statement runnable again once the message is taken.
    sqlite3_reset(stmt_);
    throw core::RuntimeError(msg);
}

void Statement::exec() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    if (stmt_ != nullptr) {
        // sqlite3_reset repeats the last step's error, which step() has already thrown.
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

std::int64_t Statement::column_int(int col) const {
    return sqlite3_column_int64(stmt_, col);
}

double Statement::column_double(int col) const {
    return sqlite3_column_double(stmt_, col);
}

std::string Statement::column_text(int col) const {
    const auto* text = sqlite3_column_text(stmt_, col);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

bool Statement::column_is_null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

// --- Store -------------------------------------------------------------------------------

namespace {

// Runs PRAGMA journal_mode=WAL and returns the mode SQLite reports.
std::string set_wal(sqlite3* db, const std::string& path, int busy_timeout_ms) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        throw_sqlite(path, "cannot set wal mode", db, rc);
    }
    // Switching the mode takes an exclusive lock and SQLite reports SQLITE_BUSY at once,
    // without the busy handler, when another process is opening the same fresh file; so wait
    // here, within the same timeout.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    while (((rc = sqlite3_step(stmt)) & 0xff) == SQLITE_BUSY &&
           std::chrono::steady_clock::now() < deadline) {
        sqlite3_reset(stmt);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::string mode;
    if (const auto* text = sqlite3_column_text(stmt, 0); rc == SQLITE_ROW && text != nullptr) {
        mode = reinterpret_cast<const char*>(text);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        std::string msg = sqlite_message(path, "cannot set wal mode", db, rc);
        sqlite3_finalize(stmt);
        throw core::RuntimeError(msg);
    }
    sqlite3_finalize(stmt);
    return mode;
}

} // namespace

// NOLINTNEXTLINE(modernize-pass-by-value): the header fixes the signature
Store::Store(const std::string& path, Options options) : path_(path) {
    const bool memory = is_memory_path(path_);
    if (!options.create && !memory) {
        std::error_code ec;
        if (!std::filesystem::exists(path_, ec)) {
            std::string msg = "store " + path_ + " does not exist";
            if (!options.fill_hint.empty()) {
                msg += ": fill it first, e.g. with " + std::string(options.fill_hint);
            }
            msg += " (or check --store and OKXKIT_STORE)";
            throw core::UsageError(msg);
        }
    }
    if (!options.read_only && options.create && !memory) {
        const auto parent = std::filesystem::path(path_).parent_path();
        std::error_code ec;
        if (!parent.empty()) {
            std::filesystem::create_directories(parent, ec);
        }
        if (ec) {
            throw core::RuntimeError("store " + path_ + ": cannot create folder " +
                                     parent.string() + ": " + core::errno_text(ec.value()));
        }
    }

    const int flags =
        (options.read_only ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0)) |
        SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string text = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw core::RuntimeError("store " + path_ + ": cannot open: " + text);
    }

    try {
        // Set first: switching a fresh file to WAL can already meet another opener's lock.
        sqlite3_busy_timeout(db_, std::max(options.busy_timeout_ms, 0));

        const std::string mode = set_wal(db_, path_, options.busy_timeout_ms);
        // A read-only connection cannot change the mode and a memory database has no WAL.
        if (!options.read_only && !memory && mode != "wal") {
            throw core::RuntimeError("store " + path_ + ": cannot use wal mode (journal mode is '" +
                                     mode + "'): keep the store on a local filesystem");
        }
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=ON");
        migrate();
    } catch (...) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

Store::~Store() {
    sqlite3_close_v2(db_);
}

int Store::schema_version() {
    Statement table =
        prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!table.step()) {
        return 0;
    }
    Statement max = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    max.step();
    return static_cast<int>(std::clamp<std::int64_t>(max.column_int(0), INT_MIN, INT_MAX));
}

void Store::migrate() {
    const auto newer = [this](int version) {
        return core::RuntimeError{"store " + path_ + ": schema version " + std::to_string(version) +
                                  " is newer than this okxkit (" + std::to_string(kSchemaVersion) +
                                  "): upgrade okxkit"};
    };

    int version = schema_version();
    if (version > kSchemaVersion) {
        throw newer(version);
    }
    if (version == kSchemaVersion) {
        return;
    }
    if (sqlite3_db_readonly(db_, "main") == 1) {
        throw core::RuntimeError("store " + path_ + ": schema version " + std::to_string(version) +
                                 " is older than this okxkit (" + std::to_string(kSchemaVersion) +
                                 ") and the store is open read-only: open it once for writing");
    }

    begin();
    try {
        // Another process may have migrated between the read above and BEGIN IMMEDIATE.
        version = schema_version();
        if (version > kSchemaVersion) {
            throw newer(version);
        }
        for (const Migration& m : migrations()) {
            const int next = m.number;
            if (next <= version) {
                continue;
            }
            const int rc = run_sql(db_, std::string(m.sql).c_str());
            if (rc != SQLITE_OK) {
                throw_sqlite(path_,
                             "migration " + std::to_string(next) + " (" + std::string(m.module) +
                                 ": " + std::string(m.name) + ") failed",
                             db_, rc);
            }
            prepare("INSERT INTO schema_version(version, applied_ms) VALUES(?1, ?2)")
                .bind(1, std::int64_t{next})
                .bind(2, now_ms())
                .exec();
        }
        commit();
    } catch (...) {
        if (in_transaction()) {
            run_sql(db_, "ROLLBACK");
        }
        throw;
    }
}

Statement Store::prepare(std::string_view sql) {
    return {db_, sql};
}

void Store::exec(std::string_view sql) {
    const int rc = run_sql(db_, std::string(sql).c_str());
    if (rc != SQLITE_OK) {
        throw_sqlite(path_, "cannot run " + quote_sql(sql), db_, rc);
    }
}

// begin/commit/rollback skip exec()'s copy of the SQL: CandleWriter calls them every batch.
void Store::begin() {
    if (const int rc = run_sql(db_, "BEGIN IMMEDIATE"); rc != SQLITE_OK) {
        throw_sqlite(path_, "cannot begin a write transaction", db_, rc);
    }
}

void Store::commit() {
    if (const int rc = run_sql(db_, "COMMIT"); rc != SQLITE_OK) {
        throw_sqlite(path_, "cannot commit", db_, rc);
    }
}

void Store::rollback() {
    // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, ...).
    if (in_transaction()) {
        if (const int rc = run_sql(db_, "ROLLBACK"); rc != SQLITE_OK) {
            throw_sqlite(path_, "cannot roll back", db_, rc);
        }
    }
}

bool Store::in_transaction() const {
    return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

void Store::begin_run(std::string_view run_id, std::string_view tool, std::int64_t started_ms,
                      std::string_view detail) {
    prepare("INSERT OR REPLACE INTO runs(run_id, tool, started_ms, ended_ms, status, count, "
            "detail) VALUES(?1, ?2, ?3, NULL, 'running', 0, ?4)")
        .bind(1, run_id)
        .bind(2, tool)
        .bind(3, started_ms)
        .bind(4, detail)
        .exec();
}

void Store::end_run(std::string_view run_id, std::string_view tool, std::string_view status,
                    std::int64_t ended_ms, std::int64_t count) {
    prepare("UPDATE runs SET status = ?3, ended_ms = ?4, count = ?5 WHERE run_id = ?1 AND "
            "tool = ?2")
        .bind(1, run_id)
        .bind(2, tool)
        .bind(3, status)
        .bind(4, ended_ms)
        .bind(5, count)
        .exec();
    if (sqlite3_changes(db_) == 0) {
        throw core::RuntimeError("store " + path_ + ": cannot end run '" + std::string(run_id) +
                                 "' of " + std::string(tool) + ": it was never started");
    }
}

std::int64_t Store::count_candles(std::string_view inst, std::string_view bar) {
    // One query per filter shape, so a given inst can use the primary key.
    const char* sql = "SELECT count(*) FROM candles";
    if (!inst.empty() && !bar.empty()) {
        sql = "SELECT count(*) FROM candles WHERE inst = ?1 AND bar = ?2";
    } else if (!inst.empty()) {
        sql = "SELECT count(*) FROM candles WHERE inst = ?1";
    } else if (!bar.empty()) {
        sql = "SELECT count(*) FROM candles WHERE bar = ?2";
    }
    Statement count = prepare(sql);
    if (!inst.empty()) {
        count.bind(1, inst);
    }
    if (!bar.empty()) {
        count.bind(2, bar);
    }
    count.step();
    return count.column_int(0);
}

// --- CandleWriter ------------------------------------------------------------------------

CandleWriter::CandleWriter(Store& store, std::size_t batch)
    : store_(store), upsert_(store.prepare(kUpsertCandle)),
      batch_(std::max<std::size_t>(batch, 1)) {}

void CandleWriter::add(const CandleRow& row) {
    if (pending_ == rows_.size()) {
        rows_.push_back(row);
    } else {
        CandleRow& r = rows_[pending_];
        r.inst.assign(row.inst);
        r.bar.assign(row.bar);
        r.ts = row.ts;
        r.o = row.o;
        r.h = row.h;
        r.l = row.l;
        r.c = row.c;
        r.vol = row.vol;
        r.vol_quote = row.vol_quote;
        r.source.assign(row.source);
    }
    ++pending_;
    if (pending_ >= batch_) {
        flush();
    }
}

void CandleWriter::flush() {
    if (pending_ == 0) {
        return;
    }
    store_.begin();
    std::exception_ptr first; // a row SQLite refused: the others are still written
    std::int64_t done = 0;
    try {
        for (std::size_t k = 0; k < pending_; ++k) {
            const CandleRow& row = rows_[k];
            upsert_.bind(1, std::string_view(row.inst))
                .bind(2, std::string_view(row.bar))
                .bind(3, row.ts)
                .bind(4, row.o)
                .bind(5, row.h)
                .bind(6, row.l)
                .bind(7, row.c)
                .bind(8, row.vol)
                .bind(10, std::string_view(row.source));
            if (row.vol_quote) {
                upsert_.bind(9, *row.vol_quote);
            } else {
                upsert_.bind_null(9);
            }
            try {
                upsert_.exec(); // on failure SQLite undid just this statement
                ++done;
            } catch (const core::RuntimeError&) {
                upsert_.reset();
                if (!first) {
                    first = std::current_exception();
                }
            }
        }
        store_.commit();
    } catch (...) {
        upsert_.reset();
        pending_ = 0; // the batch is lost with the transaction; the caller reports the error
        try {
            store_.rollback();
        } catch (...) { // NOLINT(bugprone-empty-catch): the first error is the one to report
        }
        throw;
    }
    written_ += done;
    pending_ = 0;
    if (first) {
        std::rethrow_exception(first);
    }
}

// --- paths -------------------------------------------------------------------------------

std::string default_store_path() {
    // The XDG base directory spec says to ignore a relative XDG_DATA_HOME.
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg != nullptr && xdg[0] == '/') {
        return std::string(xdg) + "/okxkit/store.db";
    }
    std::string home;
    if (const char* env = std::getenv("HOME"); env != nullptr && env[0] != '\0') {
        home = env;
    } else {
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        std::string buf(size > 0 ? static_cast<std::size_t>(size) : 16384, '\0');
        passwd entry{};
        passwd* found = nullptr;
        if (getpwuid_r(getuid(), &entry, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
            found->pw_dir != nullptr) {
            home = found->pw_dir;
        }
    }
    if (home.empty()) {
        throw core::RuntimeError(
            "store: cannot find the default store: HOME is not set: set --store or OKXKIT_STORE");
    }
    return home + "/.local/share/okxkit/store.db";
}

CandleRun::CandleRun(const std::string& path, std::string run_id, std::string_view tool,
                     std::string_view detail, std::size_t batch)
    : store_(path), run_id_(std::move(run_id)), tool_(tool), writer_(store_, batch) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    store_.begin_run(run_id_, tool, now, detail);
}

CandleRun::~CandleRun() {
    try {
        abandon(1);
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

void CandleRun::abandon(int exit_code) {
    if (closed_) {
        return;
    }
    closed_ = true;
    writer_.discard();
    store_.end_run(run_id_, tool_, RunRecord::status_of(exit_code), now_ms(), writer_.written());
}

void CandleRun::close(std::string_view status, std::int64_t count) {
    if (closed_) {
        return;
    }
    closed_ = true;
    writer_.flush();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    store_.end_run(run_id_, tool_, status, now, count);
}

RunRecord::RunRecord(Store& store, std::string run_id, std::string tool, std::string_view detail)
    : store_(store), run_id_(std::move(run_id)), tool_(std::move(tool)) {
    store_.begin_run(run_id_, tool_, now_ms(), detail);
}

RunRecord::~RunRecord() {
    try {
        end("failed", 0);
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

void RunRecord::end(std::string_view status, std::int64_t count) {
    if (ended_) {
        return;
    }
    ended_ = true;
    store_.end_run(run_id_, tool_, status, now_ms(), count);
}

std::string_view RunRecord::status_of(int exit_code) {
    switch (exit_code) {
    case 0:
        return "ok";
    case 3:
        return "bad-input";
    case 4:
        return "refused";
    case 5:
        return "unavailable";
    case 130:
    case 143:
        return "interrupted";
    case 141:
        return "broken-pipe";
    default:
        return "failed";
    }
}

void save_instruments(Store& store, std::string_view inst_type,
                      const std::vector<core::InstrumentInfo>& rows, std::int64_t updated_ms) {
    store.begin();
    try {
        store.prepare("DELETE FROM instruments WHERE inst_type = ?").bind(1, inst_type).exec();
        Statement put = store.prepare(
            "INSERT OR REPLACE INTO instruments(inst, inst_type, base_ccy, quote_ccy, tick_sz, "
            "lot_sz, min_sz, state, updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
        for (const core::InstrumentInfo& r : rows) {
            put.bind(1, r.inst)
                .bind(2, r.inst_type)
                .bind(3, r.base_ccy)
                .bind(4, r.quote_ccy)
                .bind(5, r.tick_sz)
                .bind(6, r.lot_sz)
                .bind(7, r.min_sz)
                .bind(8, r.state)
                .bind(9, updated_ms);
            put.exec();
        }
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
}

std::vector<core::InstrumentInfo> load_instruments(Store& store) {
    std::vector<core::InstrumentInfo> out;
    Statement q = store.prepare("SELECT inst, inst_type, base_ccy, quote_ccy, tick_sz, lot_sz, "
                                "min_sz, state FROM instruments ORDER BY inst");
    while (q.step()) {
        out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_text(3),
                       q.column_text(4), q.column_text(5), q.column_text(6), q.column_text(7)});
    }
    return out;
}

void add_health(Store& store, const HealthRow& row) {
    Statement put = store.prepare("INSERT INTO health(ts, run_id, component, event, inst, value, "
                                  "detail) VALUES(?, ?, ?, ?, ?, ?, ?)");
    put.bind(1, row.ts).bind(2, row.run_id).bind(3, row.component).bind(4, row.event);
    if (row.inst.empty()) {
        put.bind_null(5);
    } else {
        put.bind(5, row.inst);
    }
    if (row.value) {
        put.bind(6, *row.value);
    } else {
        put.bind_null(6);
    }
    put.bind(7, row.detail);
    put.exec();
}

} // namespace okxkit::store
