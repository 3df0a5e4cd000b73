// Unit tests for lib/okx/signer: OKX signature vectors, RFC 4231 HMAC, RFC 4648 base64.
#include "okx/signer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace okxkit::okx {
namespace {

nlohmann::json load_vectors() {
    std::ifstream in(OKXKIT_SOURCE_DIR "/tests/unit/data/okx/vectors_signature.json");
    EXPECT_TRUE(in.good()) << "missing tests/unit/data/okx/vectors_signature.json";
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

TEST(OkxSigner, AllFixtureVectors) {
    const nlohmann::json vectors = load_vectors();
    ASSERT_EQ(vectors.size(), 5U);
    for (const auto& v : vectors) {
        SCOPED_TRACE(v.at("id").get<std::string>());
        const auto secret = v.at("secret").get<std::string>();
        const auto sign = v.at("sign").get<std::string>();
        EXPECT_EQ(sign_request(secret, v.at("timestamp").get<std::string>(),
                               v.at("method").get<std::string>(),
                               v.at("requestPath").get<std::string>(),
                               v.at("body").get<std::string>()),
                  sign);
        EXPECT_EQ(hmac_sha256_base64(secret, v.at("prehash").get<std::string>()), sign);
        EXPECT_EQ(sign.size(), 44U);
    }
}

TEST(OkxSigner, V1ByHand) {
    // The one vector asserted by a third party (nautilus_trader), independent of the file.
    EXPECT_EQ(sign_request("chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO",
                           "2020-12-08T09:08:57.715Z", "GET", "/api/v5/account/balance", ""),
              "PJ61e1nb2F2Qd7D8SPiaIcx2gjdELc+o0ygzre9z33k=");
}

TEST(OkxSigner, MethodIsUpperCasedInPrehash) {
    const std::string secret = "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO";
    EXPECT_EQ(
        sign_request(secret, "2020-12-08T09:08:57.715Z", "get", "/api/v5/account/balance", ""),
        "PJ61e1nb2F2Qd7D8SPiaIcx2gjdELc+o0ygzre9z33k=");
}

TEST(OkxSigner, SignatureDependsOnEveryPart) {
    const std::string secret = "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO";
    const std::string base =
        sign_request(secret, "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", "{}");
    EXPECT_NE(
        sign_request(secret + "x", "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", "{}"),
        base);
    EXPECT_NE(sign_request(secret, "2020-12-08T09:08:57.716Z", "POST", "/api/v5/trade/order", "{}"),
              base);
    EXPECT_NE(
        sign_request(secret, "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", "{ }"),
        base);
}

TEST(OkxSigner, Rfc4231TestCase2) {
    // Key "Jefe", data "what do ya want for nothing?"; HMAC-SHA256 =
    // 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
    EXPECT_EQ(hmac_sha256_base64("Jefe", "what do ya want for nothing?"),
              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

TEST(OkxSigner, HmacOfEmptyInputs) {
    // python3: base64(hmac.new(b"", b"", sha256).digest()).
    EXPECT_EQ(hmac_sha256_base64("", ""), "thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
    // Default-constructed views have null data pointers.
    EXPECT_EQ(hmac_sha256_base64(std::string_view(), std::string_view()),
              "thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
}

TEST(OkxSigner, Base64Rfc4648) {
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("foob"), "Zm9vYg==");
    EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(OkxSigner, Base64HighBytesAndNoNewlines) {
    EXPECT_EQ(base64(std::string("\xff\xfe\xfd\x00\x80", 5)), "//79AIA=");
    const std::string long_text(200, 'a');
    const std::string encoded = base64(long_text);
    EXPECT_EQ(encoded.size(), 268U);
    EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

TEST(OkxSigner, AccessTimestampHasThreeMillisecondDigits) {
    EXPECT_EQ(access_timestamp(1607418537715), "2020-12-08T09:08:57.715Z");
    EXPECT_EQ(access_timestamp(1607418537000), "2020-12-08T09:08:57.000Z");
    EXPECT_EQ(access_timestamp(1607418537007), "2020-12-08T09:08:57.007Z");
    EXPECT_EQ(access_timestamp(1607418537070), "2020-12-08T09:08:57.070Z");
    EXPECT_EQ(access_timestamp(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(access_timestamp(951782400999), "2000-02-29T00:00:00.999Z");
}

TEST(OkxSigner, AccessTimestampShapeOverADay) {
    // Every timestamp is 24 characters: YYYY-MM-DDTHH:MM:SS.mmmZ.
    for (std::int64_t ms = 1700000000000; ms < 1700000000000 + 86'400'000; ms += 997) {
        const std::string ts = access_timestamp(ms);
        ASSERT_EQ(ts.size(), 24U) << ts;
        ASSERT_EQ(ts[19], '.') << ts;
        ASSERT_EQ(ts.back(), 'Z') << ts;
    }
}

} // namespace
} // namespace okxkit::okx
