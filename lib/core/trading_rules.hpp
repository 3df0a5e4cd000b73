// Internal to lib/core: the rules the typed trading messages' writers and parsers share, so
// that a writer never writes what a parser rejects (trading.cpp, trading_parse.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace okxkit::core::trading_rules {

// What is wrong with a price inside tp or sl, or nullopt.
std::optional<std::string_view> price_problem(double px);
// What is wrong with a tp rung's fraction of the size, or nullopt.
std::optional<std::string_view> frac_problem(double frac);
// What is wrong with a trailing stop's distance, or nullopt.
std::optional<std::string_view> offset_problem(double offset);
// "tp[3].px"
std::string indexed(std::string_view array, std::size_t i, std::string_view member = {});
// "components.adx"
std::string dotted(std::string_view object, std::string_view member);

} // namespace okxkit::core::trading_rules
