#pragma once
// Checkpoints in Keras' HDF5 layout (docs/checkpoint-format.md), so h5py and
// Keras' load_weights() read ours, and we read Keras' own files.
//   full save:    /model_weights/<layer>/<layer>/{kernel:0,bias:0} + model_config,
//                 training_config and /optimizer_weights (Keras' model.save)
//   weights only: /<layer>/<layer>/... at the root (Keras' model.save_weights)
// Both also carry `runner_config`: our model section in YAML, enough to rebuild the model, and
// `runner_preprocessing` (framework/io/preprocessing_store.hpp).
#include <filesystem>
#include <map>
#include <string>

#include "framework/io/preprocessing_store.hpp"
#include "framework/nn/model.hpp"
#include "framework/train/optimizers/optimizer.hpp"

namespace runner {

struct CheckpointInfo {
  std::string model_name = "sequential";
  std::string runner_config;    // YAML of the resolved `model:` section
  std::string training_config;  // Keras' training_config JSON (full saves)
  std::string experiment_yaml;  // the whole resolved experiment (data settings for evaluate)
  std::optional<StoredPreprocessing> preprocessing;  // how inputs were transformed
};

// Writes atomically (a temporary file renamed into place). optimizer == nullptr or
// weights_only: no optimizer state.
void save_checkpoint(const std::filesystem::path& path, const Model& model,
                     const CheckpointInfo& info, const Optimizer* optimizer, bool weights_only);

// Rebuilds the model a checkpoint describes (runner_config, else Keras' model_config) and
// loads its weights. Throws CheckpointError saying what is missing or does not match.
struct LoadedModel {
  Model model;
  std::string model_name;
  YAML::Node model_section;     // input_shape + layers, as in an experiment file
  std::string experiment_yaml;  // empty for files we did not write
  std::optional<StoredPreprocessing> preprocessing;  // null for files we did not write
};
LoadedModel load_model_checkpoint(const std::filesystem::path& path);

// Loads weights by Keras' rules: the layers with weights, in order, names resolved within
// each layer's group, shapes exactly equal.
void load_weights(Model& model, const std::filesystem::path& path);

// The optimizer state a full save holds (/optimizer_weights, as write_optimizer lays it out):
// the iteration count and each slot ("m", "v", ...) over the model's trainable weights end to
// end, as the optimizer keeps it. Throws CheckpointError when the file has none or it does not
// fit the model.
struct SavedOptimizerState {
  std::int64_t iterations = 0;
  std::map<std::string, std::vector<float>> slots;
};
SavedOptimizerState load_optimizer_state(const std::filesystem::path& path, const Model& model);

// Keras' class name of an optimizer type ("adam" -> "Adam"); unknown types pass through.
std::string keras_optimizer_name(std::string_view type);

// Keras' model_config JSON for our model.
std::string keras_model_config(const Model& model, const std::string& model_name);
// Our `model:` section (input_shape, layers) from Keras' model_config JSON.
YAML::Node model_section_from_keras(const std::string& json, const std::string& where);

}  // namespace runner
