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
      edges_(cols_ * kEdges, std::numeric_limits<float>::infinity()), last_bin_(cols_),
      expected_(cols_ * kSlots, 0.0), log_expected_(cols_ * kSlots, 0.0),
      counts_(cols_ * kSlots, 0), ring_(window_ * cols_, 0), share_(window_ + 1),
      log_share_(window_ + 1) {
    for (std::size_t c = 0; c < cols_; ++c) {
        const PsiBins& b = ref.bins[c];
        if (b.edges.size() > kEdges || b.shares.size() != b.edges.size() + 2) {
            throw core::RuntimeError("drift reference of feature " + std::to_string(c) + " has " +
                                     std::to_string(b.edges.size()) + " edges and " +
                                     std::to_string(b.shares.size()) + " shares");
        }
        std::copy(b.edges.begin(), b.edges.end(), edges_.begin() + c * kEdges);
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
    std::uint8_t* slot = ring_.data() + next_ * cols_;
    if (size_ == window_) {
        for (std::size_t c = 0; c < cols_; ++c) {
            --counts_[c * kSlots + slot[c]];
        }
    } else {
        ++size_;
    }
    for (std::size_t c = 0; c < cols_; ++c) {
        const float v = row[c];
        std::uint8_t b = kSlots - 1;
        if (!std::isnan(v)) {
            // The count of edges at or below v is the value bin (upper_bound); the +inf
            // padding is never at or below a finite v, nor is it for +inf, which lands in
            // the last bin in use.
            const float* e = edges_.data() + c * kEdges;
            unsigned n = 0;
            for (std::size_t k = 0; k < kEdges; ++k) {
                n += e[k] <= v ? 1U : 0U;
            }
            b = static_cast<std::uint8_t>(std::min<unsigned>(n, last_bin_[c]));
        }
        slot[c] = b;
        ++counts_[c * kSlots + b];
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
    s.psi.assign(psi.begin(), psi.end());
    s.limit.assign(psi.size(), kDriftPsi);
    auto importance = [&](std::size_t c) {
        return c < ref.importance.size() ? ref.importance[c] : 0.0;
    };
    for (std::size_t c = 0; c < psi.size(); ++c) {
        if (c < limits.size()) {
            s.limit[c] = std::max(limits[c], kDriftPsi);
        }
        if (psi[c] > s.limit[c]) {
            s.features.push_back(c);
            s.measure += importance(c);
        }
    }
    s.drifted = s.features.size();
    std::stable_sort(s.features.begin(), s.features.end(),
                     [&](std::size_t a, std::size_t b) { return importance(a) > importance(b); });
    return s;
}

DriftMonitor::DriftMonitor(DriftReference ref, std::size_t window)
    : ref_(std::move(ref)), window_(ref_, window) {
    auto l = ref_.limits_for(window);
    limits_.assign(l.begin(), l.end());
}

std::optional<DriftStatus> DriftMonitor::push(const float* row) {
    window_.push(row);
    ++pushed_;
    if (!window_.full() || pushed_ % kDriftEvery != 0) {
        return std::nullopt;
    }
    window_.psi(psi_);
    DriftStatus s = drift_status(ref_, psi_, limits_);
    if (!raised_ && s.measure > kDriftRaise) {
        raised_ = true;
        return s;
    }
    if (raised_ && s.measure <= kDriftClear) {
        raised_ = false;
        return s;
    }
    return std::nullopt;
}

std::string drift_text(const DriftStatus& s, const std::vector<std::string>& names,
                       std::size_t top) {
    char buf[64];
    std::string t = std::to_string(s.drifted) + " of " + std::to_string(s.psi.size()) +
                    " features past their training range, ";
    std::snprintf(buf, sizeof buf, "%.0f%%", 100 * s.measure);
    t += std::string(buf) + " of the model's gain";
    if (!s.features.empty()) {
        t += " (";
        for (std::size_t i = 0; i < s.features.size() && i < top; ++i) {
            const std::size_t c = s.features[i];
            std::snprintf(buf, sizeof buf, " PSI %.2f > %.2f", s.psi[c], s.limit[c]);
            t += (i == 0 ? "" : ", ") + (c < names.size() ? names[c] : std::to_string(c)) + buf;
        }
        t += s.features.size() > top ? ", ...)" : ")";
    }
    return t;
}

} // namespace okxkit::ml
