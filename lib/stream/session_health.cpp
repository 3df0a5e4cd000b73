// LiveSession's health reporting: malformed frames, health events, latency summaries.
#include "stream/session_impl.hpp"

#include "core/json_scan.hpp"

#include "core/json_out.hpp"
#include "core/log.hpp"

#include <algorithm>

namespace okxkit::stream {

double detail::percentile(std::vector<std::int64_t>& v, double q) {
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
}

void LiveSession::Impl::report(std::size_t ep, std::string_view why, std::string_view text,
                               std::int64_t ts) {
    ++stats.malformed;
    core::Log::warning(endpoints[ep].url + ": malformed frame skipped (" + std::string(why) +
                       "): " + core::excerpt(text, 120));
    health(ts, endpoints[ep].component, "error", {}, std::nullopt,
           "malformed frame: " + std::string(why));
}

void LiveSession::Impl::health(std::int64_t ts, std::string_view component, std::string_view event,
                               std::string_view inst, std::optional<double> value,
                               const std::string& text) {
    // Text that came from the wire (a frame's instrument, a level's price) is made valid
    // UTF-8 before it reaches a message or the store.
    const std::string detail = core::valid_utf8(text) ? text : core::replace_invalid_utf8(text);
    if (sink != nullptr) {
        store::add_health(sink->store(), {ts, run_id, std::string(component), std::string(event),
                                          std::string(inst), value, detail});
    }
    if (!options.health_out) {
        return;
    }
    std::string& buf = out.buffer();
    buf += R"({"type":"health","v":1,"ts":)";
    core::append_int(buf, ts);
    if (!inst.empty()) {
        buf += R"(,"inst":)";
        core::append_json_string(buf, inst);
    }
    buf += R"(,"component":)";
    core::append_json_string(buf, component);
    buf += R"(,"event":)";
    core::append_json_string(buf, event);
    if (value) {
        buf += R"(,"value":)";
        core::append_double(buf, *value);
    }
    if (!detail.empty()) {
        buf += R"(,"detail":)";
        core::append_json_string(buf, detail);
    }
    buf += '}';
    out.end_line();
    ++stats.lines;
}

void LiveSession::Impl::latency(std::size_t ep, std::int64_t exchange_ts, std::int64_t recv_ts) {
    Endpoint& e = endpoints[ep];
    if (e.window_start == kNone) {
        e.window_start = recv_ts;
    } else if (recv_ts - e.window_start >= options.latency_every_ms) {
        summarise(ep, recv_ts);
        e.window_start = recv_ts;
    }
    e.latency.push_back(recv_ts - exchange_ts);
}

void LiveSession::Impl::summarise(std::size_t ep, std::int64_t ts) {
    Endpoint& e = endpoints[ep];
    if (e.latency.empty()) {
        return;
    }
    const std::size_t n = e.latency.size();
    const double p50 = detail::percentile(e.latency, 0.5);
    const double p99 = detail::percentile(e.latency, 0.99);
    const double max = static_cast<double>(*std::max_element(e.latency.begin(), e.latency.end()));
    std::string detail = "p99 ms of " + std::to_string(n) + " pushes; p50 " +
                         std::to_string(static_cast<std::int64_t>(p50)) + ", max " +
                         std::to_string(static_cast<std::int64_t>(max));
    health(ts, e.component, "latency", {}, p99, detail);
    e.latency.clear();
}

} // namespace okxkit::stream
