// news: headlines with the instruments they name and their sentiment, as news lines (see
// news(1)).
#include "core/cli.hpp"
#include "news/news_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::core::run_tool(okxkit::news::news_spec(), argc, argv, okxkit::news::news_main);
}
