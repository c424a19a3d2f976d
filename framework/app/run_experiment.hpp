#pragma once
// The main job: load data, split, build, train with callbacks, evaluate, predict, and leave a
// run folder (see run_store.hpp).
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "framework/config/experiment.hpp"
#include "framework/train/class_report.hpp"
#include "framework/train/history.hpp"
#include "framework/train/progress.hpp"
#include "framework/train/trainer.hpp"
#include "framework/train/training_state.hpp"

namespace runner {

struct RunOptions {
  Verbosity verbosity = Verbosity::kProgressBar;
  std::FILE* out = stdout;
  std::size_t threads = 0;  // recorded in summary.json; the limit is set by the caller
  // A fixed run folder (sweep trials); empty: a new results/<name>/<timestamp>-<id>/.
  std::filesystem::path run_dir;
  // Called after every epoch with its record (sweep progress tables); true stops the training
  // there, as pruned (a sweep's pruner): the run finishes normally with status "pruned".
  std::function<bool(const EpochRecord&)> on_epoch;
  // Continue this state (from the run folder's state.bin) instead of starting afresh.
  const TrainingState* resume = nullptr;
  // Train this process's share of every batch (mpirun --data-parallel; framework/app/mpi/).
  const DataParallel* data_parallel = nullptr;
};

struct RunOutcome {
  std::filesystem::path run_dir;
  std::int64_t epochs_run = 0;
  bool stopped_early = false;
  bool pruned = false;                               // stopped by on_epoch
  std::map<std::string, Logs> evaluation;            // split -> loss and metrics
  std::map<std::string, ClassReport> class_reports;  // split -> per-class (classification)
};

RunOutcome run_experiment(const Experiment& experiment, const RunOptions& options);

// The Keras training_config JSON for an experiment (stored in checkpoints).
std::string keras_training_config(const Experiment& experiment);

}  // namespace runner
