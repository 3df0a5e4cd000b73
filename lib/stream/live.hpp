// Live mode of okx-stream: the network loop around LiveSession (OKX WebSocket and REST), and
// the replay of what it recorded.
#pragma once

#include "core/io.hpp"
#include "okx/rest.hpp"
#include "okx/tape.hpp"
#include "stream/session.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::stream {

struct LiveOptions {
    std::vector<std::string> insts;    // normalised instIds
    std::vector<ChannelSpec> channels; // at least one
    std::string ws_public_url;
    std::string ws_business_url;
    okx::RestOptions rest;
    SessionOptions session;
    std::int64_t ping_after_ms = 25000;
    std::int64_t pong_timeout_ms = 5000;
    std::string store_path; // empty: do not store
    std::string run_id = "default";
    std::string record_path; // empty: no tape
};

// Streams the channels of every instrument from OKX until SIGINT/SIGTERM (or options.until):
// checks the symbols against OKX's instrument list, connects to the public and/or business
// endpoint as the channels need, and runs a LiveSession on the frames, backfilling holes from
// REST. Lines are flushed before every wait for the network. Returns 0 (until reached) or
// the interrupt exit code. Throws core::UsageError when OKX refuses a subscription, OkxError
// (exit 5) when OKX cannot be reached, core::BrokenPipe when stdout's reader left.
int live(const LiveOptions& options, core::Output& out);

// The options a live tape's header recorded (see live and okx::TapeWriter::header).
// Throws core::UsageError when the header lacks them.
LiveOptions live_options_from_tape(const nlohmann::json& header,
                                   const std::string& where = "tape header");

// Replays a tape recorded by a live run (--record): the same session is fed the recorded
// frames and connection events with their receive times, and REST answers come from the tape,
// so the output is byte-identical to what the live run wrote. Returns like live().
int live_replay(const std::shared_ptr<okx::TapeReader>& tape, const std::string& store_path,
                const std::string& run_id, core::Output& out);

// Replays any tape okx-stream recorded: live_replay for a live tape, history() fed from the
// tape for a history one. Throws core::UsageError naming the tape, the header line and what
// was expected when the header does not say how to replay it.
int replay_tape(const std::shared_ptr<okx::TapeReader>& tape, const std::string& store_path,
                const std::string& run_id, core::Output& out);

} // namespace okxkit::stream
