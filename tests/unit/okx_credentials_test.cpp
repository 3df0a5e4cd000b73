// Unit tests for lib/okx/credentials: env and secrets-file sources, permissions, redaction.
#include "okx/credentials.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace okxkit::okx {
namespace {

constexpr const char* kKey = "985d5b66-57ce-40fb-b714-afc0b9787083";
constexpr const char* kSecret = "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO";
constexpr const char* kPassphrase = "pass-Phrase-1234567890";

constexpr std::array<const char*, 5> kEnvNames = {"OKX_API_KEY", "OKX_API_SECRET",
                                                  "OKX_API_PASSPHRASE", "XDG_CONFIG_HOME", "HOME"};

// Gives each test a clean environment and a private temporary directory, restoring both.
class OkxCredentials : public ::testing::Test {
protected:
    void SetUp() override {
        for (std::size_t i = 0; i < kEnvNames.size(); ++i) {
            const char* value = std::getenv(kEnvNames[i]);
            saved_[i] = value == nullptr ? std::nullopt : std::optional<std::string>(value);
        }
        ::unsetenv("OKX_API_KEY");
        ::unsetenv("OKX_API_SECRET");
        ::unsetenv("OKX_API_PASSPHRASE");
        std::string templ = (std::filesystem::temp_directory_path() / "okx_cred_XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
    }

    void TearDown() override {
        for (std::size_t i = 0; i < kEnvNames.size(); ++i) {
            if (saved_[i]) {
                ::setenv(kEnvNames[i], saved_[i]->c_str(), 1);
            } else {
                ::unsetenv(kEnvNames[i]);
            }
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::string write_file(const std::string& text, mode_t mode,
                           const std::string& name = "secrets.toml") {
        std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        EXPECT_EQ(::chmod(path.c_str(), mode), 0);
        return path;
    }

    static std::string full_file() {
        return std::string("api_key = \"") + kKey + "\"\napi_secret = \"" + kSecret +
               "\"\napi_passphrase = \"" + kPassphrase + "\"\n";
    }

    static void set_env_all() {
        ::setenv("OKX_API_KEY", kKey, 1);
        ::setenv("OKX_API_SECRET", kSecret, 1);
        ::setenv("OKX_API_PASSPHRASE", kPassphrase, 1);
    }

    std::filesystem::path dir_;

private:
    std::array<std::optional<std::string>, kEnvNames.size()> saved_;
};

// Runs load_credentials expecting a UsageError; returns its text after checking that no
// secret or passphrase leaked into it.
std::string usage_error_text(const std::string& path) {
    try {
        load_credentials(path);
    } catch (const core::UsageError& e) {
        std::string what = e.what();
        EXPECT_EQ(what.find(kSecret), std::string::npos) << what;
        EXPECT_EQ(what.find(kPassphrase), std::string::npos) << what;
        EXPECT_EQ(e.code(), core::Exit::kUsage);
        return what;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no UsageError for " << path;
    return {};
}

TEST_F(OkxCredentials, EnvironmentWhenAllThreeSet) {
    set_env_all();
    // The environment wins, so even an unsafe file is not looked at.
    const std::string path = write_file("api_key = \"other\"\n", 0644);
    const auto creds = load_credentials(path);
    ASSERT_TRUE(creds.has_value());
    EXPECT_EQ(creds->key, kKey);
    EXPECT_EQ(creds->secret, kSecret);
    EXPECT_EQ(creds->passphrase, kPassphrase);
}

TEST_F(OkxCredentials, PartialEnvironmentNamesTheMissingVariables) {
    ::setenv("OKX_API_KEY", kKey, 1);
    ::setenv("OKX_API_SECRET", kSecret, 1);
    std::string what = usage_error_text((dir_ / "none.toml").string());
    EXPECT_NE(what.find("OKX_API_PASSPHRASE"), std::string::npos) << what;

    ::unsetenv("OKX_API_KEY");
    ::setenv("OKX_API_PASSPHRASE", "", 1); // empty counts as unset
    what = usage_error_text((dir_ / "none.toml").string());
    EXPECT_NE(what.find("OKX_API_KEY and OKX_API_PASSPHRASE"), std::string::npos) << what;
}

TEST_F(OkxCredentials, PartialEnvironmentIsAnErrorEvenWithAGoodFile) {
    ::setenv("OKX_API_PASSPHRASE", kPassphrase, 1);
    const std::string path = write_file(full_file(), 0600);
    const std::string what = usage_error_text(path);
    EXPECT_NE(what.find("OKX_API_KEY"), std::string::npos) << what;
    EXPECT_NE(what.find("OKX_API_SECRET"), std::string::npos) << what;
}

TEST_F(OkxCredentials, NothingAnywhereIsNullopt) {
    EXPECT_FALSE(load_credentials((dir_ / "absent.toml").string()).has_value());
    EXPECT_FALSE(load_credentials("").has_value());
    ::setenv("OKX_API_KEY", "", 1);
    ::setenv("OKX_API_SECRET", "", 1);
    ::setenv("OKX_API_PASSPHRASE", "", 1);
    EXPECT_FALSE(load_credentials((dir_ / "absent.toml").string()).has_value());
}

TEST_F(OkxCredentials, PrivateFileIsLoaded) {
    for (const mode_t mode : {0600, 0400}) {
        const std::string path = write_file(full_file(), mode);
        const auto creds = load_credentials(path);
        ASSERT_TRUE(creds.has_value()) << std::oct << mode;
        EXPECT_EQ(creds->key, kKey);
        EXPECT_EQ(creds->secret, kSecret);
        EXPECT_EQ(creds->passphrase, kPassphrase);
    }
}

TEST_F(OkxCredentials, FileOpenToOthersIsRefused) {
    const std::string path = write_file(full_file(), 0644);
    EXPECT_EQ(usage_error_text(path),
              "secrets file " + path + " is readable by others (mode 0644): chmod 600 " + path);
    for (const mode_t mode : {0640, 0604, 0620, 0602, 0610, 0601, 0660, 0777}) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
        const std::string what = usage_error_text(path);
        EXPECT_NE(what.find("chmod 600 " + path), std::string::npos) << what;
    }
    ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
    EXPECT_NE(usage_error_text(path).find("writable by others (mode 0620)"), std::string::npos);
}

TEST_F(OkxCredentials, NonRegularFileIsRefused) {
    const std::string dir_path = (dir_ / "a_dir").string();
    ASSERT_EQ(::mkdir(dir_path.c_str(), 0700), 0);
    EXPECT_NE(usage_error_text(dir_path).find("not a regular file"), std::string::npos);

    // A FIFO must be refused without blocking on open.
    const std::string fifo = (dir_ / "a_fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_NE(usage_error_text(fifo).find("not a regular file"), std::string::npos);
}

TEST_F(OkxCredentials, FileOwnedBySomeoneElseIsRefused) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to give a file away";
    }
    const std::string path = write_file(full_file(), 0600);
    ASSERT_EQ(::chown(path.c_str(), 1, 1), 0);
    EXPECT_NE(usage_error_text(path).find("owned by uid 1"), std::string::npos);
}

TEST_F(OkxCredentials, MissingKeysAreNamed) {
    const std::string path = write_file(
        std::string("api_key = \"") + kKey + "\"\napi_secret = \"" + kSecret + "\"\n", 0600);
    std::string what = usage_error_text(path);
    EXPECT_NE(what.find("api_passphrase"), std::string::npos) << what;

    write_file(std::string("api_passphrase = \"") + kPassphrase + "\"\napi_secret = \"\"\n", 0600);
    what = usage_error_text(path);
    EXPECT_NE(what.find("lacks api_key and api_secret"), std::string::npos) << what;
}

TEST_F(OkxCredentials, NonStringKeyIsRefused) {
    const std::string path =
        write_file(std::string("api_key = \"") + kKey +
                       "\"\napi_secret = 12345\napi_passphrase = \"" + kPassphrase + "\"\n",
                   0600);
    EXPECT_NE(usage_error_text(path).find("api_secret must be a string"), std::string::npos);
}

TEST_F(OkxCredentials, BadTomlDoesNotQuoteTheFile) {
    // An unquoted secret is a syntax error right where the secret is, and toml++ describes it
    // as "expected 'true', saw 'tru3'": a fragment of the secret.
    const std::string secret = "tru3XsEcReT";
    const std::string path =
        write_file(std::string("api_key = \"") + kKey + "\"\napi_secret = " + secret +
                       "\napi_passphrase = \"" + kPassphrase + "\"\n",
                   0600);
    const std::string what = usage_error_text(path);
    EXPECT_NE(what.find("not valid TOML (line 2, column"), std::string::npos) << what;
    EXPECT_EQ(what.find("tru3"), std::string::npos) << what;
}

TEST_F(OkxCredentials, RedactedShowsOnlyTheEndsOfTheKey) {
    const Credentials creds{kKey, kSecret, kPassphrase};
    EXPECT_EQ(creds.redacted(), "key 985d…7083");
    const Credentials short_key{"abcdefghijk", kSecret, kPassphrase};
    EXPECT_EQ(short_key.redacted(), "key …");
    const Credentials twelve{"abcdefghijkl", kSecret, kPassphrase};
    EXPECT_EQ(twelve.redacted(), "key abcd…ijkl");
    EXPECT_EQ(Credentials{}.redacted(), "key …");
}

TEST_F(OkxCredentials, DefaultSecretsPath) {
    ::setenv("XDG_CONFIG_HOME", "/xdg/conf", 1);
    ::setenv("HOME", "/home/someone", 1);
    EXPECT_EQ(default_secrets_path(), "/xdg/conf/okxkit/secrets.toml");
    ::setenv("XDG_CONFIG_HOME", "", 1);
    EXPECT_EQ(default_secrets_path(), "/home/someone/.config/okxkit/secrets.toml");
    ::unsetenv("XDG_CONFIG_HOME");
    EXPECT_EQ(default_secrets_path(), "/home/someone/.config/okxkit/secrets.toml");
}

} // namespace
} // namespace okxkit::okx
