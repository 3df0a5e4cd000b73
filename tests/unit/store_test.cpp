// Unit tests for lib/store: opening, migrations, statements, transactions, runs, candles.
#include "store/store.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace okxkit::store {
namespace {

namespace fs = std::filesystem;

// Runs f and returns the message of the core::RuntimeError it throws ("" when none).
template <typename F> std::string runtime_error_of(F&& f) {
    try {
        f();
    } catch (const core::RuntimeError& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw a non-RuntimeError: " << e.what();
        return "(wrong exception type)";
    }
    ADD_FAILURE() << "did not throw";
    return "";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

CandleRow candle(std::string inst, std::int64_t ts, double price = 100.0) {
    CandleRow row;
    row.inst = std::move(inst);
    row.bar = "1m";
    row.ts = ts;
    row.o = price;
    row.h = price + 1;
    row.l = price - 1;
    row.c = price + 0.5;
    row.vol = 10;
    row.vol_quote = 1000;
    row.source = "test";
    return row;
}

std::int64_t query_int(Store& store, const std::string& sql) {
    Statement stmt = store.prepare(sql);
    EXPECT_TRUE(stmt.step()) << sql;
    return stmt.column_int(0);
}

std::string query_text(Store& store, const std::string& sql) {
    Statement stmt = store.prepare(sql);
    EXPECT_TRUE(stmt.step()) << sql;
    return stmt.column_text(0);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Each test gets its own folder under the system temp folder, removed afterwards.
class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("okxkit-store-test-" + std::to_string(getpid()) + "-" +
                                            std::to_string(counter++) + "-" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    [[nodiscard]] std::string db_path(const std::string& name = "store.db") const {
        return (dir_ / name).string();
    }

    fs::path dir_;
};

// --- open and migrations -----------------------------------------------------------------

TEST_F(StoreTest, OpenCreatesFileAndMissingFoldersWithWalAndForeignKeys) {
    const std::string path = (dir_ / "a" / "b" / "store.db").string();
    ASSERT_FALSE(fs::exists(dir_ / "a"));
    Store store(path);
    EXPECT_TRUE(fs::is_regular_file(path));
    EXPECT_EQ(store.path(), path);
    EXPECT_EQ(query_text(store, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_int(store, "PRAGMA foreign_keys"), 1);
    EXPECT_EQ(query_int(store, "PRAGMA synchronous"), 1); // NORMAL
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_FALSE(store.in_transaction());
    EXPECT_EQ(store.count_candles(), 0);
}

TEST_F(StoreTest, BusyTimeoutIsApplied) {
    Store store(db_path(), Store::Options{.busy_timeout_ms = 1234});
    EXPECT_EQ(query_int(store, "PRAGMA busy_timeout"), 1234);
}

TEST_F(StoreTest, ReopenDoesNotReapplyMigrationsAndKeepsData) {
    {
        Store store(db_path());
        store.begin_run("r1", "okx-stream", 1, "");
    }
    {
        Store store(db_path());
        EXPECT_EQ(store.schema_version(), kSchemaVersion);
    }
    Store store(db_path());
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM schema_version"), kSchemaVersion);
    EXPECT_EQ(query_int(store, "SELECT count(DISTINCT version) FROM schema_version"),
              kSchemaVersion);
    EXPECT_EQ(query_int(store, "SELECT min(version) FROM schema_version"), 1);
    EXPECT_GT(query_int(store, "SELECT min(applied_ms) FROM schema_version"), 0);
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs"), 1);
}

TEST_F(StoreTest, NewerSchemaVersionIsRefused) {
    {
        Store store(db_path());
        store.exec("INSERT INTO schema_version(version, applied_ms) VALUES(99, 0)");
    }
    const std::string msg = runtime_error_of([&] { Store store(db_path()); });
    EXPECT_TRUE(contains(msg, "schema version 99 is newer")) << msg;
    EXPECT_TRUE(contains(msg, "(" + std::to_string(kSchemaVersion) + ")")) << msg;
    EXPECT_TRUE(contains(msg, "upgrade okxkit")) << msg;
    EXPECT_TRUE(contains(msg, db_path())) << msg;
}

TEST_F(StoreTest, NonSqliteFileIsRefusedAndLeftUntouched) {
    std::string garbage;
    for (int i = 0; i < 4096; ++i) {
        garbage += static_cast<char>((i * 7919 + 13) % 251);
    }
    {
        std::ofstream out(db_path(), std::ios::binary);
        out << garbage;
    }
    const std::string msg = runtime_error_of([&] { Store store(db_path()); });
    EXPECT_TRUE(contains(msg, "not an sqlite database")) << msg;
    EXPECT_TRUE(contains(msg, db_path())) << msg;
    EXPECT_EQ(read_file(db_path()), garbage);
}

TEST_F(StoreTest, ShortTextFileIsRefused) {
    {
        std::ofstream out(db_path());
        out << "ts,o,h,l,c\n1,2,3,4,5\n";
    }
    const std::string msg = runtime_error_of([&] { Store store(db_path()); });
    EXPECT_TRUE(contains(msg, "not an sqlite database")) << msg;
}

TEST_F(StoreTest, UncreatableFolderFailsNamingThePath) {
    { std::ofstream(db_path("plain-file")) << "x"; }
    const std::string path = (dir_ / "plain-file" / "sub" / "store.db").string();
    const std::string msg = runtime_error_of([&] { Store store(path); });
    EXPECT_TRUE(contains(msg, "store " + path + ": cannot create folder")) << msg;
}

TEST_F(StoreTest, UnopenableFileFailsWithCannotOpen) {
    fs::create_directories(db_path()); // a folder where the file should be
    const std::string msg = runtime_error_of([&] { Store store(db_path()); });
    EXPECT_TRUE(contains(msg, "store " + db_path() + ": cannot open")) << msg;
}

TEST_F(StoreTest, ReadOnlyReadsButDoesNotCreateOrWrite) {
    const std::string missing = (dir_ / "nope" / "store.db").string();
    const std::string msg =
        runtime_error_of([&] { Store store(missing, Store::Options{.read_only = true}); });
    EXPECT_TRUE(contains(msg, "cannot open")) << msg;
    EXPECT_FALSE(fs::exists(dir_ / "nope"));

    {
        Store store(db_path());
        CandleWriter writer(store);
        writer.add(candle("BTC-USDT", 1));
        writer.flush();
    }
    Store reader(db_path(), Store::Options{.read_only = true});
    EXPECT_EQ(reader.schema_version(), kSchemaVersion);
    EXPECT_EQ(reader.count_candles(), 1);
    const std::string write_msg = runtime_error_of([&] { reader.exec("DELETE FROM candles"); });
    EXPECT_TRUE(contains(write_msg, "readonly")) << write_msg;
    EXPECT_EQ(reader.count_candles(), 1);
}

TEST_F(StoreTest, MemoryStoreIsMigrated) {
    Store store(":memory:");
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    CandleWriter writer(store, 2);
    writer.add(candle("BTC-USDT", 1));
    writer.flush();
    EXPECT_EQ(store.count_candles(), 1);
}

// --- transactions ------------------------------------------------------------------------

TEST_F(StoreTest, RollbackDiscardsAndCommitKeeps) {
    Store store(db_path());
    store.begin();
    EXPECT_TRUE(store.in_transaction());
    store.begin_run("gone", "t", 1, "");
    store.rollback();
    EXPECT_FALSE(store.in_transaction());
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs"), 0);

    store.begin();
    store.begin_run("kept", "t", 1, "");
    store.commit();
    EXPECT_FALSE(store.in_transaction());
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs"), 1);

    store.rollback(); // no transaction: nothing to do, no error
    store.begin();
    EXPECT_FALSE(runtime_error_of([&] { store.begin(); }).empty());
    store.rollback();
}

TEST_F(StoreTest, SecondWriterTimesOutWithClearError) {
    Store first(db_path());
    Store second(db_path(), Store::Options{.busy_timeout_ms = 100});
    first.begin();
    const auto start = std::chrono::steady_clock::now();
    const std::string msg = runtime_error_of([&] { second.begin(); });
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(contains(msg, "database is locked")) << msg;
    EXPECT_TRUE(contains(msg, "busy timeout")) << msg;
    EXPECT_GE(waited, std::chrono::milliseconds(90));
    EXPECT_FALSE(second.in_transaction());
    first.commit();
    second.begin(); // free again
    second.commit();
}

// --- runs --------------------------------------------------------------------------------

TEST_F(StoreTest, RunRoundTrip) {
    Store store(db_path());
    store.begin_run("run-1", "featurize", 1700000000000, "--bar 1m");
    {
        Statement row = store.prepare(
            "SELECT tool, started_ms, ended_ms, status, count, detail FROM runs WHERE run_id = ?1");
        row.bind(1, "run-1");
        ASSERT_TRUE(row.step());
        EXPECT_EQ(row.column_text(0), "featurize");
        EXPECT_EQ(row.column_int(1), 1700000000000);
        EXPECT_TRUE(row.column_is_null(2));
        EXPECT_EQ(row.column_text(3), "running");
        EXPECT_EQ(row.column_int(4), 0);
        EXPECT_EQ(row.column_text(5), "--bar 1m");
        EXPECT_FALSE(row.step());
    }
    store.end_run("run-1", "featurize", "ok", 1700000060000, 4242);
    {
        Statement row =
            store.prepare("SELECT ended_ms, status, count, started_ms FROM runs WHERE run_id = ?1");
        row.bind(1, "run-1");
        ASSERT_TRUE(row.step());
        EXPECT_EQ(row.column_int(0), 1700000060000);
        EXPECT_EQ(row.column_text(1), "ok");
        EXPECT_EQ(row.column_int(2), 4242);
        EXPECT_EQ(row.column_int(3), 1700000000000);
    }
    // Starting the same run id again in the same tool replaces that tool's row.
    store.begin_run("run-1", "featurize", 1700000100000, "");
    EXPECT_EQ(query_text(store, "SELECT status FROM runs WHERE run_id = 'run-1'"), "running");
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs"), 1);
}

TEST_F(StoreTest, ToolsOfOnePipelineKeepARowEachUnderTheSharedRunId) {
    Store store(db_path());
    store.begin_run("demo", "okx-stream", 1000, "replay");
    store.begin_run("demo", "predict", 1001, "");
    store.end_run("demo", "predict", "ok", 2001, 7);
    store.end_run("demo", "okx-stream", "interrupted", 2000, 40);
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs WHERE run_id = 'demo'"), 2);
    EXPECT_EQ(query_text(store, "SELECT status FROM runs WHERE tool = 'okx-stream'"),
              "interrupted");
    EXPECT_EQ(query_int(store, "SELECT count FROM runs WHERE tool = 'okx-stream'"), 40);
    EXPECT_EQ(query_text(store, "SELECT status FROM runs WHERE tool = 'predict'"), "ok");
    EXPECT_EQ(query_int(store, "SELECT count FROM runs WHERE tool = 'predict'"), 7);
    // A second predict under the same run id replaces predict's row only.
    store.begin_run("demo", "predict", 3000, "");
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs"), 2);
    EXPECT_EQ(query_text(store, "SELECT status FROM runs WHERE tool = 'predict'"), "running");
    EXPECT_EQ(query_text(store, "SELECT status FROM runs WHERE tool = 'okx-stream'"),
              "interrupted");
}

TEST_F(StoreTest, EndingAnUnknownRunFails) {
    Store store(db_path());
    store.begin_run("known", "okx-stream", 1, "");
    const std::string msg =
        runtime_error_of([&] { store.end_run("nope", "okx-stream", "ok", 1, 0); });
    EXPECT_TRUE(contains(msg, "nope")) << msg;
    // The run exists, but not for this tool.
    const std::string other =
        runtime_error_of([&] { store.end_run("known", "predict", "ok", 1, 0); });
    EXPECT_TRUE(contains(other, "known")) << other;
    EXPECT_TRUE(contains(other, "predict")) << other;
}

// --- migrations --------------------------------------------------------------------------

TEST(StoreMigrations, AreNumberedOneToTheSchemaVersionAndOwnedByTheirModules) {
    const auto all = migrations();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kSchemaVersion));
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].number, static_cast<int>(i + 1));
        EXPECT_FALSE(all[i].sql.empty());
        EXPECT_FALSE(all[i].name.empty());
    }
    // The models table belongs to ml; runs, candles, instruments and health to the store.
    EXPECT_EQ(all[2].module, "ml");
    EXPECT_NE(all[2].sql.find("CREATE TABLE models("), std::string_view::npos);
    EXPECT_EQ(all[0].module, "store");
    EXPECT_EQ(all[3].module, "store");
    // The rejected status of models: ml's again.
    EXPECT_EQ(all[4].module, "ml");
    EXPECT_NE(all[4].sql.find("'rejected'"), std::string_view::npos);
}

// A store written by the release before runs were keyed by (run id, tool): schema version 3
// with one row per run id. Opening it migrates the table and keeps the rows.
TEST_F(StoreTest, AVersionThreeStoreIsMigratedAndKeepsItsRuns) {
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
        for (const Migration& m : migrations()) {
            if (m.number > 3) {
                break;
            }
            ASSERT_EQ(sqlite3_exec(db, std::string(m.sql).c_str(), nullptr, nullptr, nullptr),
                      SQLITE_OK);
            const std::string stamp =
                "INSERT INTO schema_version VALUES(" + std::to_string(m.number) + ", 1)";
            ASSERT_EQ(sqlite3_exec(db, stamp.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        }
        ASSERT_EQ(sqlite3_exec(db,
                               "INSERT INTO runs(run_id, tool, started_ms, ended_ms, status, "
                               "count, detail) VALUES('old', 'okx-stream', 5, 6, 'ok', 9, 'x')",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    }
    Store store(db_path());
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_EQ(query_text(store, "SELECT status || ' ' || count || ' ' || detail FROM runs WHERE "
                                "run_id = 'old' AND tool = 'okx-stream'"),
              "ok 9 x");
    store.begin_run("old", "predict", 7, "");
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs WHERE run_id = 'old'"), 2);
}

// A store written before the skill gate: schema version 4, whose models table allows no
// 'rejected' status. Opening it rebuilds the table with every row and both indexes kept.
TEST_F(StoreTest, AVersionFourStoreIsMigratedAndKeepsItsModels) {
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
        for (const Migration& m : migrations()) {
            if (m.number > 4) {
                break;
            }
            ASSERT_EQ(sqlite3_exec(db, std::string(m.sql).c_str(), nullptr, nullptr, nullptr),
                      SQLITE_OK);
            const std::string stamp =
                "INSERT INTO schema_version VALUES(" + std::to_string(m.number) + ", 1)";
            ASSERT_EQ(sqlite3_exec(db, stamp.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        }
        const char* rows =
            "INSERT INTO models VALUES(1, 'ETH-USDT', '5m', 12, 0.002, 'abc', 218, 1, 2, 3, 4, 5, "
            "6, 7, 8, '{}', '{\"oos\":{}}', '{}', '{}', '/m/1', 'retired', 'old');"
            "INSERT INTO models VALUES(2, 'ETH-USDT', '5m', 12, 0.002, 'abc', 218, 1, 2, 3, 4, 5, "
            "6, 7, 9, '{}', '{}', '{}', '{}', '/m/2', 'champion', 'first');";
        ASSERT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK);
        // Version 4 refuses the new status.
        EXPECT_NE(sqlite3_exec(db, "UPDATE models SET status = 'rejected' WHERE id = 1", nullptr,
                               nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    }
    Store store(db_path());
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_EQ(query_text(store, "SELECT group_concat(id || ' ' || status || ' ' || reason || ' ' "
                                "|| metrics || ' ' || created_ms, '; ') FROM models"),
              "1 retired old {\"oos\":{}} 8; 2 champion first {} 9");
    store.exec("UPDATE models SET status = 'rejected' WHERE id = 1");
    EXPECT_EQ(query_text(store, "SELECT status FROM models WHERE id = 1"), "rejected");
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name "
                               "IN ('models_by_series', 'models_one_champion')"),
              2);
    // Still one champion per series at most, and no status outside the list.
    EXPECT_FALSE(runtime_error_of([&] {
                     store.exec("UPDATE models SET status = 'champion' WHERE id = 1");
                 }).empty());
    EXPECT_FALSE(runtime_error_of([&] {
                     store.exec("UPDATE models SET status = 'doubtful' WHERE id = 2");
                 }).empty());
}

// --- CandleWriter ------------------------------------------------------------------------

TEST_F(StoreTest, WriterCommitsOnBatchBoundaryAndOnFlush) {
    Store store(db_path());
    Store other(db_path()); // sees only committed rows
    CandleWriter writer(store, 3);
    writer.add(candle("BTC-USDT", 1));
    writer.add(candle("BTC-USDT", 2));
    EXPECT_FALSE(store.in_transaction()); // pending rows hold no lock (see the next test)
    EXPECT_EQ(writer.written(), 0);
    EXPECT_EQ(other.count_candles(), 0);

    writer.add(candle("BTC-USDT", 3));
    EXPECT_FALSE(store.in_transaction());
    EXPECT_EQ(writer.written(), 3);
    EXPECT_EQ(other.count_candles(), 3);

    writer.add(candle("BTC-USDT", 4));
    EXPECT_EQ(other.count_candles(), 3);
    writer.flush();
    EXPECT_EQ(writer.written(), 4);
    EXPECT_EQ(other.count_candles(), 4);
    EXPECT_FALSE(store.in_transaction());
    writer.flush(); // nothing pending: no-op
    EXPECT_EQ(writer.written(), 4);
}

TEST_F(StoreTest, UpsertTwiceIsIdempotentAndKeepsLatestValues) {
    Store store(db_path());
    {
        CandleWriter writer(store, 2);
        for (int ts = 1; ts <= 5; ++ts) {
            writer.add(candle("ETH-USDT", ts, 10));
        }
        writer.flush();
    }
    {
        CandleWriter writer(store, 2);
        for (int ts = 1; ts <= 5; ++ts) {
            CandleRow row = candle("ETH-USDT", ts, 20);
            row.vol = 7.25;
            row.source = "rest";
            row.vol_quote = std::nullopt;
            writer.add(row);
        }
        writer.flush();
        EXPECT_EQ(writer.written(), 5);
    }
    EXPECT_EQ(store.count_candles(), 5);
    Statement row = store.prepare("SELECT o, h, l, c, vol, vol_quote, source FROM candles WHERE "
                                  "inst = 'ETH-USDT' AND ts = 3");
    ASSERT_TRUE(row.step());
    EXPECT_EQ(row.column_double(0), 20);
    EXPECT_EQ(row.column_double(1), 21);
    EXPECT_EQ(row.column_double(2), 19);
    EXPECT_EQ(row.column_double(3), 20.5);
    EXPECT_EQ(row.column_double(4), 7.25);
    EXPECT_TRUE(row.column_is_null(5));
    EXPECT_EQ(row.column_text(6), "rest");
}

TEST_F(StoreTest, DestructorWithoutFlushRollsBackPendingRows) {
    Store store(db_path());
    {
        CandleWriter writer(store, 100);
        writer.add(candle("BTC-USDT", 1));
        writer.add(candle("BTC-USDT", 2));
        writer.flush();
        writer.add(candle("BTC-USDT", 3));
        writer.add(candle("BTC-USDT", 4));
        writer.add(candle("BTC-USDT", 5));
    }
    EXPECT_FALSE(store.in_transaction());
    EXPECT_EQ(store.count_candles(), 2);
    Store other(db_path());
    EXPECT_EQ(other.count_candles(), 2);
    // The store is usable by a new writer afterwards.
    CandleWriter writer(store, 100);
    writer.add(candle("BTC-USDT", 3));
    writer.flush();
    EXPECT_EQ(other.count_candles(), 3);
}

TEST_F(StoreTest, VolQuoteNullRoundTripsAndDiffersFromZero) {
    Store store(db_path());
    CandleWriter writer(store);
    CandleRow none = candle("BTC-USDT", 1);
    none.vol_quote = std::nullopt;
    CandleRow zero = candle("BTC-USDT", 2);
    zero.vol_quote = 0.0;
    CandleRow value = candle("BTC-USDT", 3);
    value.vol_quote = 0.1 + 0.2; // exact double round trip
    writer.add(none);
    writer.add(zero);
    writer.add(value);
    writer.flush();
    Statement rows = store.prepare("SELECT ts, vol_quote FROM candles ORDER BY ts");
    ASSERT_TRUE(rows.step());
    EXPECT_TRUE(rows.column_is_null(1));
    ASSERT_TRUE(rows.step());
    EXPECT_FALSE(rows.column_is_null(1));
    EXPECT_EQ(rows.column_double(1), 0.0);
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.column_double(1), 0.1 + 0.2);
    EXPECT_FALSE(rows.step());
}

TEST_F(StoreTest, EmptyStringIsStoredAsEmptyNotNull) {
    Store store(db_path());
    CandleWriter writer(store);
    CandleRow row = candle("BTC-USDT", 1);
    row.source.clear();
    row.bar = std::string();
    writer.add(row); // source and bar are NOT NULL: binding NULL would throw here
    writer.flush();
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM candles WHERE source = '' AND bar = ''"), 1);

    // A default string_view has a null data(): it must still mean "", not NULL.
    store.begin_run("r", "t", 1, std::string_view{});
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM runs WHERE detail = ''"), 1);
    Statement stmt = store.prepare("SELECT ?1");
    stmt.bind(1, std::string_view{});
    ASSERT_TRUE(stmt.step());
    EXPECT_FALSE(stmt.column_is_null(0));
    EXPECT_EQ(stmt.column_text(0), "");
}

TEST_F(StoreTest, ARefusedRowKeepsTheOthersOfItsBatchAndLeavesNoStrayTransaction) {
    Store store(db_path());
    {
        CandleWriter writer(store, 100);
        CandleRow bad = candle("BTC-USDT", 9);
        bad.o = std::nan(""); // SQLite stores NaN as NULL, which o's NOT NULL refuses
        writer.add(candle("BTC-USDT", 1));
        writer.add(bad);
        writer.add(candle("BTC-USDT", 2));
        const std::string msg = runtime_error_of([&] { writer.flush(); });
        EXPECT_TRUE(contains(msg, "NOT NULL constraint failed")) << msg;
        EXPECT_FALSE(store.in_transaction());
        EXPECT_EQ(writer.written(), 2);
        writer.add(candle("BTC-USDT", 3));
        writer.flush();
        EXPECT_EQ(writer.written(), 3);
    }
    EXPECT_EQ(store.count_candles(), 3);
}

TEST_F(StoreTest, PendingRowsHoldNoLockSoAnotherProcessOfThePipelineCanWrite) {
    // okx-stream --store S | predict --store S: okx-stream may block on the pipe with rows
    // pending while predict records its run. A write transaction held across that wait was a
    // deadlock that ended in "database is locked" after the busy timeout.
    Store store(db_path());
    Store::Options quick;
    quick.busy_timeout_ms = 50;
    Store other(db_path(), quick);
    CandleWriter writer(store, 1000);
    for (int i = 0; i < 10; ++i) {
        writer.add(candle("BTC-USDT", i));
    }
    EXPECT_NO_THROW(other.exec("BEGIN IMMEDIATE; COMMIT;"));
    writer.flush();
    EXPECT_EQ(other.count_candles(), 10);
}

TEST_F(StoreTest, CountCandlesFiltersByInstAndBar) {
    Store store(db_path());
    CandleWriter writer(store);
    writer.add(candle("BTC-USDT", 1));
    writer.add(candle("BTC-USDT", 2));
    CandleRow hour = candle("BTC-USDT", 1);
    hour.bar = "1H";
    writer.add(hour);
    writer.add(candle("ETH-USDT", 1));
    writer.flush();
    EXPECT_EQ(store.count_candles(), 4);
    EXPECT_EQ(store.count_candles("BTC-USDT"), 3);
    EXPECT_EQ(store.count_candles("BTC-USDT", "1m"), 2);
    EXPECT_EQ(store.count_candles("", "1m"), 3);
    EXPECT_EQ(store.count_candles({}, "1H"), 1);
    EXPECT_EQ(store.count_candles("SOL-USDT"), 0);
}

// --- concurrency -------------------------------------------------------------------------

constexpr int kConcurrentRows = 20000;
constexpr std::size_t kConcurrentBatch = 500;

void write_many(const std::string& path, const std::string& inst) {
    Store store(path);
    CandleWriter writer(store, kConcurrentBatch);
    CandleRow row = candle(inst, 0);
    for (int i = 0; i < kConcurrentRows; ++i) {
        row.ts = 1700000000000 + std::int64_t{i} * 60000;
        row.c = 100 + i;
        writer.add(row);
    }
    writer.flush();
}

TEST_F(StoreTest, TwoThreadsWithTheirOwnStoreWriteConcurrently) {
    const std::string path = db_path(); // not created yet: both threads race to migrate
    std::latch start(2);
    std::vector<std::string> errors(2);
    std::vector<std::thread> threads;
    threads.reserve(2);
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            try {
                write_many(path, t == 0 ? "BTC-USDT" : "ETH-USDT");
            } catch (const std::exception& e) {
                errors[t] = e.what();
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    Store store(path);
    EXPECT_EQ(store.count_candles(), 2 * kConcurrentRows);
    EXPECT_EQ(store.count_candles("BTC-USDT"), kConcurrentRows);
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM schema_version"), kSchemaVersion);
}

TEST_F(StoreTest, TwoProcessesWriteConcurrently) {
    const std::string path = db_path(); // not created yet: both children race to migrate
    std::array<int, 2> gate{};
    ASSERT_EQ(pipe(gate.data()), 0);
    std::vector<pid_t> children;
    for (int c = 0; c < 2; ++c) {
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(gate[1]);
            char byte = 0;
            // Blocks until the parent closes its end, so both children start together.
            while (read(gate[0], &byte, 1) > 0) {
            }
            int status = 0;
            try {
                write_many(path, c == 0 ? "BTC-USDT" : "ETH-USDT");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "child %d: %s\n", c, e.what());
                status = 1;
            }
            _exit(status);
        }
        children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0);
    }
    Store store(path);
    EXPECT_EQ(store.count_candles(), 2 * kConcurrentRows);
    EXPECT_EQ(store.count_candles("ETH-USDT"), kConcurrentRows);
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM schema_version"), kSchemaVersion);
}

// --- Statement ---------------------------------------------------------------------------

TEST_F(StoreTest, BadSqlThrowsWithSqliteMessageAndTheSql) {
    Store store(db_path());
    const std::string msg = runtime_error_of([&] { store.prepare("SELEC 1"); });
    EXPECT_TRUE(contains(msg, "syntax error")) << msg;
    EXPECT_TRUE(contains(msg, "SELEC 1")) << msg;
    const std::string table = runtime_error_of([&] { store.prepare("SELECT * FROM nope"); });
    EXPECT_TRUE(contains(table, "no such table: nope")) << table;
    const std::string exec = runtime_error_of([&] { store.exec("CREATE TABLEX t(a)"); });
    EXPECT_TRUE(contains(exec, "syntax error")) << exec;
}

TEST_F(StoreTest, StepErrorThrowsAndStatementCanRunAgain) {
    Store store(db_path());
    store.exec("CREATE TABLE t(a INTEGER NOT NULL UNIQUE)");
    Statement insert = store.prepare("INSERT INTO t(a) VALUES(?1)");
    insert.bind(1, std::int64_t{1}).exec();
    insert.bind(1, std::int64_t{1});
    const std::string msg = runtime_error_of([&] { insert.exec(); });
    EXPECT_TRUE(contains(msg, "UNIQUE constraint failed")) << msg;
    EXPECT_TRUE(contains(msg, "INSERT INTO t")) << msg;
    insert.bind(1, std::int64_t{2}).exec();
    insert.bind(1, 2.5).exec();
    insert.bind(1, "text").exec();
    EXPECT_EQ(query_int(store, "SELECT count(*) FROM t"), 4);
    const std::string null_msg = runtime_error_of([&] { insert.bind_null(1).exec(); });
    EXPECT_TRUE(contains(null_msg, "NOT NULL constraint failed")) << null_msg;
}

TEST_F(StoreTest, ResetClearsBindings) {
    Store store(db_path());
    Statement stmt = store.prepare("SELECT ?1");
    stmt.bind(1, std::int64_t{5});
    ASSERT_TRUE(stmt.step());
    EXPECT_EQ(stmt.column_int(0), 5);
    stmt.reset();
    ASSERT_TRUE(stmt.step());
    EXPECT_TRUE(stmt.column_is_null(0));
}

TEST_F(StoreTest, BindOutOfRangeThrows) {
    Store store(db_path());
    Statement stmt = store.prepare("SELECT ?1");
    const std::string msg = runtime_error_of([&] { stmt.bind(2, std::int64_t{1}); });
    EXPECT_TRUE(contains(msg, "parameter 2")) << msg;
}

TEST_F(StoreTest, PrepareRefusesSeveralStatementsAndEmptySql) {
    Store store(db_path());
    const std::string msg = runtime_error_of([&] { store.prepare("SELECT 1; SELECT 2"); });
    EXPECT_TRUE(contains(msg, "more than one statement")) << msg;
    EXPECT_FALSE(runtime_error_of([&] { store.prepare("  -- nothing\n"); }).empty());
    // A trailing semicolon, blanks or comment are fine.
    Statement ok = store.prepare("SELECT 1; -- done\n");
    ASSERT_TRUE(ok.step());
    EXPECT_EQ(ok.column_int(0), 1);
}

TEST_F(StoreTest, MoveLeavesTheSourceEmpty) {
    Store store(db_path());
    Statement first = store.prepare("SELECT 7");
    Statement second(std::move(first));
    ASSERT_TRUE(second.step());
    EXPECT_EQ(second.column_int(0), 7);
    // NOLINTNEXTLINE(bugprone-use-after-move): checking what a moved-from statement does
    EXPECT_FALSE(runtime_error_of([&] { first.step(); }).empty());

    Statement third = store.prepare("SELECT 8");
    third = std::move(second);
    second.reset(); // NOLINT(bugprone-use-after-move): harmless on an empty statement
    third.reset();
    ASSERT_TRUE(third.step());
    EXPECT_EQ(third.column_int(0), 7);
    EXPECT_FALSE(runtime_error_of([&] { second.step(); }).empty());
}

// --- default path ------------------------------------------------------------------------

class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value != nullptr) {
            setenv(name, value, 1);
        } else {
            unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            setenv(name_, old_->c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(DefaultStorePath, UsesXdgDataHomeWhenSet) {
    ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(default_store_path(), "/data/xdg/okxkit/store.db");
}

TEST(DefaultStorePath, FallsBackToHomeWhenXdgEmptyOrUnset) {
    ScopedEnv home("HOME", "/home/someone");
    {
        ScopedEnv xdg("XDG_DATA_HOME", "");
        EXPECT_EQ(default_store_path(), "/home/someone/.local/share/okxkit/store.db");
    }
    {
        ScopedEnv xdg("XDG_DATA_HOME", nullptr);
        EXPECT_EQ(default_store_path(), "/home/someone/.local/share/okxkit/store.db");
    }
}

TEST(DefaultStorePath, IgnoresRelativeXdgDataHome) {
    ScopedEnv xdg("XDG_DATA_HOME", "relative/dir");
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(default_store_path(), "/home/someone/.local/share/okxkit/store.db");
}

} // namespace
} // namespace okxkit::store
