#pragma once
// Runs a sweep: every trial is an ordinary run folder under <results_dir>/<sweep name>/,
// named by the hash of its resolved config, so a re-run skips finished trials (and adding
// values to the grid runs only the new ones). Trials run `concurrency` at a time, each in a
// oneTBB arena with its share of the threads; a trial's numbers do not depend on it.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "framework/config/sweep.hpp"
#include "framework/history.hpp"

namespace runner {

struct TrialResult {
  std::string id;  // "trial-<hash>"
  Trial trial;
  std::filesystem::path dir;
  std::string status;  // done | skipped (finished before) | failed
  std::string error;
  History history;
  double best = 0;  // the sweep metric, best over the history (or the evaluation)
  std::int64_t best_epoch = 0;
  std::map<std::string, std::pair<double, double>> evaluation;  // split -> (loss, accuracy)
  std::int64_t epochs_run = 0;
  double seconds_per_epoch = 0;
  std::int64_t params = 0;
};

struct SweepOptions {
  std::FILE* out = stdout;
  std::size_t threads = 0;  // 0: all cores
  bool quiet = false;
};

// Returns the trials ranked by the metric (failed ones last). Writes summary.csv, summary.h5
// and prints the leaderboard.
std::vector<TrialResult> run_sweep(const Sweep& sweep, const SweepOptions& options);

// The sweep folder: <base results_dir>/<sweep name>.
std::filesystem::path sweep_dir(const Sweep& sweep);

}  // namespace runner
