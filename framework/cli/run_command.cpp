#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "framework/app/mpi/mpi.hpp"
#include "framework/app/run_experiment.hpp"
#include "framework/app/sweep_runner.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/config/sweep.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/train/interrupt.hpp"

namespace runner::cli {

int run_command(const std::vector<std::string>& args) {
  CommonOptions common;
  bool quiet = false;
  bool verbose = false;
  mpi::SweepOptions mpi_options;
  bool data_parallel = false;
  po::options_description desc(
      "runner [run] EXPERIMENT.yaml|SWEEP.yaml [options]\n"
      "Loads the data, builds the model, trains it as the experiment file says and writes a run "
      "folder under results/. A sweep file (top-level `sweep:`) runs every trial and prints a "
      "leaderboard; --set then applies to every trial");
  desc.add_options()("experiment", po::value(&common.experiment), "experiment file")(
      "quiet,q", po::bool_switch(&quiet), "print nothing but errors")(
      "verbose,v", po::bool_switch(&verbose),
      "one line per epoch even on a terminal (no in-place progress bar)")(
      "mpi-timeout", po::value(&mpi_options.timeout_seconds)->default_value(60),
      "under mpirun: seconds a busy worker rank may stay silent before its trial is lost")(
      "data-parallel", po::bool_switch(&data_parallel),
      "under mpirun: train one model on all ranks, each a share of every batch")(
      "mpi-send-files", po::bool_switch(&mpi_options.send_files),
      "under mpirun: workers send trial folders to rank 0 even on shared storage");
  add_common_options(desc, common);
  parse(args, desc, {"experiment"}, "run");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (common.experiment.empty()) {
    throw ConfigError("runner run: missing EXPERIMENT.yaml");
  }
  if (quiet && verbose) {
    throw ConfigError("runner run: --quiet and --verbose exclude each other");
  }
  ThreadLimit threads(common.threads);
  install_interrupt_handlers();
  const Verbosity verbosity = quiet     ? Verbosity::kQuiet
                              : verbose ? Verbosity::kOneLinePerEpoch
                                        : Verbosity::kProgressBar;
  if (data_parallel) {
    if (!mpi::launched()) {
      throw ConfigError(
          "--data-parallel needs at least 2 MPI ranks (start it with mpirun -np N, N >= 2)");
    }
    if (is_sweep_file(common.experiment)) {
      throw ConfigError(fmt::format(
          "{}: --data-parallel trains one experiment; a sweep spreads its trials over the ranks "
          "without it",
          common.experiment));
    }
    const Experiment e = load_experiment(common.experiment, common.overrides);
    RunOptions options;
    options.verbosity = verbosity;
    options.threads = ThreadLimit::current();
    mpi::train_data_parallel(e, options);
    return 0;
  }
  if (mpi::launched()) {
    const mpi::World world = mpi::init();
    if (world.size == 1 || world.rank > 0) {  // the ranks that train
      mpi::warn_if_bound(world.rank, ThreadLimit::current());
    }
    if (world.size > 1) {
      if (!is_sweep_file(common.experiment)) {
        throw ConfigError(fmt::format(
            "{}: started on {} MPI ranks, but this is a single experiment: add --data-parallel "
            "to train it on all of them, or run it without mpirun",
            common.experiment, world.size));
      }
      if (!(mpi_options.timeout_seconds > 0)) {
        throw ConfigError("runner run: --mpi-timeout must be a positive number of seconds");
      }
      const Sweep sweep = load_sweep(common.experiment, common.overrides);
      SweepOptions options;
      options.quiet = quiet;
      options.threads = ThreadLimit::current();
      const auto ranked = mpi::run_sweep(sweep, options, mpi_options);
      return std::any_of(ranked.begin(), ranked.end(),
                         [](const TrialResult& r) { return r.state == TrialState::kFailed; })
                 ? 1
                 : 0;
    }
  }
  if (is_sweep_file(common.experiment)) {
    const Sweep sweep = load_sweep(common.experiment, common.overrides);
    SweepOptions options;
    options.quiet = quiet;
    options.threads = ThreadLimit::current();
    const auto ranked = run_sweep(sweep, options);
    const bool failed = std::any_of(ranked.begin(), ranked.end(), [](const TrialResult& r) {
      return r.state == TrialState::kFailed;
    });
    return failed ? 1 : 0;
  }
  const Experiment e = load_experiment(common.experiment, common.overrides);
  RunOptions options;
  options.verbosity = verbosity;
  options.threads = ThreadLimit::current();
  run_experiment(e, options);
  return 0;
}

}  // namespace runner::cli
