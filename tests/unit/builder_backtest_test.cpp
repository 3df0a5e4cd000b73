// lib/builder/backtest: SHA-256 against FIPS 180-2's vectors, the id's parts, the children's
// scrubbed environment, and the pipeline runner (pipes, exit statuses, stderr's bounded tail,
// the deadline that kills) on small programs of the system.
#include "builder/backtest.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace okxkit::builder {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

TEST(BuilderBacktest, Sha256Vectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BuilderBacktest, IdFollowsEveryPart) {
    const fs::path dir = fs::path(::testing::TempDir()) / "okxkit_backtest_id";
    fs::create_directories(dir);
    auto write = [&](const char* name, const char* text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        return dir / name;
    };
    const fs::path a = write("A-USDT_5m.csv", "x");
    const fs::path b = write("B-USDT_5m.csv", "y");
    const std::string id = backtest_id("1.0", "kind = \"trend\"\n", {a, b});
    EXPECT_TRUE(is_backtest_id(id));
    EXPECT_EQ(id, backtest_id("1.0", "kind = \"trend\"\n", {a, b}));
    EXPECT_NE(id, backtest_id("1.1", "kind = \"trend\"\n", {a, b}));
    EXPECT_NE(id, backtest_id("1.0", "kind = \"trend\" \n", {a, b}));
    EXPECT_NE(id, backtest_id("1.0", "kind = \"trend\"\n", {a}));
    EXPECT_NE(id, backtest_id("1.0", "kind = \"trend\"\n", {b, a}));
    write("B-USDT_5m.csv", "z");
    EXPECT_NE(id, backtest_id("1.0", "kind = \"trend\"\n", {a, b}));
    // Lengths come first: moving a byte from one part to the next is another id.
    EXPECT_NE(backtest_id("1.0", "ab", {}), backtest_id("1.0a", "b", {}));
    fs::remove_all(dir);
}

TEST(BuilderBacktest, IdShape) {
    EXPECT_TRUE(is_backtest_id(std::string(64, 'a')));
    EXPECT_FALSE(is_backtest_id(std::string(64, 'A')));
    EXPECT_FALSE(is_backtest_id(std::string(63, 'a')));
    EXPECT_FALSE(is_backtest_id(std::string(65, 'a')));
    std::string path(62, 'a');
    path.append("/."); // append: GCC 12 warns falsely on string + literal (-Warray-bounds)
    EXPECT_FALSE(is_backtest_id(path));
}

TEST(BuilderBacktest, ChildEnvironmentKeepsOnlyTheAllowedNames) {
    const char* env[] = {"PATH=/usr/bin",
                         "HOME=/home/me",
                         "LANG=C.UTF-8",
                         "LC_ALL=C",
                         "TZ=UTC",
                         "TMPDIR=/tmp",
                         "XDG_DATA_HOME=/d",
                         "XDG_CONFIG_HOME=/users/own",
                         "OKX_API_KEY=k",
                         "OKX_API_SECRET=s",
                         "OKX_API_PASSPHRASE=p",
                         "OKX_REST_URL=http://x",
                         "OKXKIT_CONFIG=/c.toml",
                         "OKXKIT_STORE=/s.db",
                         "LD_PRELOAD=/evil.so",
                         "PATHX=1",
                         "XDG_=",
                         "noequals",
                         nullptr};
    const std::vector<std::string> want{
        "PATH=/usr/bin",    "HOME=/home/me", "LANG=C.UTF-8",
        "LC_ALL=C",         "TZ=UTC",        "TMPDIR=/tmp",
        "XDG_DATA_HOME=/d", "XDG_=",         "XDG_CONFIG_HOME=/run"};
    EXPECT_EQ(child_environment(env, "/run"), want);
    EXPECT_EQ(child_environment(nullptr, "/run"), std::vector<std::string>{"XDG_CONFIG_HOME=/run"});
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BuilderBacktest, PipelineConnectsStagesAndReportsEachStatus) {
    const fs::path out = fs::path(::testing::TempDir()) / "okxkit_backtest_out";
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    std::string stopped;
    const auto ends =
        run_pipeline({{"/bin/echo", "hello"}, {"/usr/bin/tr", "a-z", "A-Z"}},
                     {"PATH=/usr/bin:/bin"}, fd, Clock::now() + std::chrono::minutes(1), &stopped);
    ::close(fd);
    EXPECT_EQ(stopped, "");
    ASSERT_EQ(ends.size(), 2U);
    EXPECT_EQ(ends[0].status, 0);
    EXPECT_EQ(ends[1].status, 0);
    EXPECT_EQ(slurp(out), "HELLO\n");
    fs::remove(out);
}

TEST(BuilderBacktest, PipelineKeepsTheEndOfStderrAndTheExitStatus) {
    std::string stopped;
    // 100,000 bytes of stderr, then "last", then exit 3; the environment is exactly the one given.
    const auto ends = run_pipeline(
        {{"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; echo last >&2; exit 3"},
         {"/bin/sh", "-c", "env >&2"}},
        {"PATH=/usr/bin:/bin", "ONLY=this"}, -1, Clock::now() + std::chrono::minutes(1), &stopped);
    EXPECT_EQ(stopped, "");
    ASSERT_EQ(ends.size(), 2U);
    EXPECT_EQ(ends[0].status, 3);
    EXPECT_EQ(ends[0].stderr_bytes, 100005U);
    EXPECT_EQ(ends[0].tail.size(), kStderrTail);
    EXPECT_EQ(ends[0].tail.substr(ends[0].tail.size() - 6), "xlast\n");
    EXPECT_NE(ends[1].tail.find("ONLY=this"), std::string::npos);
    EXPECT_EQ(ends[1].tail.find("HOME="), std::string::npos);
}

TEST(BuilderBacktest, PipelineMissingProgramIs127) {
    std::string stopped;
    const auto ends = run_pipeline({{"/nonexistent/okx-stream"}}, {}, -1,
                                   Clock::now() + std::chrono::minutes(1), &stopped);
    ASSERT_EQ(ends.size(), 1U);
    EXPECT_EQ(ends[0].status, 127);
    EXPECT_NE(ends[0].tail.find("cannot run"), std::string::npos);
}

TEST(BuilderBacktest, PipelineKillsEveryStageAtTheDeadline) {
    std::string stopped;
    const auto t0 = Clock::now();
    const auto ends = run_pipeline({{"/bin/sleep", "30"}, {"/bin/sleep", "30"}}, {}, -1,
                                   t0 + std::chrono::milliseconds(100), &stopped);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(10)); // killed, not waited for
    EXPECT_NE(stopped.find("time limit"), std::string::npos);
    ASSERT_EQ(ends.size(), 2U);
    EXPECT_EQ(ends[0].status, 128 + 9);
    EXPECT_EQ(ends[1].status, 128 + 9);
}

} // namespace
} // namespace okxkit::builder
