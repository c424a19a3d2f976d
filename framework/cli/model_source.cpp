#include "framework/cli/model_source.hpp"

#include <fmt/format.h>

#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/run_store.hpp"

namespace runner::cli {

ModelSource open_model_source(const std::filesystem::path& path, const std::string& experiment,
                              const std::vector<std::string>& overrides) {
  std::filesystem::path checkpoint = path;
  const std::string name = path.string();
  if ((name.ends_with(".yaml") || name.ends_with(".yml")) &&
      std::filesystem::is_regular_file(path)) {
    throw ConfigError(fmt::format(
        "{} is an experiment file, not a run folder or checkpoint: train it with 'runner {}', "
        "then give the run folder (or a checkpoint with --experiment {})",
        name, name, name));
  }
  if (std::filesystem::is_directory(path)) {
    const RunFolder run = open_run_folder(path);
    checkpoint = run.final_model;
  } else if (!std::filesystem::exists(path)) {
    throw Error(fmt::format("{}: no such run folder or checkpoint file", path.string()));
  }
  LoadedModel loaded = load_model_checkpoint(checkpoint);
  ModelSource source{
      std::move(loaded.model), checkpoint.string(), {}, nullptr, std::move(loaded.preprocessing)};
  if (!experiment.empty()) {
    source.experiment = load_experiment(experiment, overrides);
  } else if (!loaded.experiment_yaml.empty()) {
    const std::string where = checkpoint.string() + ":runner_experiment";
    source.experiment =
        parse_experiment(load_yaml_string(loaded.experiment_yaml, where), where, overrides);
  } else if (!overrides.empty()) {
    throw ConfigError(
        fmt::format("--set needs an experiment: {} has none stored; add "
                    "--experiment FILE",
                    checkpoint.string()));
  } else {
    // A Keras file: the reference experiment's data settings, its model as read.
    YAML::Node root;
    root["name"] = "checkpoint";
    root["model"] = loaded.model_section;
    source.experiment = parse_experiment(root, checkpoint.string(), {});
  }
  source.loss = make_loss(source.experiment);
  source.model.prepare(32);
  if (source.loss->takes_softmax_logits()) {
    source.model.use_logits_output();
  }
  return source;
}

void check_split(const std::string& split, const std::string& command) {
  if (split != "test" && split != "validation" && split != "train") {
    throw ConfigError(fmt::format("runner {}: --split must be test, validation or train, got '{}'",
                                  command, split));
  }
}

}  // namespace runner::cli
