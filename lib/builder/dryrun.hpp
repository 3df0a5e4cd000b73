// okx-builder's live dry run: a saved strategy file run on OKX's public candles as they close,
// through select-strategy --explain, with nothing after it: no risk-guard, no execute, no order.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::builder {

struct DryRunSpec {
    std::filesystem::path tools;   // the folder of okx-stream and select-strategy
    std::filesystem::path work;    // a folder of its own: config/, strategy.toml, store.db
    std::string strategy;          // the saved file's bytes
    std::string inst = "BTC-USDT"; // one instrument
    std::string bar = "1m";        // its bar
    long long warm_bars = 0;       // closed candles fetched from REST before the live ones
    std::string rest_url;          // OKX's REST (empty: the tools' default)
    std::string ws_business_url;   // OKX's business WebSocket, the candles (empty: default)
    std::vector<std::string> env;  // the children's environment (child_environment)
};

// The three commands of a dry run, as argv (absolute paths, no shell): the live stream, the
// backfill of the candles before its first one (its --since and --until filled in once that
// candle is known: FIRST is replaced), and select-strategy.
std::vector<std::vector<std::string>> dry_run_commands(const DryRunSpec& spec,
                                                       long long first_ts = -1);

// Sends one server-sent event (event name, data: one line of JSON); false when the page has
// gone. An empty event name is a comment (a keep-alive).
using EmitFn = std::function<bool(std::string_view event, std::string_view data)>;

// Runs a dry run until the page goes (emit returns false), a child ends, or okx-builder stops:
//   1. okx-stream --channels candle<BAR> --symbols INST --partial: its first candle line gives
//      the time F of the live stream's first bar; its lines wait meanwhile;
//   2. okx-stream --since F - warm_bars bars --until F: the closed candles before it, from REST,
//      written straight into select-strategy's input; then the waiting live lines follow, so
//      the strategy sees every bar once, in order, warm when the live ones come;
//   3. select-strategy --strategies strategy.toml --bar BAR --explain --log-json.
// Events: "start" {"inst","bar","warm_bars","command"}, "candle" (each closed candle
// select-strategy passed on), "explain" (its per-candle line: holds, fires, assigned),
// "evaluation" (its decision path at each evaluation of the assignment),
// "signal" and "intent" (what it wrote: the intents are what would have been sent), "log"
// (a diagnostic of a child), "end" {"why"}. Children: a process group of their own, the
// environment of spec.env, killed when this returns. Never throws.
void dry_run(const DryRunSpec& spec, const EmitFn& emit);

} // namespace okxkit::builder
