// The okxkit SQLite store: connection, migrations, statements, transactions, typed tables.
#pragma once

#include "core/instrument.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace okxkit::store {

// The schema version this build writes; migrations 1..kSchemaVersion are applied on open.
// Adding a migration file (lib/<module>/migrations/NNNN_name.sql) means raising this too; the
// build checks that the two agree.
inline constexpr int kSchemaVersion = 14;

// One numbered step of the schema, owned by the module whose tables it makes.
struct Migration {
    int number;
    std::string_view module; // the lib/ folder it comes from: "store", "ml", ...
    std::string_view name;   // what it does, from its file name
    std::string_view sql;    // statements, run in one transaction with the others pending
};

// Every migration, in number order (1..kSchemaVersion), generated at build time from
// lib/*/migrations/*.sql.
std::span<const Migration> migrations();

// A prepared statement. Bind parameters are 1-based, as in SQLite. Not copyable.
// Errors throw core::RuntimeError naming the SQL and SQLite's message.
class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    // The text without a copy: value must stay as it is until the statement has run (exec) or
    // was reset. For rows written from memory that outlives the statement's run.
    Statement& bind_ref(int index, std::string_view value);
    Statement& bind_null(int index);
    // An optional value: NULL when it is empty.
    template <class T> Statement& bind_opt(int index, const std::optional<T>& v) {
        return v ? bind(index, *v) : bind_null(index);
    }

    // Runs one step: true while a row is available, false when done.
    bool step();
    // Runs to completion (for statements that return no rows), then resets.
    void exec();
    // Resets and clears bindings so the statement can run again.
    void reset();

    [[nodiscard]] std::int64_t column_int(int col) const;
    [[nodiscard]] double column_double(int col) const;
    [[nodiscard]] std::string column_text(int col) const;
    [[nodiscard]] bool column_is_null(int col) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// One candle as stored: the primary key is (inst, bar, ts).
struct CandleRow {
    std::string inst;
    std::string bar;
    std::int64_t ts = 0;
    double o = 0, h = 0, l = 0, c = 0, vol = 0;
    std::optional<double> vol_quote;
    std::string source;
};

// A connection to one store file. Opening creates the file and its folder if needed (unless
// Options::create is false),
// sets WAL mode, synchronous=NORMAL, foreign_keys=ON and a busy timeout, then applies
// any missing migrations inside one transaction. Several processes may open one file.
// Throws core::RuntimeError when the file cannot be opened, is not an okxkit store, or
// was written by a newer okxkit (schema_version > kSchemaVersion).
class Store {
public:
    struct Options {
        int busy_timeout_ms = 10000;
        bool read_only = false;
        // False for tools that only use a store others fill (predict, train --list): a missing
        // file is then core::UsageError naming the store and fill_hint, not a new empty store.
        bool create = true;
        std::string_view fill_hint = {}; // e.g. "okx-stream --replay FILE --store PATH"
    };

    explicit Store(const std::string& path) : Store(path, Options{}) {}
    Store(const std::string& path, Options options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] int schema_version();
    [[nodiscard]] sqlite3* handle() const { return db_; }

    // Prepares a statement on this connection.
    Statement prepare(std::string_view sql);
    // Runs SQL with no results (may hold several statements).
    void exec(std::string_view sql);

    // Write transactions start with BEGIN IMMEDIATE so that two writers queue on the
    // busy timeout instead of failing on a lock upgrade.
    void begin();
    void commit();
    void rollback();
    [[nodiscard]] bool in_transaction() const;

    // Records the start of one tool's part of a run: run id, tool, wall-clock start (ms), free
    // text describing the inputs; status "running". A run id is shared by the tools of a
    // pipeline, so the row is keyed by (run id, tool): the same tool starting again under the
    // same run id replaces its own row, never another tool's.
    void begin_run(std::string_view run_id, std::string_view tool, std::int64_t started_ms,
                   std::string_view detail);
    // Records the end of a tool's run: status ("ok", "interrupted", "failed", "bad-input",
    // "broken-pipe"), wall-clock end (ms), the number of messages it produced. Throws
    // core::RuntimeError when that (run id, tool) was never started.
    void end_run(std::string_view run_id, std::string_view tool, std::string_view status,
                 std::int64_t ended_ms, std::int64_t count);

    // Number of candles stored for inst and bar (all when empty).
    std::int64_t count_candles(std::string_view inst = {}, std::string_view bar = {});

private:
    void migrate();
    std::string path_;
    sqlite3* db_ = nullptr;
};

// Replaces the stored instruments of inst_type with rows, in one transaction (an instrument
// OKX no longer lists disappears). updated_ms is the time of the list.
void save_instruments(Store& store, std::string_view inst_type,
                      const std::vector<core::InstrumentInfo>& rows, std::int64_t updated_ms);

// All stored instruments, ordered by inst.
std::vector<core::InstrumentInfo> load_instruments(Store& store);

// One health event of a feed (connect, disconnect, reconnect, gap, backfill, latency, error).
struct HealthRow {
    std::int64_t ts = 0;
    std::string run_id;
    std::string component;
    std::string event;
    std::string inst; // empty: none
    std::optional<double> value;
    std::string detail;
};
void add_health(Store& store, const HealthRow& row);

// Upserts candles in batches: rows are collected in memory and written in one transaction per
// `batch` rows (and on flush()). Upsert on (inst, bar, ts), so replaying twice is idempotent.
// No transaction stays open between calls: the write lock is held only while a batch is
// written, never while the tool is blocked on its output, so the next stage of a pipeline can
// write the same store (`okx-stream --store S | predict --store S` cannot deadlock). The
// destructor does not commit; call flush() (rows still pending are dropped, which keeps the
// store consistent after an exception).
class CandleWriter {
public:
    explicit CandleWriter(Store& store, std::size_t batch = 1000);
    ~CandleWriter() = default;
    CandleWriter(const CandleWriter&) = delete;
    CandleWriter& operator=(const CandleWriter&) = delete;

    // Adds one row; may write a batch. O(1) amortised (a row's strings reuse their capacity).
    void add(const CandleRow& row);
    // Writes and commits the rows added so far.
    void flush();
    // Drops the rows added since the last commit.
    void discard() { pending_ = 0; }
    [[nodiscard]] std::int64_t written() const { return written_; }

private:
    Store& store_;
    Statement upsert_;
    std::size_t batch_;
    std::vector<CandleRow> rows_; // [0, pending_) are the rows not yet written
    std::size_t pending_ = 0;
    std::int64_t written_ = 0;
};

// A run that writes candles: opens the store, records the run ("running"), upserts candles
// in batches, and on close() commits and records how the run ended. Used by every okx-stream
// mode so that an interrupted or failed run always leaves a consistent store and an honest
// runs row. The destructor without close() (an exception on its way out) rolls back pending
// rows and ends the row as "failed": no row stays "running" after its tool is gone.
class CandleRun {
public:
    CandleRun(const std::string& path, std::string run_id, std::string_view tool,
              std::string_view detail, std::size_t batch = 2000);
    ~CandleRun();
    CandleRun(const CandleRun&) = delete;
    CandleRun& operator=(const CandleRun&) = delete;
    void add(const CandleRow& row) { writer_.add(row); }
    // Commits the rows added so far (a live feed calls it between bursts, so the write
    // transaction never stays open long).
    void flush() { writer_.flush(); }
    // Commits, then records status ("ok", "interrupted", "bad-input", "broken-pipe",
    // "unavailable", "failed") and count. Later calls do nothing.
    void close(std::string_view status, std::int64_t count);
    // An error is ending the tool with exit_code: rolls back pending rows and records the
    // status of that code (RunRecord::status_of) with the rows committed. Later calls do
    // nothing.
    void abandon(int exit_code);
    [[nodiscard]] std::int64_t written() const { return writer_.written(); }
    Store& store() { return store_; }

private:
    Store store_;
    std::string run_id_;
    std::string tool_;
    CandleWriter writer_;
    bool closed_ = false;
};

// One tool's part in a run, as the runs table keeps it: begun when constructed ("running"),
// ended with an honest status. A record destroyed without end() (an exception on its way out)
// is ended as "failed", so no row stays "running" after its tool is gone.
class RunRecord {
public:
    RunRecord(Store& store, std::string run_id, std::string tool, std::string_view detail);
    ~RunRecord();
    RunRecord(const RunRecord&) = delete;
    RunRecord& operator=(const RunRecord&) = delete;
    // Records the end: status ("ok", "interrupted", "failed", "bad-input", "broken-pipe",
    // "refused") and the count of what the run produced. Later calls do nothing.
    void end(std::string_view status, std::int64_t count);
    // The status for an exit code: 0 ok, 3 bad-input, 4 refused, 5 unavailable, 130/143
    // interrupted, 141 broken-pipe, anything else failed.
    static std::string_view status_of(int exit_code);

private:
    Store& store_;
    std::string run_id_;
    std::string tool_;
    bool ended_ = false;
};

// Default store path: ${XDG_DATA_HOME:-$HOME/.local/share}/okxkit/store.db (the --store option
// and OKXKIT_STORE override it through the option table).
std::string default_store_path();

} // namespace okxkit::store
