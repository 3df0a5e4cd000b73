// OKX v5 request signing: access timestamps, base64 and HMAC-SHA256 (okx-v5-protocol.md §3).
#include "okx/signer.hpp"

#include "core/error.hpp"
#include "core/timeutil.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace okxkit::okx {

std::string access_timestamp(std::int64_t ms) {
    std::string text = core::format_iso_ms(ms);
    // format_iso_ms drops a zero ".000", but OKX rejects a timestamp without exactly three
    // millisecond digits (50112).
    const std::int64_t frac = ((ms % 1000) + 1000) % 1000;
    if (frac == 0) {
        text.insert(text.size() - 1, ".000");
    }
    return text;
}

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string hmac_sha256_base64(std::string_view secret, std::string_view prehash) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    // OpenSSL 3.0's HMAC() fails when key and data are both null, as empty views may be.
    static constexpr unsigned char kEmpty = 0;
    const void* key = secret.data() != nullptr ? secret.data() : static_cast<const void*>(&kEmpty);
    const auto* data = prehash.data() != nullptr
                           ? reinterpret_cast<const unsigned char*>(prehash.data())
                           : &kEmpty;
    if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, prehash.size(), mac.data(),
             &mac_len) == nullptr) {
        throw core::RuntimeError("hmac-sha256 failed in openssl");
    }
    return base64(std::string_view(reinterpret_cast<const char*>(mac.data()), mac_len));
}

std::string sign_request(std::string_view secret, std::string_view timestamp,
                         std::string_view method, std::string_view request_path,
                         std::string_view body) {
    std::string prehash;
    prehash.reserve(timestamp.size() + method.size() + request_path.size() + body.size());
    prehash.append(timestamp);
    // The prehash wants the method in upper case (§3) whatever case the caller used.
    for (const char c : method) {
        prehash += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    prehash.append(request_path).append(body);
    return hmac_sha256_base64(secret, prehash);
}

} // namespace okxkit::okx
