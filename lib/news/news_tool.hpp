// The news tool: recorded headlines replayed in the order a live run would have seen them,
// each tagged with the instruments it names and scored for sentiment (see news(1)).
#pragma once

#include "core/cli.hpp"

namespace okxkit::news {

const core::ToolSpec& news_spec();
int news_main(const core::Options& options);

} // namespace okxkit::news
