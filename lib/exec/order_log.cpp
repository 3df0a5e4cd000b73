// The order log: append-only lines beside the store (see order_log.hpp).
#include "exec/order_log.hpp"

#include "core/error.hpp"
#include "exec/sync.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace okxkit::exec {

std::string order_log_path(const std::string& store, std::string_view run) {
    return store_side_path(store, run, "orders");
}

OrderLog::OrderLog(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw core::RuntimeError("cannot open the order log " + path_ + ": " +
                                 std::strerror(errno));
    }
}

OrderLog::~OrderLog() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void OrderLog::append(std::string_view line) {
    buf_.assign(line);
    buf_ += '\n';
    ssize_t n = 0;
    do {
        n = ::write(fd_, buf_.data(), buf_.size());
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(buf_.size())) {
        throw core::RuntimeError(
            "cannot write the order log " + path_ + ": " +
            (n < 0 ? std::string(std::strerror(errno)) : std::string("short write")) +
            "; nothing was sent");
    }
}

std::vector<std::string> OrderLog::lines() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string all = ss.str();
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', start)) {
        if (nl > start) {
            out.emplace_back(all, start, nl - start);
        }
        start = nl + 1;
    }
    return out;
}

void OrderLog::clear() {
    if (::ftruncate(fd_, 0) != 0) {
        throw core::RuntimeError("cannot empty the order log " + path_ + ": " +
                                 std::strerror(errno));
    }
}

} // namespace okxkit::exec
