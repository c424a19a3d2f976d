#include <fmt/format.h>

#include <iostream>

#include "framework/app/report/report.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"

namespace runner::cli {

int report_command(const std::vector<std::string>& args) {
  std::vector<std::string> folders;
  std::string output;
  report::ReportOptions options;
  bool help = false;
  po::options_description desc(
      "runner report DIR... [options]\n"
      "Writes one self-contained report.html for a run folder, a sweep folder or several runs");
  desc.add_options()("folders", po::value(&folders), "run, sweep or results folders")(
      "output,o", po::value(&output),
      "the HTML file (default: DIR/report.html for one folder, ./report.html for several)")(
      "metric", po::value(&options.metric)->default_value(options.metric),
      "ranks the runs and fills the overlay and the heat map")(
      "title", po::value(&options.title), "the report's heading (default: the folder names)")(
      "help,h", po::bool_switch(&help), "show this help");
  parse(args, desc, {"folders"}, "report", true);
  if (help) {
    std::cout << desc;
    return 0;
  }
  if (folders.empty()) {
    throw ConfigError("runner report: missing DIR (a run folder, a sweep folder or results/)");
  }
  std::vector<std::filesystem::path> dirs(folders.begin(), folders.end());
  for (const auto& d : dirs) {
    if (!std::filesystem::is_directory(d)) {
      throw ConfigError(fmt::format("runner report: {}: no such folder", d.string()));
    }
  }
  options.output = output.empty() ? (dirs.size() == 1 ? dirs[0] / "report.html"
                                                      : std::filesystem::path("report.html"))
                                  : std::filesystem::path(output);
  const std::string html = report::build_report(dirs, options);
  if (options.output.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output.parent_path(), ec);
    if (ec) {
      throw Error(fmt::format("runner report: cannot create {}: {}",
                              options.output.parent_path().string(), ec.message()));
    }
  }
  write_text_file(options.output, html);
  fmt::print("wrote {} ({:.1f} kB)\n", options.output.string(),
             static_cast<double>(html.size()) / 1024.0);
  return 0;
}

}  // namespace runner::cli
