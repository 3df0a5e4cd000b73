// An order's life as OKX reports it, apart from any exchange: the paper exchange drives it
// from market data, and the live broker will drive it from OKX's pushes. Nothing here touches
// the network or the clock.
#pragma once

#include "core/trading.hpp"

namespace okxkit::exec {

// An order's progress: its size, state, filled size and average fill price. The moves are
// OKX's: live -> partially_filled -> filled; live or partially_filled -> canceled; live with
// nothing filled -> rejected. filled, canceled and rejected are terminal.
struct OrderProgress {
    double sz = 0;
    core::OrderState state = core::OrderState::kLive;
    double filled_sz = 0;
    double avg_px = 0; // 0 until the first fill
    [[nodiscard]] double remaining() const { return sz - filled_sz; }
};

[[nodiscard]] bool is_terminal(core::OrderState s);

// A fill of sz at px: partially_filled, or filled once the remaining size is within a
// relative 1e-9 of zero (then filled_sz is set to sz exactly). Throws std::logic_error for a
// move OKX never makes: a terminal order, sz or px not above 0, or more than the remaining
// size beyond that tolerance.
void apply_fill(OrderProgress& o, double px, double sz);

// Cancels a live or partially filled order and returns true; a terminal order stays as it is
// and false is returned (OKX answers 51400 then: already filled or canceled).
bool apply_cancel(OrderProgress& o);

// Rejects an order that has not filled at all. Throws std::logic_error otherwise.
void apply_reject(OrderProgress& o);

// Sets a working order's size (OKX's amend, newSz): a stop that protects what is left of a
// position follows it. A size at or below the filled size fills the order. Throws
// std::logic_error on a terminal order or a size below 0.
void resize(OrderProgress& o, double sz);

// Grows a working order (a bracket's child sized by what its entry filled). Throws
// std::logic_error on a terminal order or a size not above 0.
void grow(OrderProgress& o, double by);

} // namespace okxkit::exec
