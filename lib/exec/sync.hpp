// The barrier between risk-guard and execute (okxkit(7), sync). risk-guard writes
// {"type":"sync","id":K} and flushes; execute, on reaching it, has handled every line before
// it and writes the account as it stands into the store (sync_points: run, K); risk-guard
// waits for that row and decides against it. Also the run's kill switch as the store keeps it
// (risk_events), for the tools that must refuse to start while it is on.
#pragma once

#include "core/trading.hpp"
#include "risk/risk.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okxkit::exec {

// A working entry order by its leg: what is left of it to fill.
struct LegOrder {
    std::string strategy;
    std::string inst;
    std::string leg;
    core::Side side = core::Side::kBuy;
    double left = 0; // base currency
    bool operator==(const LegOrder&) const = default;
};

// The account as execute holds it at a barrier.
struct AccountSnapshot {
    std::int64_t ts = 0; // event time of execute's latest candle (0: none yet)
    double cash = 0;
    double equity = 0;
    bool halted = false;
    std::string halt_code; // daily_loss or drawdown, when halted
    std::map<std::string, risk::InstView, std::less<>> insts;
    std::vector<LegOrder> legs; // in (strategy, inst, leg) order
};

// The account as one line of JSON (numbers in shortest round-trip form), and back. The reader
// throws core::RuntimeError on anything it cannot read.
std::string account_json(const AccountSnapshot& a);
AccountSnapshot account_from_json(std::string_view text);

// Forgets the run's barriers (risk-guard, at its start: barrier ids restart at 1 in each
// pipeline, so an id reached by an earlier pipeline must not count).
void clear_syncs(store::Store& s, std::string_view run);
// Records that execute reached barrier id at its input line, with the account (in the
// caller's transaction, if any).
void write_sync(store::Store& s, std::string_view run, std::int64_t id, std::uint64_t line,
                const AccountSnapshot& a);
// The account recorded at barrier id, once execute reached it.
std::optional<AccountSnapshot> read_sync(store::Store& s, std::string_view run, std::int64_t id);

// A file beside the store that belongs to one run: STORE-KIND-HASH, HASH a hash of the run's
// name (any name makes a valid file name), STORE made absolute.
std::string store_side_path(const std::string& store, std::string_view run, std::string_view kind);

// The barrier's fast lane: a FIFO beside the store (sync_fifo_path) through which execute
// hands risk-guard the account at each barrier, a pipe write instead of a store commit. The
// account is the same either way, and its row still goes to the store (with execute's next
// batch of rows). risk-guard makes the FIFO at its start and removes it at its end; execute
// uses it when it finds it, and else commits the row at once, as before.
//
// "STORE-sync-HASH": the store's canonical path, HASH 16 hex digits of the run id.
std::string sync_fifo_path(const std::string& store, std::string_view run);

// risk-guard's end. Each message is one line, "ID ACCOUNT-JSON".
class SyncFifoReader {
public:
    // Replaces what is at path (a FIFO an earlier run left) with a new FIFO and opens it.
    // When that fails (a file system without FIFOs), ok() is false and the store is the
    // only lane.
    explicit SyncFifoReader(std::string path);
    ~SyncFifoReader(); // closes and removes the FIFO
    SyncFifoReader(const SyncFifoReader&) = delete;
    SyncFifoReader& operator=(const SyncFifoReader&) = delete;

    [[nodiscard]] bool ok() const { return fd_ >= 0; }
    // The account of barrier id when it arrives within wait_ms (messages of other ids are
    // dropped); nothing when it did not, or on a signal.
    std::optional<std::string> wait(std::int64_t id, int wait_ms);

private:
    std::string path_;
    int fd_ = -1;
    int keep_ = -1; // a writer of our own: no end-of-file when execute closes, ever
    std::string buf_;
};

// execute's end.
class SyncFifoWriter {
public:
    explicit SyncFifoWriter(std::string path) : path_(std::move(path)) {}
    ~SyncFifoWriter();
    SyncFifoWriter(const SyncFifoWriter&) = delete;
    SyncFifoWriter& operator=(const SyncFifoWriter&) = delete;

    // Sends the account of barrier id; false when there is no FIFO with a reader at the path
    // (looked for once) or the write failed: the caller commits the row to the store instead.
    bool send(std::int64_t id, std::string_view account);

private:
    std::string path_;
    int fd_ = -1;
    bool tried_ = false;
};

// The run's kill switch as its latest halt or resume event in the store left it.
struct HaltRecord {
    std::int64_t ts = 0; // event time of the halt
    std::string code;    // daily_loss or drawdown
    std::string detail;
};
std::optional<HaltRecord> open_halt(store::Store& s, std::string_view run);
// The manual reset (risk-guard --reset-halt): a resume event with code "reset", at the halt's
// event time. Returns the halt it lifted, or nothing when the run was not halted.
std::optional<HaltRecord> reset_halt(store::Store& s, std::string_view run);
// Whether a halt still holds a tool that starts now: a drawdown halt always waits for a reset;
// a daily-loss halt waits only when resume is manual (with next_day it lifts in event time).
[[nodiscard]] bool holds_at_start(const HaltRecord& h, risk::Resume resume);
// The refusal a tool that may not start prints (exit 4), with the command that lifts it.
std::string halted_message(std::string_view tool, std::string_view store, std::string_view run,
                           const HaltRecord& h);

} // namespace okxkit::exec
