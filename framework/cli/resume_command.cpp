#include <fmt/format.h>

#include <iostream>

#include "framework/app/continue_run.hpp"
#include "framework/app/run_experiment.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/train/interrupt.hpp"

namespace runner::cli {

int resume_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string dir;
  bool quiet = false;
  std::int64_t epochs = 0;
  po::options_description desc(
      "runner resume RUN_FOLDER [options]\n"
      "Continues an interrupted run from its state.bin; the finished run is identical, bit for "
      "bit, to one that was never interrupted. With --epochs N, a finished run trains on to "
      "epoch N in the same folder (Keras' fit(initial_epoch=done, epochs=N))");
  desc.add_options()("run", po::value(&dir), "the run folder")("quiet,q", po::bool_switch(&quiet),
                                                               "print nothing but errors")(
      "epochs", po::value(&epochs), "train on until this many epochs in all")(
      "threads", threads_value(common.threads), "worker threads (0: all cores)")(
      "help,h", po::bool_switch(&common.help), "show this help");
  parse(args, desc, {"run"}, "resume");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (dir.empty()) {
    throw ConfigError("runner resume: missing RUN_FOLDER");
  }
  // "results/x/run/" (a shell completes folders with a slash) names the folder "run", not "":
  // the run id in summary.json and results.h5 comes from the last component.
  std::filesystem::path run_dir = std::filesystem::path(dir).lexically_normal();
  if (!run_dir.has_filename() && run_dir.has_parent_path()) {
    run_dir = run_dir.parent_path();
  }
  if (!std::filesystem::exists(run_dir / "config.yaml")) {
    throw Error(fmt::format("{}: not a run folder (config.yaml is missing)", dir));
  }
  if (epochs == 0 && std::filesystem::exists(run_dir / "summary.json")) {
    throw Error(fmt::format(
        "{}: this run has finished; to train it further: runner resume {} --epochs N", dir, dir));
  }
  if (epochs < 0) {
    throw ConfigError(fmt::format("--epochs {}: expected a positive number of epochs", epochs));
  }
  ThreadLimit threads(common.threads);
  install_interrupt_handlers();
  const TrainingState state = epochs > 0 ? prepare_continuation(run_dir, epochs)
                                         : load_training_state(run_dir / "state.bin");
  const Experiment e = load_experiment((run_dir / "config.yaml").string());
  RunOptions options;
  options.verbosity = quiet ? Verbosity::kQuiet : Verbosity::kProgressBar;
  options.threads = ThreadLimit::current();
  options.run_dir = run_dir;
  options.resume = &state;
  if (!quiet) {
    fmt::print("resuming {} at epoch {}, step {}\n", dir, state.epoch + 1, state.step);
  }
  run_experiment(e, options);
  return 0;
}

}  // namespace runner::cli
