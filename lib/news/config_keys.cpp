// The news module's config keys.
#include "news/config_keys.hpp"

#include <array>

namespace okxkit::news {

namespace {

using T = core::ConfigType;

constexpr std::array<core::ConfigKey, 12> kKeys{{
    {"news.assume_delay", T::kString,
     "replay: how long after its published time a CSV item is taken as seen, e.g. \"5m\" "
     "(like --assume-delay)"},
    {"news.aliases", T::kStrings,
     R"(more names of instruments, each "BASE=name" such as "SOL=solana" (like --alias))"},
    {"news.lexicon", T::kString, "the VADER lexicon file (like --lexicon; default: built in)"},
    {"news.overlay", T::kString,
     R"(the overlay of crypto terms: a file, "crypto" (built in) or "none" (like --overlay))"},
    {"news.explain", T::kBoolean, "add the terms that moved each score (like --explain)"},
    {"news.feeds", T::kStrings, "the RSS and Atom feeds to poll, http(s) URLs (like --feeds)"},
    {"news.every", T::kString, "how often each feed is polled, e.g. \"5m\" (like --every)"},
    {"news.timeout", T::kString,
     "the longest a feed request may take, e.g. \"30s\" (like --timeout)"},
    {"news.connect_timeout", T::kString,
     "the longest a connection to a feed may take to set up, e.g. \"10s\" (like "
     "--connect-timeout)"},
    {"news.host_gap", T::kString,
     "the pause between two requests to one host, e.g. \"1s\" (like --host-gap)"},
    {"news.max_size", T::kInteger, "the largest feed answer read, in bytes (like --max-size)"},
    {"news.forget", T::kString,
     "how long an item no feed carries any more is remembered, e.g. \"90d\" (like --forget)"},
}};

} // namespace

std::span<const core::ConfigKey> config_keys() {
    return kKeys;
}

} // namespace okxkit::news
