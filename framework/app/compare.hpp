#pragma once
// `runner compare`: a table of finished (or unfinished) runs, read from their files alone
// (config.yaml, history.csv, results.h5, summary.json).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace runner {

struct RunRow {
  std::string run;            // folder, relative to where it was found
  std::filesystem::path dir;  // the folder as found (for reading its other files)
  // completed | pruned (by a sweep's pruner) | interrupted (state.bin: `runner resume` goes
  // on) | failed (no summary and nothing to resume, or unreadable files: `problem` says why)
  std::string status;
  std::string problem;  // why the run's files could not be read
  [[nodiscard]] bool broken() const { return !problem.empty(); }
  std::map<std::string, std::string> config;  // flattened config.yaml: key path -> value
  std::optional<std::int64_t> best_epoch;
  std::map<std::string, double> at_best;     // history values at the best epoch (val_loss, ...)
  std::map<std::string, double> evaluation;  // test_loss, test_accuracy, validation_loss, ...
  std::int64_t epochs = 0;
  std::optional<double> seconds_per_epoch;
  std::optional<std::int64_t> params;
};

struct CompareOptions {
  std::string metric = "val_loss";   // ranks runs; best epoch = its min (or max for *acc*)
  std::string sort;                  // column to sort by; default the metric
  std::vector<std::string> filters;  // key=value on config paths or status
  std::string format = "table";      // table | csv | json | markdown
  std::size_t width = 0;             // table: the terminal's columns (0: no limit)
};

// Runs found under each path: a run folder itself, or any folder below holding config.yaml
// or history.csv (sweep folders, results/<experiment>/). Unreadable runs are kept as broken.
std::vector<RunRow> collect_runs(const std::vector<std::filesystem::path>& paths,
                                 const std::string& metric);

// The runs every KEY=VALUE filter keeps (a config key path, or `status`). A key no run has, a
// value no run has for it, or an unknown status is a ConfigError with a did-you-mean.
std::vector<RunRow> filter_runs(std::vector<RunRow> rows, const std::vector<std::string>& filters);

// The comparison as cells: runs filtered and sorted, with the config keys that vary.
struct ComparisonTable {
  std::vector<std::string> header;
  // One line per run, in table order, numbers at full precision (csv and json keep them).
  std::vector<std::vector<std::string>> cells;
  std::vector<int> decimals;  // per column: how many a table shows (-1: the cell as is)
  // Per column: which a narrow view keeps (higher first). 100 run; 90 status, the best metric;
  // 80 the settings that vary; 60 validation, 55 test metrics; 50 best epoch; 40 epochs;
  // 30 training metrics; 25 params; 20 s/epoch.
  std::vector<int> importance;
  std::vector<RunRow> runs;         // the same runs, same order
  std::vector<std::string> varied;  // config key paths that differ between runs
  // The cell as tables show it: numbers rounded to the column's decimals.
  [[nodiscard]] std::string shown(std::size_t row, std::size_t column) const;
};
ComparisonTable comparison_table(std::vector<RunRow> rows, const CompareOptions& options);

// The formatted comparison (columns: run, status, the config values that differ between
// runs, best epoch, best metric, the other metrics at that epoch, test metrics, epochs,
// s/epoch, params).
std::string format_comparison(std::vector<RunRow> rows, const CompareOptions& options);

}  // namespace runner
