// lib/okx's REST client on OKX's private endpoints, against a fake-okx started here on
// 127.0.0.1: signed requests accepted, the clock offset learned from /public/time, OKX's
// auth codes surfaced without a retry, and no request without credentials.
#include "core/error.hpp"
#include "okx/envelope.hpp"
#include "okx/rest.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawn's argument

namespace okxkit::okx {
namespace {

constexpr std::int64_t kServerNow = 1607418537715; // 2020-12-08T09:08:57.715Z: far from now

Credentials vector_key() {
    return {"985d5b66-57ce-40fb-b714-afc0b9787083",
            "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO", "1234567890"};
}

// A fake-okx for one test: started with args, stopped (SIGTERM, exit 0 expected) at the end.
class FakeOkx {
public:
    explicit FakeOkx(std::vector<std::string> args) {
        dir_ = std::filesystem::temp_directory_path() /
               ("okxkit-private-" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
        std::filesystem::create_directories(dir_);
        const std::string port_file = (dir_ / "port").string();
        std::vector<std::string> all = {OKXKIT_FAKE_OKX,
                                        "--port",
                                        "0",
                                        "--port-file",
                                        port_file,
                                        "--now",
                                        std::to_string(kServerNow),
                                        "--no-rate-limit"};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& a : all) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, OKXKIT_FAKE_OKX, nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start fake-okx");
        }
        // Until it has written its port (a readiness wait; nothing here is timed).
        for (int i = 0; i < 400 && !std::filesystem::exists(port_file); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        std::ifstream in(port_file);
        int port = 0;
        in >> port;
        if (port <= 0) {
            throw std::runtime_error("fake-okx did not write its port");
        }
        url_ = "http://127.0.0.1:" + std::to_string(port);
    }
    ~FakeOkx() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    FakeOkx(const FakeOkx&) = delete;
    FakeOkx& operator=(const FakeOkx&) = delete;
    [[nodiscard]] const std::string& url() const { return url_; }

private:
    static inline int count_ = 0;
    pid_t pid_ = 0;
    std::filesystem::path dir_;
    std::string url_;
};

RestOptions options_for(const FakeOkx& fake, bool demo, std::optional<Credentials> cred) {
    RestOptions o;
    o.base_url = fake.url();
    o.demo = demo;
    o.max_retries = 0;
    o.credentials = std::move(cred);
    return o;
}

TEST(OkxPrivateRest, ASignedRequestGetsTheBalanceAtTheServersClock) {
    FakeOkx fake({"--balance", "USDT=2500.5"});
    RestClient client(options_for(fake, true, vector_key()));
    const nlohmann::json data = client.get_private("/api/v5/account/balance", {{"ccy", "USDT"}});
    ASSERT_EQ(data.size(), 1U);
    ASSERT_EQ(data[0]["details"].size(), 1U);
    EXPECT_EQ(data[0]["details"][0]["ccy"], "USDT");
    EXPECT_EQ(data[0]["details"][0]["availBal"], "2500.5");
    // The server's clock is six years behind this machine's: the client signed at its time.
    const std::int64_t local = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    EXPECT_NEAR(static_cast<double>(client.clock_offset_ms()),
                static_cast<double>(kServerNow - local), 30'000.0);
    // One /public/time, then the balance; a second private request needs no new time.
    EXPECT_EQ(client.requests(), 2U);
    client.get_private("/api/v5/account/balance", {});
    EXPECT_EQ(client.requests(), 3U);
}

TEST(OkxPrivateRest, AuthFailuresComeBackWithOkxsCodeAndAreNotRetried) {
    FakeOkx fake({});
    Credentials wrong = vector_key();
    wrong.passphrase = "not-it";
    RestClient client(options_for(fake, true, wrong));
    try {
        client.get_private("/api/v5/account/balance", {});
        FAIL() << "a wrong passphrase was accepted";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "50105");
        EXPECT_EQ(e.http_status(), 401);
        EXPECT_EQ(std::string(e.what()).find("not-it"), std::string::npos) << e.what();
    }
    // A demo key without the simulated-trading header: the wrong environment.
    RestClient live(options_for(fake, false, vector_key()));
    try {
        live.get_private("/api/v5/account/balance", {});
        FAIL() << "a demo key was accepted without x-simulated-trading";
    } catch (const OkxError& e) {
        EXPECT_EQ(e.okx_code(), "50101");
    }
    // A live key, and a client that does not send the header: accepted.
    FakeOkx live_fake({"--live-key"});
    RestClient live_ok(options_for(live_fake, false, vector_key()));
    EXPECT_NO_THROW(live_ok.get_private("/api/v5/account/balance", {}));
}

TEST(OkxPrivateRest, NoCredentialsNoRequest) {
    FakeOkx fake({});
    RestClient client(options_for(fake, true, std::nullopt));
    EXPECT_THROW(client.get_private("/api/v5/account/balance", {}), core::UsageError);
    EXPECT_EQ(client.requests(), 0U);
}

} // namespace
} // namespace okxkit::okx
