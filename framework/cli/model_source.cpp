#include "framework/cli/model_source.hpp"

#include <fmt/format.h>

#include <numeric>

#include "framework/config/experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/run_store.hpp"

namespace runner::cli {

namespace {
void take_data_settings(const Experiment& e, ModelSource& source) {
  source.data = e.data;
  source.validation_split = e.validation_split;
  source.seed = e.seed;
  source.class_names = e.class_names;
  source.loss = make_loss(e);
}
}  // namespace

ModelSource open_model_source(const std::filesystem::path& path, const std::string& experiment,
                              const std::vector<std::string>& overrides) {
  std::filesystem::path checkpoint = path;
  std::string experiment_yaml;
  if (std::filesystem::is_directory(path)) {
    const RunFolder run = open_run_folder(path);
    checkpoint = run.final_model;
  } else if (!std::filesystem::exists(path)) {
    throw Error(fmt::format("{}: no such run folder or checkpoint file", path.string()));
  }
  LoadedModel loaded = load_model_checkpoint(checkpoint);
  ModelSource source{std::move(loaded.model), checkpoint.string(), {}, 0.2, 42, {}, nullptr};
  source.data.path = kFashionMnistDir;
  if (!experiment.empty()) {
    take_data_settings(load_experiment(experiment, overrides), source);
  } else if (!loaded.experiment_yaml.empty()) {
    take_data_settings(
        parse_experiment(
            load_yaml_string(loaded.experiment_yaml, checkpoint.string() + ":runner_experiment"),
            checkpoint.string() + ":runner_experiment", overrides),
        source);
  } else if (!overrides.empty()) {
    throw ConfigError(
        fmt::format("--set needs an experiment: {} has none stored; add "
                    "--experiment FILE",
                    checkpoint.string()));
  }
  if (!source.loss) {
    source.loss = loss_by_name("sparse_categorical_crossentropy");
  }
  source.model.prepare(32);
  source.model.use_logits_output();
  return source;
}

void check_split(const std::string& split, const std::string& command) {
  if (split != "test" && split != "validation" && split != "train") {
    throw ConfigError(fmt::format("runner {}: --split must be test, validation or train, got '{}'",
                                  command, split));
  }
}

SplitView select_split(const Dataset& data, const ModelSource& source, const std::string& split) {
  if (split == "test") {
    SplitView view{&data.test,
                   std::vector<std::int64_t>(static_cast<std::size_t>(data.test.count))};
    std::iota(view.indices.begin(), view.indices.end(), 0);
    return view;
  }
  SplitIndices s = train_validation_split(data.train.count, source.validation_split, source.seed);
  return SplitView{&data.train, split == "train" ? std::move(s.train) : std::move(s.validation)};
}

}  // namespace runner::cli
