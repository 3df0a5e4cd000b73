// Schema v2: the instrument list and health events in the store, and symbol checks.
#include "core/error.hpp"
#include "okx/instruments.hpp"
#include "store/store.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace fs = std::filesystem;
using InstrumentRow = okxkit::core::InstrumentInfo;

namespace {

fs::path temp_store(const char* name) {
    fs::path p = fs::temp_directory_path() /
                 ("okxkit-v2-" + std::to_string(::getpid()) + "-" + name + ".db");
    fs::remove(p);
    return p;
}

InstrumentRow spot(std::string inst, std::string state = "live") {
    std::string base = inst.substr(0, inst.find('-'));
    std::string quote = inst.substr(inst.find('-') + 1);
    return {std::move(inst), "SPOT", base, quote, "0.1", "0.00000001", "0.00001", std::move(state)};
}

} // namespace

TEST(StoreInstruments, SaveReplacesTheListOfOneType) {
    fs::path p = temp_store("save");
    {
        okxkit::store::Store db(p.string());
        EXPECT_GE(db.schema_version(), 2);
        okxkit::store::save_instruments(db, "SPOT", {spot("BTC-USDT"), spot("ETH-USDT")}, 1);
        okxkit::store::save_instruments(
            db, "SWAP", {{"BTC-USDT-SWAP", "SWAP", "", "", "0.1", "0.01", "0.01", "live"}}, 1);
        okxkit::store::save_instruments(db, "SPOT", {spot("ETH-USDT"), spot("XRP-USDT")}, 2);
        auto rows = okxkit::store::load_instruments(db);
        ASSERT_EQ(rows.size(), 3u);
        EXPECT_EQ(rows[0].inst, "BTC-USDT-SWAP");
        EXPECT_EQ(rows[1].inst, "ETH-USDT");
        EXPECT_EQ(rows[2].inst, "XRP-USDT");
        EXPECT_EQ(rows[1].tick_sz, "0.1");
        EXPECT_EQ(rows[1].lot_sz, "0.00000001");
    }
    fs::remove(p);
}

TEST(StoreInstruments, HealthEventsKeepNullsApart) {
    fs::path p = temp_store("health");
    {
        okxkit::store::Store db(p.string());
        okxkit::store::add_health(db, {10, "r", "ws", "connect", "", std::nullopt, "up"});
        okxkit::store::add_health(db, {20, "r", "ws", "latency", "BTC-USDT", 1.5, ""});
        auto q =
            db.prepare("SELECT ts, inst IS NULL, value IS NULL, detail FROM health ORDER BY ts");
        ASSERT_TRUE(q.step());
        EXPECT_EQ(q.column_int(1), 1);
        EXPECT_EQ(q.column_int(2), 1);
        EXPECT_EQ(q.column_text(3), "up");
        ASSERT_TRUE(q.step());
        EXPECT_EQ(q.column_int(1), 0);
        EXPECT_EQ(q.column_int(2), 0);
    }
    fs::remove(p);
}

TEST(OkxInstruments, TypeOfAnInstrumentId) {
    EXPECT_EQ(okxkit::okx::inst_type_of("BTC-USDT"), "SPOT");
    EXPECT_EQ(okxkit::okx::inst_type_of("BTC-USDT-SWAP"), "SWAP");
    EXPECT_EQ(okxkit::okx::inst_type_of("BTC-USD-250328"), "FUTURES");
    EXPECT_EQ(okxkit::okx::inst_type_of("BTC-USD-250328-100000-C"), "OPTION");
}

TEST(OkxInstruments, SymbolsMustBeListedAndLive) {
    std::vector<InstrumentRow> list = {spot("BTC-USDT"), spot("LUNA-USDT", "suspend")};
    EXPECT_NO_THROW(okxkit::okx::check_symbols({"BTC-USDT"}, list));
    try {
        okxkit::okx::check_symbols({"BTC-USDT", "BTC-USDC"}, list);
        FAIL() << "BTC-USDC accepted";
    } catch (const okxkit::core::UsageError& e) {
        EXPECT_STREQ(e.what(), "BTC-USDC is not an OKX instrument (OKX lists BTC-USDT)");
    }
    EXPECT_THROW(okxkit::okx::check_symbols({"LUNA-USDT"}, list), okxkit::core::UsageError);
}
