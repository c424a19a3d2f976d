#pragma once
// Runs a sweep: every trial is an ordinary run folder under <results_dir>/<sweep name>/,
// named by the hash of its resolved config. The sweep's journal (trials.json) keeps the
// proposals, so a re-run keeps finished and pruned trials, resumes interrupted ones from their
// state.bin and continues the sampler from the same history; a grid that gains values runs only
// the new trials. Trials run `concurrency` at a time, each in a oneTBB arena with its share of
// the threads; a trial's numbers do not depend on it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/config/sweep.hpp"
#include "framework/search/study.hpp"
#include "framework/train/history.hpp"

namespace runner {

struct TrialResult {
  std::int64_t number = 0;
  std::string id;  // "trial-<hash>": the folder
  Trial trial;
  std::filesystem::path dir;
  TrialState state = TrialState::kQueued;
  bool earlier = false;  // finished in an earlier run of the sweep
  std::string error;     // failed: why; queued: why it did not run
  History history;
  double best = 0;  // the sweep metric, best over the history (or the evaluation)
  std::int64_t best_epoch = 0;
  std::map<std::string, Logs> evaluation;  // split -> loss and metrics
  std::int64_t epochs_run = 0;
  double seconds_per_epoch = 0;
  std::int64_t params = 0;
  [[nodiscard]] std::string status() const { return std::string(state_name(state)); }
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

// The trials of a sweep as they are proposed, run and end; shared by run_sweep and the MPI
// coordinator (framework/app/mpi/). Thread-safe.
class SweepStudy {
 public:
  // Reads the journal and every known trial's folder (finished, interrupted or not started).
  SweepStudy(const Sweep& sweep, std::filesystem::path dir);
  ~SweepStudy();
  SweepStudy(const SweepStudy&) = delete;
  SweepStudy& operator=(const SweepStudy&) = delete;

  // The next trial to train: an interrupted or unstarted one first, then a new proposal while
  // no budget is reached. Marks it running. Nothing when the sweep is done (stop_reason()
  // says why when a budget ended it) or a signal arrived.
  std::optional<std::size_t> next();
  // The trial's resolved experiment, and whether its folder holds a state to resume.
  [[nodiscard]] const Experiment& experiment(std::size_t i) const;
  [[nodiscard]] bool resumable(std::size_t i) const;
  // After each epoch of trial i: records the metric; true when the pruner stops the trial.
  bool report(std::size_t i, const EpochRecord& record);
  // Trial i ended: completed or pruned ones are read back from their folder (a damaged folder
  // fails the trial with the reason), others keep `error`.
  void finish(std::size_t i, TrialState state, const std::string& error);
  // Shows (through on_change) the trials the journal brought from an earlier run.
  void show_known();
  // Trials that never ran because the sweep stopped: marked with the reason.
  void close();

  [[nodiscard]] std::vector<TrialResult> results() const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::string stop_reason() const;
  [[nodiscard]] const std::filesystem::path& dir() const;
  [[nodiscard]] std::string note() const;  // about the journal, or empty

  // Called with the lock held when a trial is added, and when its state or progress changes.
  std::function<void(const TrialResult&, const std::string& progress)> on_change;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An on_epoch text: "epoch 3, best val_loss 0.4338".
std::function<std::string(const EpochRecord&)> best_so_far(const Sweep& sweep);

// Trains a trial's experiment into `run_dir` (quiet, `threads` threads, in its own oneTBB
// arena), resumed from its state.bin when `resume` and it has a usable one, else from the start;
// `on_epoch` gets every epoch and may prune. Returns how it ended and the error.
std::pair<TrialState, std::string> run_trial(
    const Experiment& experiment, bool resume, const std::filesystem::path& run_dir,
    std::size_t threads, const std::function<bool(const EpochRecord&)>& on_epoch);

// The sweep metric's best over the trial's history (lowest or highest by the goal), or its
// final evaluation's value (test_accuracy, ...); NaN without either. Sets *epoch to the best
// epoch when the history has the metric.
double best_of(const TrialResult& r, const Sweep& sweep, std::int64_t* epoch);

// Reads a finished trial's outcome back from its folder (summary.json, history.csv). Throws
// Error for a damaged or foreign file.
void read_finished_trial(TrialResult& r);

// Ranks the trials, writes summary.csv and summary.h5 and prints the leaderboard, why the
// sweep stopped and how to reproduce the best trial.
std::vector<TrialResult> finish_sweep(const Sweep& sweep, const SweepStudy& study,
                                      const SweepOptions& options);

// The command that trains the trial again on its own: runner BASE --set ... for the sweep's
// fixed overrides and the trial's settings.
std::string reproduce_command(const Sweep& sweep, const TrialResult& trial);

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
