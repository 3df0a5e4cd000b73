// Internal to lib/features: the feature families, each a name with parameter kinds, a
// definition for --list and man featurize, its default parameter sets and its builder.
#pragma once

#include "features/builders.hpp"

#include <functional>
#include <string>
#include <vector>

namespace okxkit::features {

using Build = std::function<FeatureSlot(Graph&, const build::P&)>;

// Parameter kinds: 'n' integer >= 1, 'm' integer >= 2, 'x' number > 0.
struct Family {
    std::string name;
    std::string group;
    std::string params;
    std::string definition;         // {0} {1} {2}: the parameters; {p}: all of them joined by '_'
    std::vector<build::P> defaults; // parameter sets in the default set, in order
    Build build;
    std::string warm_note = {}; // for --list where the warm-up is not a count of candles
    // Not in the default set: a set asks for it by name or by its group (`groups` in a set
    // file), which then adds the parameter sets of `defaults`.
    bool opt_in = false;
};

// Every family, in the order of the default set and of featurize --list.
const std::vector<Family>& families();

} // namespace okxkit::features
