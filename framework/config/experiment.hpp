#pragma once
// The experiment file (experiments/*.yaml): what to load, which model to build, how to train
// it and what to report. Keys follow Keras' argument names; parsing is strict and reports
// every problem with file:line:column.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/partition.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/nn/model.hpp"

namespace runner {

// A `type:` entry whose arguments are checked by a registry (optimizer, loss, callback).
struct TypedSpec {
  std::string type;
  YAML::Node node;       // the mapping (or scalar for the string form)
  std::string key_path;  // e.g. "callbacks[0]"
};

// The experiment's `data:` block: where samples come from and what happens to them.
struct DataSettings {
  TypedSpec train;  // a data source entry (data/sources/)
  std::optional<TypedSpec> validation;
  std::optional<TypedSpec> test;
  // The short form `dataset: fashion_mnist` (+ `path`): train and test are its two parts, and
  // the resolved config keeps this form.
  std::string dataset;
  std::string path;
  std::optional<std::int64_t> limit;       // of the training source
  std::optional<std::int64_t> test_limit;  // of the test source
  SplitSettings split;
  std::string scale = "auto";  // "auto", "1/255", a number
  bool standardize = false;
  bool one_hot = false;
  std::vector<std::string> class_names;  // empty: what the data knows
};

struct PredictRequest {
  std::string split;  // train | validation | test
  std::int64_t index = 0;
};

struct Experiment {
  std::string file;
  YAML::Node root;  // the document after --set overrides
  std::string name;
  std::uint32_t seed = 42;
  std::string results_dir = "results";

  DataSettings data;

  std::string model_name = "sequential";  // Keras' default; "model" for graph models
  std::optional<Shape> input_shape;       // empty: the dataset's image shape
  std::string input_name = "input_1";     // what graph models' layers call the input
  std::vector<YAML::Node> layers;

  TypedSpec optimizer;
  TypedSpec loss;                  // compile.loss; default sparse_categorical_crossentropy
  std::vector<TypedSpec> metrics;  // compile.metrics; default [accuracy]

  std::int64_t epochs = 1;
  std::int64_t batch_size = 32;
  std::int64_t initial_epoch = 0;
  bool shuffle = true;

  std::vector<TypedSpec> callbacks;
  std::vector<std::string> evaluate{"validation", "test"};
  std::vector<PredictRequest> predict;

  std::vector<std::string> overrides;  // normalized "key=value" as applied
};

// Reads and checks `path` after applying `--set` assignments. Throws ConfigError listing
// every problem found (one per line).
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides = {});
Experiment parse_experiment(YAML::Node root, const std::string& file,
                            const std::vector<std::string>& overrides = {});

// Builds a model from `layers` entries (YAML as in model.layers), reporting problems at their
// position in `file`. Throws ConfigError.
Model build_layers(const std::vector<YAML::Node>& layers, const Shape& input_shape,
                   std::uint32_t seed, const std::string& file,
                   const std::string& input_name = "input_1");

// The model's input shape known without reading data: model.input_shape, else the shape of a
// source that states it (fashion_mnist). Throws ConfigError asking for model.input_shape.
Shape declared_input_shape(const Experiment& experiment);

// Builds (and shape-checks) the model the experiment declares, for `input_shape`.
// Throws ShapeError naming the layer.
Model build_model(const Experiment& experiment, const Shape& input_shape);

// Every setting with its default filled in, as written to a run folder.
YAML::Node resolved_config(const Experiment& experiment, const Model& model);

// What identifies a configuration: a hash of the resolved config without where its results go
// and how it was spelled on the command line (results_dir, overrides). Sweeps name trials by
// it; a saved training state resumes only the configuration it came from.
std::string config_fingerprint(const Experiment& experiment, const Model& model);
// A stable 64-bit hash (FNV-1a) of a text, as 16 hex digits.
std::string config_hash(const std::string& text);

}  // namespace runner
