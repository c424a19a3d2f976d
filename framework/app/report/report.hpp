#pragma once
// `runner report`: one self-contained HTML file for a run, a sweep or several runs. Pictures
// are embedded as data: URIs and the style sheet inline, so the file opens from disk with no
// server and no network; links to the runs' files are relative to the report.
#include <filesystem>
#include <string>
#include <vector>

namespace runner::report {

struct ReportOptions {
  std::string metric = "val_loss";  // ranks runs and draws the overlay and heat map
  std::filesystem::path output;     // where the HTML goes (links are made relative to it)
  std::string title;                // empty: from the folders' names
};

// Reads the runs under `dirs` (as `runner compare` finds them) and returns the HTML. Throws
// ConfigError when a folder does not exist or holds no runs.
std::string build_report(const std::vector<std::filesystem::path>& dirs,
                         const ReportOptions& options);

}  // namespace runner::report
