// Instrument list fetching and symbol validation.
#include "okx/instruments.hpp"

#include "core/error.hpp"
#include "okx/envelope.hpp"

#include <algorithm>

namespace okxkit::okx {

std::string inst_type_of(std::string_view inst) {
    const auto parts = std::count(inst.begin(), inst.end(), '-') + 1;
    if (parts == 3 && inst.size() > 5 && inst.substr(inst.size() - 5) == "-SWAP") {
        return "SWAP";
    }
    if (parts == 3) {
        return "FUTURES";
    }
    if (parts >= 5) {
        return "OPTION";
    }
    return "SPOT";
}

std::vector<core::InstrumentInfo> fetch_instruments(RestClient& client,
                                                    std::string_view inst_type) {
    nlohmann::json data =
        client.get("/api/v5/public/instruments", {{"instType", std::string(inst_type)}});
    std::vector<core::InstrumentInfo> out;
    auto text = [](const nlohmann::json& item, const char* key) {
        auto it = item.find(key);
        return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    for (const auto& item : data) {
        if (!item.is_object() || text(item, "instId").empty()) {
            throw OkxError("", "public/instruments item without instId", 200,
                           "GET /api/v5/public/instruments");
        }
        out.push_back({text(item, "instId"), text(item, "instType"), text(item, "baseCcy"),
                       text(item, "quoteCcy"), text(item, "tickSz"), text(item, "lotSz"),
                       text(item, "minSz"), text(item, "state")});
    }
    return out;
}

void check_symbols(const std::vector<std::string>& symbols,
                   const std::vector<core::InstrumentInfo>& list) {
    for (const std::string& sym : symbols) {
        auto it = std::find_if(list.begin(), list.end(),
                               [&](const core::InstrumentInfo& r) { return r.inst == sym; });
        if (it != list.end()) {
            if (it->state != "live") {
                throw core::UsageError(sym + " is not trading on OKX (state " + it->state + ")");
            }
            continue;
        }
        std::string hint;
        const std::string base = sym.substr(0, sym.find('-'));
        for (const auto& r : list) {
            if (r.base_ccy == base || r.inst.substr(0, r.inst.find('-')) == base) {
                hint = " (OKX lists " + r.inst + ")";
                break;
            }
        }
        std::string msg = sym;
        msg += " is not an OKX instrument";
        msg += hint;
        throw core::UsageError(msg);
    }
}

void verify_symbols(RestClient& client, const std::vector<std::string>& symbols,
                    const InstrumentListSink& keep) {
    std::vector<std::string> types;
    for (const auto& inst : symbols) {
        std::string type = inst_type_of(inst);
        if (std::find(types.begin(), types.end(), type) == types.end()) {
            types.push_back(type);
        }
    }
    std::vector<core::InstrumentInfo> listed;
    for (const auto& type : types) {
        auto rows = fetch_instruments(client, type);
        if (keep) {
            keep(type, rows);
        }
        listed.insert(listed.end(), rows.begin(), rows.end());
    }
    check_symbols(symbols, listed);
}

} // namespace okxkit::okx
