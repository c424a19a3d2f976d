#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/config/sweep.hpp"
#include "framework/errors.hpp"
#include "framework/interrupt.hpp"
#include "framework/parallel.hpp"
#include "framework/run_experiment.hpp"
#include "framework/sweep_runner.hpp"

namespace runner::cli {

int run_command(const std::vector<std::string>& args) {
  CommonOptions common;
  bool quiet = false;
  bool verbose = false;
  po::options_description desc(
      "runner [run] EXPERIMENT.yaml|SWEEP.yaml [options]\n"
      "Loads the data, builds the model, trains it as the experiment file says and writes a run "
      "folder under results/. A sweep file (top-level `sweep:`) runs every trial and prints a "
      "leaderboard; --set then applies to every trial");
  desc.add_options()("experiment", po::value(&common.experiment), "experiment file")(
      "quiet,q", po::bool_switch(&quiet), "print nothing but errors")(
      "verbose,v", po::bool_switch(&verbose),
      "one line per epoch even on a terminal (no in-place progress bar)");
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
  if (is_sweep_file(common.experiment)) {
    const Sweep sweep = load_sweep(common.experiment, common.overrides);
    SweepOptions options;
    options.quiet = quiet;
    options.threads = ThreadLimit::current();
    const auto ranked = run_sweep(sweep, options);
    const bool failed = std::any_of(ranked.begin(), ranked.end(),
                                    [](const TrialResult& r) { return r.status == "failed"; });
    return failed ? 1 : 0;
  }
  const Experiment e = load_experiment(common.experiment, common.overrides);
  RunOptions options;
  options.verbosity = quiet     ? Verbosity::kQuiet
                      : verbose ? Verbosity::kOneLinePerEpoch
                                : Verbosity::kProgressBar;
  options.threads = ThreadLimit::current();
  run_experiment(e, options);
  return 0;
}

}  // namespace runner::cli
