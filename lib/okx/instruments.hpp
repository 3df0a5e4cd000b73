// OKX's instrument list (GET /api/v5/public/instruments) and symbol checks against it.
#pragma once

#include "core/instrument.hpp"
#include "okx/rest.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace okxkit::okx {

// The instType of an instId: "SWAP" for ...-SWAP, "FUTURES" for BASE-QUOTE-YYMMDD, "OPTION"
// for five parts, else "SPOT".
std::string inst_type_of(std::string_view inst);

// Fetches the instruments of inst_type. Throws OkxError like any request.
std::vector<core::InstrumentInfo> fetch_instruments(RestClient& client, std::string_view inst_type);

// Checks that every symbol is a live instrument of list. Throws core::UsageError naming the
// first that is not (and a listed instrument that looks alike, if any). O(symbols x list).
void check_symbols(const std::vector<std::string>& symbols,
                   const std::vector<core::InstrumentInfo>& list);

// What to do with the list of one instrument type once fetched (e.g. keep it in the store).
using InstrumentListSink =
    std::function<void(std::string_view inst_type, const std::vector<core::InstrumentInfo>&)>;

// Fetches OKX's list for the instrument types of symbols, hands each type's list to keep (when
// set) and checks every symbol against them (see check_symbols). One request per type.
void verify_symbols(RestClient& client, const std::vector<std::string>& symbols,
                    const InstrumentListSink& keep = {});

} // namespace okxkit::okx
