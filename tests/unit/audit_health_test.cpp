// lib/audit health's grading and text, and the --listen address parser.
#include "audit/health.hpp"
#include "audit/serve.hpp"
#include "core/error.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace okxkit::audit {
namespace {

TEST(AuditHealth, AValuePastAThresholdWarnsOrFailsOnTheWorseSide) {
    // Higher is worse: a value equal to a threshold is still within it.
    EXPECT_EQ(grade(600, 600, 1500, true), Status::kPass);
    EXPECT_EQ(grade(601, 600, 1500, true), Status::kWarn);
    EXPECT_EQ(grade(1500, 600, 1500, true), Status::kWarn);
    EXPECT_EQ(grade(1501, 600, 1500, true), Status::kFail);
    // Lower is worse (free disk, skill).
    EXPECT_EQ(grade(0.52, 0.52, 0.5, false), Status::kPass);
    EXPECT_EQ(grade(0.51, 0.52, 0.5, false), Status::kWarn);
    EXPECT_EQ(grade(0.49, 0.52, 0.5, false), Status::kFail);
    // No threshold: nothing to fail. A value that is not a number fails any threshold set.
    EXPECT_EQ(grade(1e300, std::nullopt, std::nullopt, true), Status::kPass);
    EXPECT_EQ(grade(std::nan(""), std::nullopt, 1, true), Status::kFail);
    EXPECT_EQ(grade(std::nan(""), 1, std::nullopt, true), Status::kWarn);
}

TEST(AuditHealth, TheTextLineCarriesValueUnitThresholdsAndDetail) {
    Check c{"gaps", "BTC-USDT 5m", Status::kFail, 12.0, "bars", 0.0, 10.0, true, "1 hole"};
    EXPECT_EQ(check_text(c),
              "FAIL  gaps BTC-USDT 5m: 12 bars (warn above 0 bars, fail above 10 bars); 1 hole");
    Check d{"disk", "/var", Status::kPass, 123456.0, "MB", 1024.0, 100.0, false, "free"};
    EXPECT_EQ(check_text(d),
              "pass  disk /var: 123,456 MB (warn below 1,024 MB, fail below 100 MB); free");
    Check e{"integrity",  "",   Status::kPass,
            std::nullopt, "",   std::nullopt,
            std::nullopt, true, "PRAGMA integrity_check: ok"};
    EXPECT_EQ(check_text(e), "pass  integrity: PRAGMA integrity_check: ok");
    Check f{"model_age", "ETH-USDT 1H", Status::kWarn, 9.5, "d", 7.0, std::nullopt, true, ""};
    EXPECT_EQ(check_text(f), "WARN  model_age ETH-USDT 1H: 9.5 d (warn above 7 d)");
}

TEST(AuditServe, ListenAddressesDefaultToLoopback) {
    ListenAddress a = parse_listen("9108");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 9108);
    a = parse_listen("0.0.0.0:80");
    EXPECT_EQ(a.host, "0.0.0.0");
    EXPECT_EQ(a.port, 80);
    a = parse_listen("[::1]:0");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 0);
    for (const char* bad :
         {"", ":80", "localhost:", "host:http", "65536", "1:2:x", "[::1]80", "-1", "123456"}) {
        EXPECT_THROW(parse_listen(bad), core::UsageError) << bad;
    }
}

} // namespace
} // namespace okxkit::audit
