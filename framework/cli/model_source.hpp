#pragma once
// What `evaluate` and `predict` work on: a run folder or a checkpoint file (ours or Keras'),
// with the data settings it was trained with.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/model.hpp"

namespace runner::cli {

struct ModelSource {
  Model model;
  std::string description;  // "results/.../model-final.h5"
  DatasetOptions data;
  double validation_split = 0.2;
  std::uint32_t seed = 42;
  std::vector<std::string> class_names;  // empty: the dataset's
  std::unique_ptr<Loss> loss;            // the experiment's (Keras files: the default)
};

// `path` is a run folder (uses its model-final.h5 and config.yaml) or an .h5 checkpoint.
// A checkpoint without our experiment record (a Keras file) uses the reference data settings
// (Fashion-MNIST, validation_split 0.2, seed 42) unless `experiment` names a file to take
// them from.
ModelSource open_model_source(const std::filesystem::path& path, const std::string& experiment,
                              const std::vector<std::string>& overrides);

// Throws ConfigError unless `split` is train, validation or test.
void check_split(const std::string& split, const std::string& command);

// The images of `split` (train | validation | test) and their indices into `set`.
struct SplitView {
  const ImageSet* set;
  std::vector<std::int64_t> indices;
};
SplitView select_split(const Dataset& data, const ModelSource& source, const std::string& split);

}  // namespace runner::cli
