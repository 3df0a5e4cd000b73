// Internal to lib/strategy: reading the rules of a rules strategy file.
#pragma once

#include "strategy/params.hpp"
#include "strategy/rules.hpp"

#include <string>
#include <toml++/toml.h>
#include <vector>

namespace okxkit::strategy {

// Checks the keys of a rules file other than kind and name (fits, indicators, conditions,
// actions) and appends every problem found to *problems, in file order, each naming its key as
// a dotted path (conditions.golden.a). *out is the graph when none was found.
void check_rules(const std::string& path, const toml::table& t, Rules* out,
                 std::vector<Problem>* problems);

} // namespace okxkit::strategy
