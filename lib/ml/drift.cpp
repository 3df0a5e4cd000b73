// Drift: reference bins from the training rows, the rolling window of bin counts, the alarm.
#include "ml/drift.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace okxkit::ml {

std::span<const double> DriftReference::limits_for(std::size_t window) const {
    std::span<const double> best;
    for (std::size_t w = 0; w < windows.size() && w < limits.size(); ++w) {
        if (windows[w] <= window) {
            best = limits[w];
        }
    }
    return best;
}

DriftReference drift_reference(std::span<const float> x, std::size_t cols,
                               std::span<const double> importance) {
    DriftReference ref;
    const std::size_t rows = cols == 0 ? 0 : x.size() / cols;
    std::vector<float> column(rows);
    // The bin of every training row and feature, row-major.
    std::vector<std::uint8_t> bin(rows * cols);
    std::size_t slots = 0;
    for (std::size_t c = 0; c < cols; ++c) {
        for (std::size_t i = 0; i < rows; ++i) {
            column[i] = x[i * cols + c];
        }
        ref.bins.push_back(psi_bins(column, true));
        slots = std::max(slots, ref.bins.back().shares.size());
        for (std::size_t i = 0; i < rows; ++i) {
            bin[i * cols + c] = static_cast<std::uint8_t>(ref.bins.back().bin(column[i]));
        }
    }
    ref.importance.assign(importance.begin(), importance.end());
    ref.importance.resize(cols, 0.0);
    // Counts of all rows, and of the window, per feature and bin.
    std::vector<double> total(cols * slots, 0.0);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t c = 0; c < cols; ++c) {
            total[c * slots + bin[i * cols + c]] += 1;
        }
    }
    std::vector<double> in(cols * slots);
    for (std::size_t n : kDriftWindows) {
        if (rows < 2 * n) {
            break;
        }
        std::vector<double> limit(cols, 0.0);
        std::fill(in.begin(), in.end(), 0.0);
        const auto nw = static_cast<double>(n);
        const auto rest = static_cast<double>(rows - n);
        for (std::size_t i = 0; i < rows; ++i) {
            for (std::size_t c = 0; c < cols; ++c) {
                in[c * slots + bin[i * cols + c]] += 1;
                if (i >= n) {
                    in[c * slots + bin[(i - n) * cols + c]] -= 1;
                }
            }
            if (i + 1 < n || (i + 1 - n) % kDriftEvery != 0) {
                continue;
            }
            for (std::size_t c = 0; c < cols; ++c) {
                double s = 0;
                for (std::size_t b = 0; b < ref.bins[c].shares.size(); ++b) {
                    const double w = in[c * slots + b];
                    const double pa = std::max(w / nw, kPsiFloor);
                    const double pe = std::max((total[c * slots + b] - w) / rest, kPsiFloor);
                    s += (pa - pe) * std::log(pa / pe);
                }
                limit[c] = std::max(limit[c], s);
            }
        }
        ref.windows.push_back(n);
        ref.limits.push_back(std::move(limit));
    }
    return ref;
}

DriftWindow::DriftWindow(const DriftReference& ref, std::size_t window)
    : cols_(ref.bins.size()), window_(std::max<std::size_t>(window, 1)),
      edges_(kEdges * cols_, std::numeric_limits<float>::infinity()), below_(cols_),
      last_bin_(cols_), expected_(cols_ * kSlots, 0.0), log_expected_(cols_ * kSlots, 0.0),
      counts_(cols_ * kSlots, 0), ring_(window_ * cols_, 0), share_(window_ + 1),
      log_share_(window_ + 1) {
    for (std::size_t c = 0; c < cols_; ++c) {
        const PsiBins& b = ref.bins[c];
        if (b.edges.size() > kEdges || b.shares.size() != b.edges.size() + 2) {
            throw core::RuntimeError("drift reference of feature " + std::to_string(c) + " has " +
                                     std::to_string(b.edges.size()) + " edges and " +
                                     std::to_string(b.shares.size()) + " shares");
        }
        for (std::size_t k = 0; k < b.edges.size(); ++k) {
            edges_[k * cols_ + c] = b.edges[k];
        }
        last_bin_[c] = static_cast<std::uint8_t>(b.edges.size());
        // Value bins 0..edges in slots 0..edges, the null bin in the last slot; unused slots
        // stay at the floor on both sides, where they add exactly 0.
        for (std::size_t s = 0; s < kSlots; ++s) {
            double share = 0;
            if (s <= b.edges.size()) {
                share = b.shares[s];
            } else if (s == kSlots - 1) {
                share = b.shares.back();
            }
            expected_[c * kSlots + s] = std::max(share, kPsiFloor);
            log_expected_[c * kSlots + s] = std::log(expected_[c * kSlots + s]);
        }
    }
    for (std::size_t k = 0; k <= window_; ++k) {
        share_[k] = std::max(static_cast<double>(k) / static_cast<double>(window_), kPsiFloor);
        log_share_[k] = std::log(share_[k]);
    }
}

void DriftWindow::push(const float* row) {
    // The count of edges at or below a value is its value bin (upper_bound). Edge by edge
    // over all features, so that the compares run several features at a time; the +inf
    // padding is never at or below a finite value, NaN is at or above no edge.
    // Blocks of 16 features keep their counts in registers across the edges.
    constexpr std::size_t kBlock = 16;
    std::size_t c0 = 0;
    for (; c0 + kBlock <= cols_; c0 += kBlock) {
        std::int32_t n[kBlock] = {};
        for (std::size_t k = 0; k < kEdges; ++k) {
            const float* e = edges_.data() + k * cols_ + c0;
            for (std::size_t j = 0; j < kBlock; ++j) {
                n[j] += e[j] <= row[c0 + j] ? 1 : 0;
            }
        }
        std::copy(n, n + kBlock, below_.begin() + static_cast<std::ptrdiff_t>(c0));
    }
    for (std::size_t c = c0; c < cols_; ++c) {
        std::int32_t n = 0;
        for (std::size_t k = 0; k < kEdges; ++k) {
            n += edges_[k * cols_ + c] <= row[c] ? 1 : 0;
        }
        below_[c] = n;
    }
    std::uint8_t* slot = ring_.data() + next_ * cols_;
    const bool evict = size_ == window_;
    if (!evict) {
        ++size_;
    }
    std::uint32_t* counts = counts_.data();
    for (std::size_t c = 0; c < cols_; ++c, counts += kSlots) {
        // +inf is at or above every edge, padding included: the last bin in use.
        const auto b = static_cast<std::uint8_t>(
            std::isnan(row[c])
                ? kSlots - 1
                : std::min(static_cast<unsigned>(below_[c]), unsigned{last_bin_[c]}));
        if (evict) {
            --counts[slot[c]];
        }
        ++counts[b];
        slot[c] = b;
    }
    next_ = next_ + 1 == window_ ? 0 : next_ + 1;
}

void DriftWindow::psi(std::vector<double>& out) const {
    out.assign(cols_, std::numeric_limits<double>::quiet_NaN());
    if (size_ == 0) {
        return;
    }
    // Shares are counts over the window; before it is full, over the rows held.
    const bool exact = size_ == window_;
    for (std::size_t c = 0; c < cols_; ++c) {
        double s = 0;
        for (std::size_t k = 0; k < kSlots; ++k) {
            const std::uint32_t n = counts_[c * kSlots + k];
            double pa = 0;
            double log_pa = 0;
            if (exact) {
                pa = share_[n];
                log_pa = log_share_[n];
            } else {
                pa = std::max(static_cast<double>(n) / static_cast<double>(size_), kPsiFloor);
                log_pa = std::log(pa);
            }
            s += (pa - expected_[c * kSlots + k]) * (log_pa - log_expected_[c * kSlots + k]);
        }
        out[c] = s;
    }
}

DriftStatus drift_status(const DriftReference& ref, std::span<const double> psi,
                         std::span<const double> limits) {
    DriftStatus s;
    s.watched = psi.size();
    auto importance = [&](std::size_t c) {
        return c < ref.importance.size() ? ref.importance[c] : 0.0;
    };
    auto limit = [&](std::size_t c) {
        return c < limits.size() ? std::max(limits[c], kDriftPsi) : kDriftPsi;
    };
    for (std::size_t c = 0; c < psi.size(); ++c) {
        if (psi[c] > limit(c)) {
            s.features.push_back(c);
            s.measure += importance(c);
        }
    }
    s.drifted = s.features.size();
    std::stable_sort(s.features.begin(), s.features.end(),
                     [&](std::size_t a, std::size_t b) { return importance(a) > importance(b); });
    for (std::size_t c : s.features) {
        s.psi.push_back(psi[c]);
        s.limit.push_back(limit(c));
    }
    return s;
}

DriftReference DriftMonitor::watched(const DriftReference& ref, std::vector<std::size_t>& columns,
                                     std::size_t window) {
    DriftReference sub;
    auto limits = ref.limits_for(window);
    sub.limits.emplace_back();
    for (std::size_t c = 0; c < ref.bins.size(); ++c) {
        if (c < ref.importance.size() && ref.importance[c] > 0) {
            columns.push_back(c);
            sub.bins.push_back(ref.bins[c]);
            sub.importance.push_back(ref.importance[c]);
            if (c < limits.size()) {
                sub.limits.back().push_back(limits[c]);
            }
        }
    }
    sub.windows.push_back(window);
    return sub;
}

DriftMonitor::DriftMonitor(const DriftReference& ref, std::size_t window)
    : ref_(watched(ref, columns_, window)), window_(ref_, window), row_(columns_.size()) {}

std::optional<DriftStatus> DriftMonitor::push(const float* row) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        row_[i] = row[columns_[i]];
    }
    window_.push(row_.data());
    ++pushed_;
    if (!window_.full() || pushed_ % kDriftEvery != 0) {
        return std::nullopt;
    }
    window_.psi(psi_);
    DriftStatus s = drift_status(ref_, psi_, ref_.limits.front());
    if (raised_ ? s.measure > kDriftClear : s.measure <= kDriftRaise) {
        return std::nullopt;
    }
    raised_ = !raised_;
    for (std::size_t& c : s.features) {
        c = columns_[c];
    }
    return s;
}

std::string drift_text(const DriftStatus& s, const std::vector<std::string>& names,
                       std::size_t top) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100 * s.measure);
    std::string t = std::to_string(s.drifted) + " of the " + std::to_string(s.watched) +
                    " features the model splits on " +
                    (s.drifted == 1 ? "is past its" : "are past their") + " training range, " +
                    buf + " of its gain";
    if (!s.features.empty()) {
        t += " (";
        for (std::size_t i = 0; i < s.features.size() && i < top; ++i) {
            const std::size_t c = s.features[i];
            std::snprintf(buf, sizeof buf, " PSI %.2f > %.2f", s.psi[i], s.limit[i]);
            t += (i == 0 ? "" : ", ") + (c < names.size() ? names[c] : std::to_string(c)) + buf;
        }
        t += s.features.size() > top ? ", ...)" : ")";
    }
    return t;
}

} // namespace okxkit::ml
