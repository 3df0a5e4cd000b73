// okx-stream history mode: windows of candles per instrument, merged and written in order.
#include "stream/history.hpp"

#include "stream/tape_header.hpp"

#include "core/bar.hpp"
#include "core/error.hpp"
#include "core/json_out.hpp"
#include "core/json_scan.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/progress.hpp"
#include "core/signals.hpp"
#include "core/timeutil.hpp"
#include "okx/candles.hpp"
#include "okx/instruments.hpp"
#include "okx/tape.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>

namespace okxkit::stream {

namespace {

double to_double(const std::string& s) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() ? v : std::nan("");
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Pending {
    std::size_t pair; // index into the instrument list
    okx::RestCandle candle;
};

} // namespace

HistoryOptions history_options_from_tape(const nlohmann::json& header, const std::string& where) {
    const TapeHeader t(header, where);
    HistoryOptions h;
    h.insts = t.texts("symbols", 64);
    h.bar = t.text("bar", 8);
    h.rest.base_url = t.text_or("rest_url", okx::kProductionRestUrl, 512);
    h.since = t.integer("since");
    h.backfill = t.integer("backfill");
    h.until = t.integer("until");
    return h;
}

int history(const HistoryOptions& opts, core::Output& out, HistoryStats* stats_out) {
    auto bar = core::parse_bar(opts.bar);
    if (!bar || bar->name != opts.bar) {
        throw core::UsageError("--bar: " + core::excerpt(opts.bar) + " is not an OKX bar name (" +
                               core::bar_names() + ")");
    }
    okx::RestOptions rest = opts.rest;
    if (!opts.record_path.empty()) {
        rest.record = std::make_shared<okx::TapeWriter>(opts.record_path);
        nlohmann::json args = {
            {"symbols", opts.insts}, {"bar", opts.bar}, {"rest_url", opts.rest.base_url}};
        if (opts.since) {
            args["since"] = *opts.since;
        }
        if (opts.backfill) {
            args["backfill"] = *opts.backfill;
        }
        if (opts.until) {
            args["until"] = *opts.until;
        }
        rest.record->header(wall_ms(), "history", args);
    }
    okx::RestClient client(rest);
    const std::int64_t now = okx::server_time_ms(client);
    // --backfill D means the bars of the last D: start at the bar holding now - D.
    std::int64_t since =
        opts.since ? *opts.since : (now - opts.backfill.value_or(0)) / bar->ms * bar->ms;
    std::int64_t until = std::min(opts.until.value_or(now), now - bar->ms + 1);
    if (since >= until) {
        throw core::UsageError("nothing to fetch: the range " + core::format_iso_ms(since) +
                               " .. " + core::format_iso_ms(until) + " holds no closed " +
                               std::string(bar->name) + " bar");
    }
    core::Log::note("fetching " + std::string(bar->name) + " candles of " +
                    std::to_string(opts.insts.size()) + " instrument(s) from " +
                    core::format_iso_ms(since) + " to " + core::format_iso_ms(until));

    std::unique_ptr<store::CandleRun> sink;
    if (!opts.store_path.empty()) {
        sink = std::make_unique<store::CandleRun>(opts.store_path, opts.run_id, "okx-stream",
                                                  "history " + opts.rest.base_url);
    }

    // Check the symbols against OKX's list (and keep the list in the store).
    okx::InstrumentListSink keep;
    if (sink) {
        keep = [&](std::string_view type, const std::vector<core::InstrumentInfo>& rows) {
            store::save_instruments(sink->store(), type, rows, now);
        };
    }
    try {
        okx::verify_symbols(client, opts.insts, keep);
    } catch (const core::Error& e) {
        if (sink) {
            sink->abandon(core::exit_status(e.code())); // the run row says why it ended
        }
        throw;
    }

    // Sorted instrument order gives the replay tie-break (time, then instrument).
    std::vector<std::string> insts = opts.insts;
    std::sort(insts.begin(), insts.end());
    insts.erase(std::unique(insts.begin(), insts.end()), insts.end());
    std::vector<okx::CandlePager> pagers;
    pagers.reserve(insts.size());
    for (const auto& inst : insts) {
        pagers.emplace_back(client, inst, *bar, now);
    }
    std::vector<std::int64_t> last(insts.size(), -1);

    HistoryStats stats;
    int code = 0;
    store::CandleRow row;
    std::string& buf = out.buffer();
    const std::int64_t window = 300 * bar->ms;
    std::vector<Pending> batch;
    // Progress in bars asked for (display only: a terminal, or -v).
    const auto bars_in = [&](std::int64_t a, std::int64_t b) {
        return static_cast<std::uint64_t>((b - a + bar->ms - 1) / bar->ms);
    };
    core::Progress progress("history", core::Progress::Unit::kCount, "bars",
                            bars_in(since, until) * pagers.size());
    std::uint64_t bars_asked = 0;
    const auto started = std::chrono::steady_clock::now();
    try {
        for (std::int64_t lo = since; lo < until; lo += window) {
            const std::int64_t hi = std::min(until, lo + window);
            batch.clear();
            for (std::size_t i = 0; i < pagers.size(); ++i) {
                for (auto& k : pagers[i].fetch(lo, hi)) {
                    batch.push_back({i, std::move(k)});
                }
                bars_asked += bars_in(lo, hi);
                progress.update(bars_asked);
            }
            std::stable_sort(batch.begin(), batch.end(), [](const Pending& a, const Pending& b) {
                return a.candle.ts != b.candle.ts ? a.candle.ts < b.candle.ts : a.pair < b.pair;
            });
            for (const Pending& p : batch) {
                const okx::RestCandle& k = p.candle;
                const std::string& inst = insts[p.pair];
                double o = to_double(k.o), h = to_double(k.h), l = to_double(k.l),
                       c = to_double(k.c), vol = to_double(k.vol), vq = to_double(k.vol_quote);
                if (auto err = core::check_ohlcv(o, h, l, c, vol)) {
                    core::Log::warning("okx sent a bad " + inst + " " + std::string(bar->name) +
                                       " candle at " + core::format_iso_ms(k.ts) + ": " + *err +
                                       "; skipped");
                    continue;
                }
                std::int64_t& prev = last[p.pair];
                if (prev >= 0 && k.ts > prev + bar->ms) {
                    buf += R"({"type":"gap","v":1,"ts":)";
                    core::append_int(buf, prev + bar->ms);
                    buf += R"(,"inst":")" + inst + R"(","bar":")" + std::string(bar->name) +
                           R"(","from":)";
                    core::append_int(buf, prev);
                    buf += R"(,"to":)";
                    core::append_int(buf, k.ts);
                    buf += R"(,"cause":"missing"})";
                    out.end_line();
                    ++stats.gaps;
                }
                prev = k.ts;
                core::Candle msg{k.ts,
                                 inst,
                                 bar->name,
                                 o,
                                 h,
                                 l,
                                 c,
                                 vol,
                                 std::nullopt,
                                 true,
                                 {k.o, k.h, k.l, k.c, k.vol}};
                if (std::isfinite(vq)) {
                    msg.vol_quote = vq;
                }
                core::append_candle(buf, msg);
                out.end_line();
                ++stats.candles;
                if (sink) {
                    row.inst = inst;
                    row.bar.assign(bar->name);
                    row.ts = k.ts;
                    row.o = o;
                    row.h = h;
                    row.l = l;
                    row.c = c;
                    row.vol = vol;
                    row.vol_quote = msg.vol_quote;
                    row.source = "okx:rest";
                    sink->add(row);
                }
            }
            if (core::interrupted()) {
                break;
            }
        }
    } catch (const core::BrokenPipe&) {
        if (sink) {
            sink->close("broken-pipe", static_cast<std::int64_t>(stats.candles));
        }
        throw;
    } catch (const core::Error& e) {
        if (e.code() != core::Exit::kInterrupted && e.code() != core::Exit::kTerminated) {
            out.flush();
            if (sink) {
                sink->close(store::RunRecord::status_of(core::exit_status(e.code())),
                            static_cast<std::int64_t>(stats.candles));
            }
            throw;
        }
    }
    if (core::interrupted()) {
        code = core::exit_status(core::interrupt_exit());
    }
    out.flush();
    if (sink) {
        sink->close(code == 0 ? "ok" : "interrupted", static_cast<std::int64_t>(stats.candles));
    }
    stats.requests = client.requests();
    progress.finish(
        "fetched " + std::to_string(stats.candles) + " candles with " +
        std::to_string(stats.requests) + " requests in " +
        core::Progress::duration_text(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()) +
        "; " + std::to_string(stats.gaps) + " gap(s)");
    if (stats_out != nullptr) {
        *stats_out = stats;
    }
    return code;
}

} // namespace okxkit::stream
