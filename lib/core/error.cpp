// Small helpers for error text.
#include "core/error.hpp"

#include <cstring>

namespace okxkit::core {

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns the message pointer, which may not be buf.
    const char* msg = strerror_r(err, buf, sizeof buf);
    std::string text = msg;
    if (!text.empty()) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

} // namespace okxkit::core
