// Drift of a model's input: the training distribution of each feature (PSI bins), a rolling
// window of the rows predicted since, and the alarm rule predict reports with (see predict(1)).
#pragma once

#include "ml/metrics.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace okxkit::ml {

// The window is judged every kDriftEvery rows once it is full.
inline constexpr std::size_t kDriftEvery = 12;

// The window lengths (rows) whose PSI limits training measures; a window of another length
// uses the limits of the longest of these below it. Shorter windows are refused by predict:
// with eleven bins, fewer rows than this make PSI mostly noise.
inline constexpr std::size_t kDriftWindows[] = {72, 144, 288, 576, 1152};

// What the rows a model was trained on looked like: per feature its PSI bins (decile edges
// and the training range, with the shares of the training rows: psi_bins with range), its
// share of the model's total gain, and
// per window length the largest PSI that a window of that many consecutive training rows had
// against the other training rows: how far a window moves without any drift, since features
// computed over long lookbacks wander far in a day while the same process goes on.
struct DriftReference {
    std::vector<PsiBins> bins;               // per feature
    std::vector<double> importance;          // per feature, summing to 1 (all 0 when no split)
    std::vector<std::size_t> windows;        // window lengths measured (those of kDriftWindows
                                             // with at least twice as many training rows)
    std::vector<std::vector<double>> limits; // limits[w][feature], for windows[w]
    // The limits for a window of `window` rows: of the longest measured length <= window;
    // empty when there is none.
    [[nodiscard]] std::span<const double> limits_for(std::size_t window) const;
};

// The reference of a row-major matrix with `cols` columns (the training rows, in time order)
// and the model's importance (one value per column), limits included: for each length N of
// kDriftWindows with rows >= 2N, every N-row window starting at a multiple of kDriftEvery is
// compared with the rows outside it (the shares of the other rows in the same bins).
// O(rows * cols * (log rows + lengths) + windows * cols * bins).
DriftReference drift_reference(std::span<const float> x, std::size_t cols,
                               std::span<const double> importance);

// The alarm rule: a feature has drifted when its PSI over the window exceeds both its limit
// for the window's length and kDriftPsi (the usual "major shift" line, so that a feature whose
// training windows never moved does not alarm on noise). The measure is the share of the
// model's importance carried by drifted features. The alarm is raised when the measure
// exceeds kDriftRaise and cleared when it falls to kDriftClear or below (the gap between the
// two keeps it from flapping).
inline constexpr double kDriftPsi = 0.25;
inline constexpr double kDriftRaise = 0.3;
inline constexpr double kDriftClear = 0.15;

// The last `window` rows pushed, as PSI bin counts per feature, kept up to date on each push
// (the oldest row's bins are taken out, the new row's put in): O(cols) per push, no pass over
// the window. The PSI of every feature against the reference is O(cols * bins) with no
// logarithm computed (shares and their logarithms are tabulated per count).
class DriftWindow {
public:
    // window >= 1.
    DriftWindow(const DriftReference& ref, std::size_t window);

    // Adds one row (cols floats, NaN = null), dropping the oldest when the window is full.
    void push(const float* row);
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool full() const { return size_ == window_; }
    // PSI per feature of the rows in the window against the reference (NaN when empty).
    void psi(std::vector<double>& out) const;

private:
    static constexpr std::size_t kEdges = 11; // deciles and the two ends of the range
    static constexpr std::size_t kSlots = 13; // 12 value bins at most, then the null bin
    std::size_t cols_;
    std::size_t window_;
    std::size_t size_ = 0;
    std::size_t next_ = 0;               // ring position of the next row
    std::vector<float> edges_;           // kEdges * cols, edge-major, padded with +inf
    std::vector<std::int32_t> below_;    // cols: edges at or below the row's value
    std::vector<std::uint8_t> last_bin_; // cols: the last value bin in use
    std::vector<double> expected_;       // cols * kSlots, floored shares
    std::vector<double> log_expected_;   // their logarithms
    std::vector<std::uint32_t> counts_;  // cols * kSlots
    std::vector<std::uint8_t> ring_;     // window * cols slots
    std::vector<double> share_;          // per count 0..window: floored count / window
    std::vector<double> log_share_;
};

// One judgement of the window.
struct DriftStatus {
    double measure = 0;                // importance share of the drifted features
    std::size_t watched = 0;           // features judged
    std::size_t drifted = 0;           // features past their limit and kDriftPsi
    std::vector<std::size_t> features; // those features, by importance, highest first
    std::vector<double> psi;           // their PSI, in the same order
    std::vector<double> limit;         // the limit each was held to (kDriftPsi at least)
};
// Judges PSI per feature (`limits` per feature; empty: kDriftPsi for all).
DriftStatus drift_status(const DriftReference& ref, std::span<const double> psi,
                         std::span<const double> limits);

// A window and the alarm's state for one series. Only the features the model splits on
// (importance above 0) are watched: the others cannot move the measure. push() takes a full
// row and returns the status when the alarm is raised or cleared by this row, else nothing;
// the status's features are column numbers of the full row. The same rows give the same
// events. O(watched features) per row.
class DriftMonitor {
public:
    DriftMonitor(const DriftReference& ref, std::size_t window);
    std::optional<DriftStatus> push(const float* row);
    [[nodiscard]] bool raised() const { return raised_; }

private:
    static DriftReference watched(const DriftReference& ref, std::vector<std::size_t>& columns,
                                  std::size_t window);
    std::vector<std::size_t> columns_; // the watched features' columns
    DriftReference ref_;               // of those features only
    DriftWindow window_;
    std::vector<float> row_; // the watched values of the row pushed
    std::uint64_t pushed_ = 0;
    bool raised_ = false;
    std::vector<double> psi_;
};

// "14 of the 104 features the model splits on are past their training range, 34% of its gain
// (rsi_14 PSI 0.81 > 0.40, ...)": at most `top` features named (by column, in `names`), the
// most important first.
std::string drift_text(const DriftStatus& s, const std::vector<std::string>& names,
                       std::size_t top = 5);

} // namespace okxkit::ml
