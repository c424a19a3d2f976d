#include <fmt/format.h>

#include <iostream>

#include "data/split.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/errors.hpp"
#include "framework/parallel.hpp"

namespace runner::cli {

int run_command(const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description desc(
      "runner [run] EXPERIMENT.yaml [options]\n"
      "Loads the data, builds the model and trains it as the experiment file says");
  desc.add_options()("experiment", po::value(&common.experiment), "experiment file");
  add_common_options(desc, common);
  const auto vm = parse(args, desc, {"experiment"}, "run");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (common.experiment.empty()) {
    throw ConfigError("runner run: missing EXPERIMENT.yaml");
  }
  ThreadLimit threads(common.threads);
  const Experiment e = load_experiment(common.experiment, common.overrides);
  const Dataset data = load_dataset(e.data);
  const SplitIndices split = train_validation_split(data.train.count, e.validation_split, e.seed);
  const Model model = build_model(e, e.input_shape.value_or(data.train.sample_shape()));
  fmt::print("{}", model.summary(e.model_name));
  fmt::print("data: {} training, {} validation, {} test images\n", split.train.size(),
             split.validation.size(), data.test.count);
  return 0;
}

}  // namespace runner::cli
