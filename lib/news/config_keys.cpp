// The news module's config keys.
#include "news/config_keys.hpp"

#include <array>

namespace okxkit::news {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 5> kKeys{{
    {"news.assume_delay", T::kString,
     "replay: how long after its published time a CSV item is taken as seen, e.g. \"5m\" "
     "(like --assume-delay)"},
    {"news.aliases", T::kStrings,
     R"(more names of instruments, each "BASE=name" such as "SOL=solana" (like --alias))"},
    {"news.lexicon", T::kString, "the VADER lexicon file (like --lexicon; default: built in)"},
    {"news.overlay", T::kString,
     R"(the overlay of crypto terms: a file, "crypto" (built in) or "none" (like --overlay))"},
    {"news.explain", T::kBoolean, "add the terms that moved each score (like --explain)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::news
