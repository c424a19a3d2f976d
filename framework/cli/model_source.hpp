#pragma once
// What `evaluate` and `predict` work on: a run folder or a checkpoint file (ours or Keras'),
// with the experiment it was trained with (its data settings, loss and metrics) and the
// preprocessing it stored.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/io/preprocessing_store.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/model.hpp"

namespace runner::cli {

struct ModelSource {
  Model model;
  std::string description;  // "results/.../model-final.h5"
  Experiment experiment;    // the run's, --experiment's, or the reference data settings
  std::unique_ptr<Loss> loss;
  std::optional<StoredPreprocessing> preprocessing;  // null for Keras' files
};

// `path` is a run folder (uses its model-final.h5) or an .h5 checkpoint. A checkpoint without
// our experiment record (a Keras file) uses the reference data settings (Fashion-MNIST,
// validation_split 0.2, seed 42) unless `experiment` names a file to take them from.
ModelSource open_model_source(const std::filesystem::path& path, const std::string& experiment,
                              const std::vector<std::string>& overrides);

// Throws ConfigError unless `split` is train, validation or test.
void check_split(const std::string& split, const std::string& command);

}  // namespace runner::cli
