// OKX instrument ids: normalising what users type ("BTCUSDT", "btc/usdt") to "BTC-USDT".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace okxkit::core {

// Normalises an instrument name to an OKX instId, upper case with '-' separators:
// "BTCUSDT", "btc-usdt", "BTC/USDT", "btc_usdt" → "BTC-USDT"; "BTC-USDT-SWAP" and
// "BTC-USD-250627" are kept. A name without a separator is split before a known quote
// currency (USDT, USDC, USD, BTC, ETH, EUR, ...). Returns nullopt when the text cannot be
// an instrument (empty parts, characters other than letters, digits and separators, or
// no known quote to split on). This is the offline fallback; the instrument list from
// OKX, where available, is the authority.
std::optional<std::string> normalize_inst(std::string_view text);

// True when text is already a normalised instId (normalize_inst(text) == text).
bool is_inst_id(std::string_view text);

// One instrument of OKX's list (GET /api/v5/public/instruments) as okx fetches it and the
// store keeps it; tick, lot and minimum sizes stay OKX's decimal strings.
struct InstrumentInfo {
    std::string inst;
    std::string inst_type;
    std::string base_ccy, quote_ccy;
    std::string tick_sz, lot_sz, min_sz;
    std::string state;
};

} // namespace okxkit::core
