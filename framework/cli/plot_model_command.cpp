#include <fmt/format.h>

#include <iostream>

#include "framework/cli/commands.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/plot/model_diagram.hpp"

namespace runner::cli {

int plot_model_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string output = "model.png";
  bool show_shapes = false;
  po::options_description desc(
      "runner plot-model EXPERIMENT.yaml [options]\n"
      "Draws the model's layer graph (as Keras' plot_model) without loading data or training");
  desc.add_options()("experiment", po::value(&common.experiment), "experiment file")(
      "output,o", po::value(&output)->default_value(output),
      "the picture: FILE.png, FILE.svg or FILE.dot (Graphviz source)")(
      "show-shapes", po::bool_switch(&show_shapes), "add each layer's input and output shapes");
  add_common_options(desc, common, /*with_threads=*/false);
  parse(args, desc, {"experiment"}, "plot-model");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (common.experiment.empty()) {
    throw ConfigError("runner plot-model: missing EXPERIMENT.yaml");
  }
  const std::string format = std::filesystem::path(output).extension().string();
  if (format != ".png" && format != ".svg" && format != ".dot") {
    throw ConfigError(fmt::format(
        "runner plot-model: --output {}: the name must end in .png, .svg or .dot", output));
  }
  const Experiment e = load_experiment(common.experiment, common.overrides);
  const Shape input = declared_input_shape(e);
  const Model model = build_model(e, input);
  const std::string dot = plot::model_dot(model, {show_shapes, e.model_name});
  write_text_file(output, plot::render_dot(dot, format.substr(1)));
  fmt::print("wrote {}\n", output);
  return 0;
}

}  // namespace runner::cli
