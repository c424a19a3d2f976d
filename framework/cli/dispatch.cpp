#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "framework/cli/commands.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner::cli {

namespace {
// "runner experiments/": what to type instead, with the experiment files the folder holds.
std::string folder_instead_of_experiment(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && (name.ends_with(".yaml") || name.ends_with(".yml"))) {
      files.push_back((std::filesystem::path(folder) / name).lexically_normal().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    return fmt::format("{} is a folder, not an experiment file, and holds no .yaml files", folder);
  }
  return fmt::format("{} is a folder, not an experiment file; run one of: runner {}", folder,
                     fmt::join(files, ", runner "));
}
}  // namespace

namespace {
struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* help;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"run", run_command, "train the experiment and write a run folder (the default)"},
      {"summary", summary_command, "print the model's Keras-style summary table"},
      {"evaluate", evaluate_command, "loss and metrics of a run or checkpoint on a split"},
      {"predict", predict_command, "what a run or checkpoint says about new inputs or a sample"},
      {"compare", compare_command, "a table of runs and sweeps, read from their files"},
      {"resume", resume_command, "continue an interrupted run from its saved state"},
      {"plot-model", plot_model_command, "draw the model's layer graph (PNG, SVG or DOT)"},
      {"report", report_command, "one self-contained report.html for runs and sweeps"},
      {"layers", layers_command, "every layer type with its parameters and defaults"},
      {"optimizers", optimizers_command, "every optimizer with its parameters and defaults"},
      {"losses", losses_command, "every loss with its parameters and defaults"},
      {"metrics", metrics_command, "every metric with its parameters and defaults"},
      {"sources", sources_command, "every data source (file format) with its parameters"},
      {"callbacks", callbacks_command, "every callback with its parameters and defaults"},
      {"schedules", schedules_command, "every learning-rate schedule with its parameters"},
      {"samplers", samplers_command, "every sweep search method with its settings"},
      {"pruners", pruners_command, "every sweep pruner with its settings"},
  };
  return list;
}
}  // namespace

std::string usage() {
  std::string text =
      "usage: runner EXPERIMENT.yaml [options]      (same as: runner run EXPERIMENT.yaml)\n"
      "       runner COMMAND [arguments] [options]\n\ncommands:\n";
  for (const auto& c : commands()) {
    text += fmt::format("  {:<11} {}\n", c.name, c.help);
  }
  text += "\n'runner COMMAND --help' describes each command's options.\n";
  return text;
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) {
    throw ConfigError("no experiment given\n" + usage());
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    fmt::print("{}", usage());
    return 0;
  }
  for (const auto& c : commands()) {
    if (args[0] == c.name) {
      return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    }
  }
  if (args[0].ends_with(".yaml") || args[0].ends_with(".yml")) {
    return run_command(args);
  }
  if (std::filesystem::is_directory(args[0])) {
    throw ConfigError(folder_instead_of_experiment(args[0]));
  }
  std::vector<std::string> names;
  for (const auto& c : commands()) {
    names.emplace_back(c.name);
  }
  throw ConfigError(
      fmt::format("unknown command '{}'{}\n{}", args[0], did_you_mean(args[0], names), usage()));
}

}  // namespace runner::cli
