// OKX's instrument list (GET /api/v5/public/instruments) and symbol checks against it.
#pragma once

#include "okx/rest.hpp"
#include "store/store.hpp"

#include <string>
#include <vector>

namespace okxkit::okx {

// The instType of an instId: "SWAP" for ...-SWAP, "FUTURES" for BASE-QUOTE-YYMMDD, "OPTION"
// for five parts, else "SPOT".
std::string inst_type_of(std::string_view inst);

// Fetches the instruments of inst_type. Throws OkxError like any request.
std::vector<store::InstrumentRow> fetch_instruments(RestClient& client, std::string_view inst_type);

// Checks that every symbol is a live instrument of list. Throws core::UsageError naming the
// first that is not (and a listed instrument that looks alike, if any). O(symbols x list).
void check_symbols(const std::vector<std::string>& symbols,
                   const std::vector<store::InstrumentRow>& list);

// Fetches OKX's list for the instrument types of symbols, keeps it in store (when given, stamped
// updated_ms) and checks every symbol against it (see check_symbols). One request per type.
void verify_symbols(RestClient& client, const std::vector<std::string>& symbols,
                    store::Store* store, std::int64_t updated_ms);

} // namespace okxkit::okx
