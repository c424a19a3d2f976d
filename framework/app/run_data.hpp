#pragma once
// The data side of a run, shared by training and by `evaluate` / `predict` on its files: the
// sources read for the loss's task, the split, the class names, and the preprocessing (fitted
// on the training part, or the one a checkpoint stored).
#include <optional>
#include <string>
#include <vector>

#include "data/partition.hpp"
#include "data/preprocessing.hpp"
#include "framework/config/experiment.hpp"
#include "framework/io/preprocessing_store.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/model.hpp"

namespace runner {

// Not copyable or movable: `parts` point into `data`.
struct RunData {
  RunData() = default;
  RunData(const RunData&) = delete;
  RunData& operator=(const RunData&) = delete;

  Dataset data;
  Partition parts;
  std::vector<std::string> class_names;  // classification; empty for regression
  Shape input;
  Preprocessing preprocessing;
};

// Reads the experiment's sources for `loss`'s task and splits them. Throws DataError for the
// files, ConfigError for settings that do not fit them.
void load_run_data(const Experiment& e, const Loss& loss, RunData& d);

// Decides the label encoding and class names from the loss, the data and `model`'s outputs,
// then the input scaling and standardisation: `stored` when given (a checkpoint's), else
// fitted on the training part. Throws ConfigError for combinations that cannot train.
void plan_run_data(const Experiment& e, const Loss& loss, const Model& model, RunData& d,
                   const std::optional<StoredPreprocessing>& stored);

}  // namespace runner
