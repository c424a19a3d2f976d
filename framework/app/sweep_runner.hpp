#pragma once
// Runs a sweep: every trial is an ordinary run folder under <results_dir>/<sweep name>/,
// named by the hash of its resolved config, so a re-run skips finished trials (and adding
// values to the grid runs only the new ones). Trials run `concurrency` at a time, each in a
// oneTBB arena with its share of the threads; a trial's numbers do not depend on it.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/config/sweep.hpp"
#include "framework/train/history.hpp"

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
  std::map<std::string, Logs> evaluation;  // split -> loss and metrics
  std::int64_t epochs_run = 0;
  double seconds_per_epoch = 0;
  std::int64_t params = 0;
};

struct SweepOptions {
  std::FILE* out = stdout;
  std::size_t threads = 0;  // 0: all cores
  bool quiet = false;
  // Redraw the live table in place when `out` is a terminal. Off under mpirun, whose ranks
  // write to a pseudo-terminal even when mpirun's own output is a file.
  bool redraw = true;
};

// Returns the trials ranked by the metric (failed ones last). Writes summary.csv, summary.h5
// and prints the leaderboard.
std::vector<TrialResult> run_sweep(const Sweep& sweep, const SweepOptions& options);

// The sweep folder: <base results_dir>/<sweep name>.
std::filesystem::path sweep_dir(const Sweep& sweep);

// The stages of run_sweep, shared with the MPI coordinator and workers (framework/app/mpi/).
struct SweepPlan {
  std::filesystem::path dir;
  std::vector<TrialResult> results;     // grid order; id, trial and dir set
  std::vector<Experiment> experiments;  // the resolved experiment of each trial
};
SweepPlan plan_sweep(const Sweep& sweep);
// Trains trial i into `run_dir` (quiet, `threads` threads, in its own oneTBB arena) and sets
// its status ("done" or "failed" with the error).
void run_trial(SweepPlan& plan, std::size_t i, const std::filesystem::path& run_dir,
               std::size_t threads, const std::function<void(const EpochRecord&)>& on_epoch);
// An on_epoch callback that calls show("epoch 3, best val_loss 0.4338").
std::function<void(const EpochRecord&)> best_so_far(const Sweep& sweep,
                                                    std::function<void(const std::string&)> show);
// Reads a finished trial's outcome back from its folder (summary.json, history.csv). Throws
// Error for a damaged or foreign file.
void read_finished_trial(TrialResult& r);
// The same, for the sweep's loop: a trial whose files cannot be read is marked failed with the
// reason (the other trials go on) and false is returned.
bool read_finished_trial_or_fail(TrialResult& r);
// Ranks the trials, writes summary.csv and summary.h5 and prints the leaderboard.
std::vector<TrialResult> finish_sweep(const Sweep& sweep, SweepPlan& plan,
                                      const SweepOptions& options);

// An exclusive flock on <dir>/.lock: a second sweep process in the same folder stops with a
// message instead of racing this one (the lock ends with the process, even on kill -9).
class SweepFolderLock {
 public:
  explicit SweepFolderLock(const std::filesystem::path& dir);
  ~SweepFolderLock();
  SweepFolderLock(const SweepFolderLock&) = delete;
  SweepFolderLock& operator=(const SweepFolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace runner
