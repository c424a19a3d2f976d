#include <fmt/format.h>

#include <iostream>

#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/errors.hpp"
#include "framework/parallel.hpp"
#include "framework/run_experiment.hpp"

namespace runner::cli {

int run_command(const std::vector<std::string>& args) {
  CommonOptions common;
  bool quiet = false;
  bool verbose = false;
  po::options_description desc(
      "runner [run] EXPERIMENT.yaml [options]\n"
      "Loads the data, builds the model, trains it as the experiment file says and writes a run "
      "folder under results/");
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
