// The order state machine.
#include "exec/order.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace okxkit::exec {

namespace {

constexpr double kTolerance = 1e-9;

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::logic_error(std::string("order state machine: ") + what);
    }
}

} // namespace

bool is_terminal(core::OrderState s) {
    return s == core::OrderState::kFilled || s == core::OrderState::kCanceled ||
           s == core::OrderState::kRejected;
}

void apply_fill(OrderProgress& o, double px, double sz) {
    require(!is_terminal(o.state), "a fill on a terminal order");
    require(px > 0 && std::isfinite(px), "a fill price not above 0");
    require(sz > 0 && std::isfinite(sz), "a fill size not above 0");
    const double rest = o.remaining();
    require(sz <= rest + kTolerance * o.sz, "a fill larger than the remaining size");
    const double filled = o.filled_sz + sz;
    o.avg_px = (o.avg_px * o.filled_sz + px * sz) / filled;
    o.filled_sz = filled;
    if (o.sz - filled <= kTolerance * o.sz) {
        o.filled_sz = o.sz;
        o.state = core::OrderState::kFilled;
    } else {
        o.state = core::OrderState::kPartiallyFilled;
    }
}

bool apply_cancel(OrderProgress& o) {
    if (is_terminal(o.state)) {
        return false;
    }
    o.state = core::OrderState::kCanceled;
    return true;
}

void apply_reject(OrderProgress& o) {
    require(o.state == core::OrderState::kLive && o.filled_sz == 0,
            "a reject after the order filled or ended");
    o.state = core::OrderState::kRejected;
}

void resize(OrderProgress& o, double sz) {
    require(!is_terminal(o.state), "resizing a terminal order");
    require(sz >= 0 && std::isfinite(sz), "a size below 0");
    o.sz = sz;
    if (o.filled_sz > 0 && o.sz - o.filled_sz <= kTolerance * o.sz) {
        o.filled_sz = o.sz;
        o.state = core::OrderState::kFilled;
    }
}

void grow(OrderProgress& o, double by) {
    require(!is_terminal(o.state), "growing a terminal order");
    require(by > 0 && std::isfinite(by), "growing by a size not above 0");
    o.sz += by;
}

} // namespace okxkit::exec
