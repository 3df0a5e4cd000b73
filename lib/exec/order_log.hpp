// The fast half of execute's order journal in demo and live mode: a file beside the store
// that each order is appended to, one line and one write(2), before its request is sent. The
// order's row in the store follows right after the request went out, off the path from the
// intent to the wire. A process killed in between leaves the line, and the next start puts it
// into the store before it reconciles with OKX (which then says whether the order got there).
//
// A write(2) that returned is in the kernel: it outlives the process, as the store's
// committed rows do (WAL, synchronous=NORMAL); neither is flushed to the disk per order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace okxkit::exec {

// The run's order log beside the store: STORE-orders-HASH (HASH of the run name).
std::string order_log_path(const std::string& store, std::string_view run);

class OrderLog {
public:
    // Opens (creates, mode 0600) path for appending. Throws core::RuntimeError naming it when
    // it cannot.
    explicit OrderLog(std::string path);
    ~OrderLog();
    OrderLog(const OrderLog&) = delete;
    OrderLog& operator=(const OrderLog&) = delete;

    // Appends line and a newline in one write(2). Throws core::RuntimeError when the line
    // could not be written whole: then nothing may be sent.
    void append(std::string_view line);
    // The whole lines in the file (a last line a crash cut short is left out).
    [[nodiscard]] std::vector<std::string> lines() const;
    // Empties the file, once every line is in the store.
    void clear();
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    std::string buf_;
};

} // namespace okxkit::exec
