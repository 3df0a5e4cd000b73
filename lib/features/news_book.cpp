// The news features: items held back until public, decayed sentiment sums, trailing counts and
// the age of the latest item, per symbol and market-wide.
#include "features/news_book.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace okxkit::features {

namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;
constexpr double kNaNValue = std::numeric_limits<double>::quiet_NaN();

// 2^(-dt / h): the weight of an item dt ms old under half-life h ms. Differences are taken in
// double so that no int64 subtraction can overflow on odd timestamps.
double decay(std::int64_t later, std::int64_t earlier, double h) {
    return std::exp2(-(static_cast<double>(later) - static_cast<double>(earlier)) / h);
}

struct FamilyQuery {
    std::string_view family;
    NewsQuery::Kind kind;
    bool market;
};

constexpr FamilyQuery kFamilies[] = {
    {"news_sent", NewsQuery::Kind::kSent, false},
    {"news_sent_mean", NewsQuery::Kind::kSentMean, false},
    {"news_count", NewsQuery::Kind::kCount, false},
    {"news_age", NewsQuery::Kind::kAge, false},
    {"news_mkt_sent", NewsQuery::Kind::kSent, true},
    {"news_mkt_sent_mean", NewsQuery::Kind::kSentMean, true},
    {"news_mkt_count", NewsQuery::Kind::kCount, true},
    {"news_mkt_age", NewsQuery::Kind::kAge, true},
};

} // namespace

std::optional<NewsQuery> news_query(std::string_view family, std::span<const double> params) {
    for (const FamilyQuery& f : kFamilies) {
        if (f.family == family) {
            return NewsQuery{f.kind, f.market, params.empty() ? 0.0 : params[0]};
        }
    }
    return std::nullopt;
}

NewsBook::NewsBook(std::vector<NewsQuery> queries) : queries_(std::move(queries)) {
    double longest_window = 0;
    for (const NewsQuery& q : queries_) {
        std::size_t h = 0;
        if (q.kind == NewsQuery::Kind::kSent || q.kind == NewsQuery::Kind::kSentMean) {
            const double ms = q.hours * kMsPerHour;
            auto it = std::find(half_ms_.begin(), half_ms_.end(), ms);
            h = static_cast<std::size_t>(it - half_ms_.begin());
            if (it == half_ms_.end()) {
                half_ms_.push_back(ms);
            }
        } else if (q.kind == NewsQuery::Kind::kCount) {
            longest_window = std::max(longest_window, q.hours);
        }
        half_of_.push_back(h);
    }
    retention_ms_ = static_cast<std::int64_t>(std::ceil(longest_window * kMsPerHour)) + kBackfillMs;
    market_.sum.assign(half_ms_.size(), 0.0);
    market_.weight.assign(half_ms_.size(), 0.0);
    later_sum_.assign(half_ms_.size(), 0.0);
    later_weight_.assign(half_ms_.size(), 0.0);
}

void NewsBook::add(std::int64_t ts, std::span<const std::string> symbols, double sentiment) {
    Pending p{sentiment, {}};
    for (const std::string& s : symbols) {
        if (std::find(p.symbols.begin(), p.symbols.end(), s) == p.symbols.end()) {
            p.symbols.push_back(s);
        }
    }
    // A multimap keeps items of one ts in arrival order, so the order of the sums is fixed.
    pending_.emplace_hint(pending_.upper_bound(ts), ts, std::move(p));
}

NewsBook::Scope& NewsBook::scope(const std::string& name) {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) {
        it = symbols_.emplace(name, Scope{}).first;
        it->second.sum.assign(half_ms_.size(), 0.0);
        it->second.weight.assign(half_ms_.size(), 0.0);
    }
    return it->second;
}

void NewsBook::apply(Scope& sc, std::int64_t ts, double s) {
    const bool scored = !std::isnan(s);
    if (ts >= sc.at) {
        // Move the reference of the sums forward to ts, then add the item at full weight.
        for (std::size_t h = 0; h < half_ms_.size(); ++h) {
            const double f = sc.at == INT64_MIN ? 0.0 : decay(ts, sc.at, half_ms_[h]);
            sc.sum[h] = sc.sum[h] * f + (scored ? s : 0.0);
            sc.weight[h] = sc.weight[h] * f + (scored ? 1.0 : 0.0);
        }
        sc.at = ts;
        sc.recent.push_back(Entry{ts, s});
    } else {
        // An item older than the newest one of this scope (it came late): its weight now.
        if (scored) {
            for (std::size_t h = 0; h < half_ms_.size(); ++h) {
                const double f = decay(sc.at, ts, half_ms_[h]);
                sc.sum[h] += s * f;
                sc.weight[h] += f;
            }
        }
        auto pos = std::upper_bound(sc.recent.begin(), sc.recent.end(), ts,
                                    [](std::int64_t t, const Entry& e) { return t < e.ts; });
        sc.recent.insert(pos, Entry{ts, s});
    }
    if (scored) {
        sc.first_scored = std::min(sc.first_scored, ts);
    }
    const std::int64_t cut = latest_ - retention_ms_;
    while (!sc.recent.empty() && sc.recent.front().ts <= cut) {
        sc.pruned_last = std::max(sc.pruned_last, sc.recent.front().ts);
        sc.recent.pop_front();
    }
}

void NewsBook::values(std::string_view inst, std::int64_t close_ms, double* out) {
    if (latest_ != INT64_MIN &&
        static_cast<double>(close_ms) <
            static_cast<double>(latest_) - static_cast<double>(kBackfillMs)) {
        std::fill(out, out + queries_.size(), kNaNValue);
        return;
    }
    latest_ = std::max(latest_, close_ms);
    // Every item public by this close joins its scopes, in ts order.
    while (!pending_.empty() && pending_.begin()->first <= close_ms) {
        auto node = pending_.extract(pending_.begin());
        const std::int64_t ts = node.key();
        const Pending& p = node.mapped();
        apply(market_, ts, p.s);
        for (const std::string& sym : p.symbols) {
            apply(scope(sym), ts, p.s);
        }
    }
    auto it = symbols_.find(inst);
    const Scope* own = it == symbols_.end() ? nullptr : &it->second;
    evaluate(own, close_ms, out, false);
    evaluate(&market_, close_ms, out, true);
}

void NewsBook::evaluate(const Scope* sc, std::int64_t t, double* out, bool market) {
    // Items of the scope later than t (only when t goes back in time): left out of the sums.
    const std::size_t n_hl = half_ms_.size();
    double* ls = later_sum_.data();
    double* lw = later_weight_.data();
    std::fill(ls, ls + n_hl, 0.0);
    std::fill(lw, lw + n_hl, 0.0);
    const bool back = sc != nullptr && sc->at > t;
    if (back) {
        for (auto e = sc->recent.rbegin(); e != sc->recent.rend() && e->ts > t; ++e) {
            if (std::isnan(e->s)) {
                continue;
            }
            for (std::size_t h = 0; h < n_hl; ++h) {
                const double f = decay(sc->at, e->ts, half_ms_[h]);
                ls[h] += e->s * f;
                lw[h] += f;
            }
        }
    }
    const bool scored = sc != nullptr && sc->first_scored <= t;
    for (std::size_t k = 0; k < queries_.size(); ++k) {
        const NewsQuery& q = queries_[k];
        if (q.market != market) {
            continue;
        }
        double v = kNaNValue;
        switch (q.kind) {
        case NewsQuery::Kind::kSent:
        case NewsQuery::Kind::kSentMean: {
            if (!scored) {
                v = q.kind == NewsQuery::Kind::kSent ? 0.0 : kNaNValue;
                break;
            }
            const std::size_t h = half_of_[k];
            // sum at t = 2^(-(t - at) / h) (sum at `at` - the items after t at `at`).
            const double f = decay(t, sc->at, half_ms_[h]);
            const double s = (sc->sum[h] - ls[h]) * f;
            const double w = (sc->weight[h] - lw[h]) * f;
            v = q.kind == NewsQuery::Kind::kSent ? s : s / w;
            break;
        }
        case NewsQuery::Kind::kCount: {
            v = 0;
            if (sc != nullptr) {
                const auto w = static_cast<std::int64_t>(std::llround(q.hours * kMsPerHour));
                auto by_ts = [](std::int64_t x, const Entry& e) { return x < e.ts; };
                auto hi = std::upper_bound(sc->recent.begin(), sc->recent.end(), t, by_ts);
                auto lo = std::upper_bound(sc->recent.begin(), hi, t - w, by_ts);
                v = static_cast<double>(hi - lo);
            }
            break;
        }
        case NewsQuery::Kind::kAge: {
            if (sc == nullptr) {
                break;
            }
            auto hi = std::upper_bound(sc->recent.begin(), sc->recent.end(), t,
                                       [](std::int64_t x, const Entry& e) { return x < e.ts; });
            std::int64_t last = hi != sc->recent.begin() ? std::prev(hi)->ts : sc->pruned_last;
            if (last != INT64_MIN) {
                v = (static_cast<double>(t) - static_cast<double>(last)) / kMsPerHour;
            }
            break;
        }
        }
        out[k] = v;
    }
}

} // namespace okxkit::features
