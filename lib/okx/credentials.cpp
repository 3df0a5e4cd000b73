// Loading OKX API credentials from the environment or a private TOML secrets file.
#include "okx/credentials.hpp"

#include "core/error.hpp"

#include <toml++/toml.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace okxkit::okx {
namespace {

// A file descriptor closed on scope exit.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

std::string env_value(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

std::string join_names(const std::vector<std::string_view>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " and " : ", ";
        }
        out += names[i];
    }
    return out;
}

std::string octal_mode(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Credentials from OKX_API_KEY/SECRET/PASSPHRASE; an empty variable counts as unset.
std::optional<Credentials> from_env() {
    static constexpr std::array<const char*, 3> kNames = {"OKX_API_KEY", "OKX_API_SECRET",
                                                          "OKX_API_PASSPHRASE"};
    std::array<std::string, 3> values;
    std::vector<std::string_view> missing;
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        values[i] = env_value(kNames[i]);
        if (values[i].empty()) {
            missing.emplace_back(kNames[i]);
        }
    }
    if (missing.size() == kNames.size()) {
        return std::nullopt;
    }
    if (!missing.empty()) {
        throw core::UsageError("incomplete credentials in the environment: " + join_names(missing) +
                               (missing.size() == 1 ? " is" : " are") +
                               " not set: set all three of OKX_API_KEY, OKX_API_SECRET and "
                               "OKX_API_PASSPHRASE, or none to use the secrets file");
    }
    return Credentials{std::move(values[0]), std::move(values[1]), std::move(values[2])};
}

// Refuses a secrets file that anyone but its owner could read or change, as ssh does.
void check_private(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) {
        throw core::UsageError("secrets file " + path + " is not a regular file");
    }
    if (st.st_uid != ::geteuid()) {
        throw core::UsageError("secrets file " + path + " is owned by uid " +
                               std::to_string(st.st_uid) + ", not by you (uid " +
                               std::to_string(::geteuid()) + "): chown it or use another file");
    }
    if ((st.st_mode & 077) != 0) {
        const char* what = (st.st_mode & 044) != 0   ? "readable"
                           : (st.st_mode & 022) != 0 ? "writable"
                                                     : "accessible";
        throw core::UsageError("secrets file " + path + " is " + what + " by others (mode " +
                               octal_mode(st.st_mode) + "): chmod 600 " + path);
    }
}

std::string read_all(int fd, const std::string& path) {
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw core::UsageError("cannot read secrets file " + path + ": " +
                                   core::errno_text(errno));
        }
        if (n == 0) {
            return text;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
}

std::optional<Credentials> from_file(const std::string& path) {
    if (path.empty()) {
        return std::nullopt;
    }
    // Open first and fstat the descriptor, so the file checked is the file read. O_NONBLOCK
    // keeps a FIFO planted at the path from hanging us before the regular-file check.
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw core::UsageError("cannot open secrets file " + path + ": " + core::errno_text(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        throw core::UsageError("cannot stat secrets file " + path + ": " + core::errno_text(errno));
    }
    check_private(path, st);
    const std::string text = read_all(fd.get(), path);

    toml::table table;
    try {
        table = toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& e) {
        // The parser's description can quote the offending text, which may be the secret:
        // report the position only.
        const auto& where = e.source().begin;
        throw core::UsageError("secrets file " + path + " is not valid TOML (line " +
                               std::to_string(where.line) + ", column " +
                               std::to_string(where.column) + "): fix its syntax");
    }

    static constexpr std::array<const char*, 3> kKeys = {"api_key", "api_secret", "api_passphrase"};
    std::array<std::string, 3> values;
    std::vector<std::string_view> missing;
    for (std::size_t i = 0; i < kKeys.size(); ++i) {
        const toml::node* node = table.get(kKeys[i]);
        if (node != nullptr && !node->is_string()) {
            throw core::UsageError("secrets file " + path + ": " + kKeys[i] + " must be a string");
        }
        if (node != nullptr) {
            values[i] = node->as_string()->get();
        }
        if (values[i].empty()) {
            missing.emplace_back(kKeys[i]);
        }
    }
    if (!missing.empty()) {
        throw core::UsageError("secrets file " + path + " lacks " + join_names(missing) +
                               ": set api_key, api_secret and api_passphrase");
    }
    return Credentials{std::move(values[0]), std::move(values[1]), std::move(values[2])};
}

} // namespace

std::string Credentials::redacted() const {
    // Short keys would be mostly revealed by 4 + 4 characters, so hide them entirely.
    if (key.size() < 12) {
        return "key …";
    }
    return "key " + key.substr(0, 4) + "…" + key.substr(key.size() - 4);
}

std::optional<Credentials> load_credentials(const std::string& secrets_path) {
    if (auto creds = from_env()) {
        return creds;
    }
    return from_file(secrets_path);
}

std::string default_secrets_path() {
    // An empty XDG_CONFIG_HOME counts as unset, as for core::default_config_path.
    const std::string xdg = env_value("XDG_CONFIG_HOME");
    if (!xdg.empty()) {
        return xdg + "/okxkit/secrets.toml";
    }
    std::string home = env_value("HOME");
    if (home.empty()) {
        if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr) {
            home = pw->pw_dir;
        }
    }
    // With no home at all, "" makes load_credentials find no file rather than one in the cwd.
    if (home.empty()) {
        return {};
    }
    return home + "/.config/okxkit/secrets.toml";
}

} // namespace okxkit::okx
