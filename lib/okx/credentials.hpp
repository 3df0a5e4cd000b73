// OKX API credentials: loaded from the environment or a private secrets file, never shown.
#pragma once

#include <optional>
#include <string>

namespace okxkit::okx {

// An API key triple. The secret and passphrase must never reach stdout, stderr, logs or the
// store: print a Credentials only through redacted().
struct Credentials {
    std::string key;
    std::string secret;
    std::string passphrase;

    // "key 985d…7083" style: the first 4 and last 4 characters of the key, nothing else.
    [[nodiscard]] std::string redacted() const;
};

// Loads credentials: OKX_API_KEY, OKX_API_SECRET, OKX_API_PASSPHRASE when all three are set;
// else the TOML file at secrets_path (keys api_key, api_secret, api_passphrase) when it
// exists. The file must be a regular file of mode 0600 or stricter owned by the user: any
// group/other permission bit is refused (core::UsageError saying to chmod 600), as ssh does.
// Returns nullopt when neither source has credentials; throws core::UsageError when a source
// is incomplete (names the missing variable or key, never a value).
std::optional<Credentials> load_credentials(const std::string& secrets_path);

// Default secrets file: ${XDG_CONFIG_HOME:-~/.config}/okxkit/secrets.toml.
std::string default_secrets_path();

} // namespace okxkit::okx
