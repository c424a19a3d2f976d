#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "framework/app/compare.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/text_table.hpp"

namespace runner::cli {

int compare_command(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  CompareOptions options;
  bool help = false;
  po::options_description desc(
      "runner compare DIR... [options]\n"
      "Compares finished runs from their files: run folders, sweep folders or results/<name>/");
  desc.add_options()("dirs", po::value(&dirs)->composing(), "folders to read")(
      "metric", po::value(&options.metric)->default_value("val_loss"),
      "the metric whose best epoch is reported and ranked by (accuracies rank high-first)")(
      "sort", po::value(&options.sort), "column to sort by (default: best_<metric>)")(
      "filter", po::value(&options.filters)->composing(),
      "keep runs whose config KEY=VALUE (e.g. model.layers.dropout.rate=0.4, status=completed; "
      "statuses: completed, pruned, interrupted, failed); repeatable, all must hold")(
      "format", po::value(&options.format)->default_value("table"),
      "table | csv | json | markdown")("help,h", po::bool_switch(&help), "show this help");
  parse(args, desc, {"dirs"}, "compare", /*last_repeats=*/true);
  if (help) {
    std::cout << desc;
    return 0;
  }
  if (dirs.empty()) {
    throw ConfigError("runner compare: give at least one folder");
  }
  if (options.format != "table" && options.format != "csv" && options.format != "json" &&
      options.format != "markdown") {
    throw ConfigError(fmt::format(
        "runner compare: --format must be table, csv, json or markdown, got '{}'", options.format));
  }
  std::vector<std::filesystem::path> paths(dirs.begin(), dirs.end());
  const auto rows = collect_runs(paths, options.metric);
  if (rows.empty()) {
    throw ConfigError("runner compare: no run folders found under the given folders");
  }
  if (!options.filters.empty() && filter_runs(rows, options.filters).empty()) {
    fmt::print(stderr, "runner compare: no run matches {} ({} run{} read)\n",
               fmt::join(options.filters, " and "), rows.size(), rows.size() == 1 ? "" : "s");
    return 1;
  }
  options.width = output_width(stdout);
  fmt::print("{}", format_comparison(rows, options));
  return 0;
}

}  // namespace runner::cli
