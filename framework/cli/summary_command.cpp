#include <fmt/format.h>

#include <iostream>

#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"

namespace runner::cli {

int summary_command(const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description desc(
      "runner summary EXPERIMENT.yaml [options]\n"
      "Prints the model's summary table (as Keras' model.summary()) without loading data");
  desc.add_options()("experiment", po::value(&common.experiment), "experiment file");
  add_common_options(desc, common, /*with_threads=*/false);
  const auto vm = parse(args, desc, {"experiment"}, "summary");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (common.experiment.empty()) {
    throw ConfigError("runner summary: missing EXPERIMENT.yaml");
  }
  const Experiment e = load_experiment(common.experiment, common.overrides);
  const Shape input = declared_input_shape(e);
  const Model model = build_model(e, input);
  fmt::print("{}", model.summary(e.model_name));
  return 0;
}

}  // namespace runner::cli
