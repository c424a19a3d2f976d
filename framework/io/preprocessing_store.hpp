#pragma once
// The run's Preprocessing and class names as an HDF5 group (`runner_preprocessing` in every
// checkpoint, `preprocessing` in results.h5), so evaluate and predict transform inputs exactly
// as training did:
//   attributes scale ("1/255"), targets ("classes", "one_hot", "binary", "values"),
//              class_names, feature_names (strings)
//   datasets   classes (int64 scalar), mean and std (float64, one per input feature; only when
//              standardising)
#include <optional>
#include <string>
#include <vector>

#include "data/preprocessing.hpp"
#include "framework/io/hdf5.hpp"

namespace runner {

struct StoredPreprocessing {
  Preprocessing preprocessing;
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;  // CSV training data: the columns, in input order
};

void write_preprocessing(const h5::Object& parent, const std::string& name,
                         const StoredPreprocessing& stored);
// Null when `parent` has no such group (files written before it existed, Keras' files).
// Throws CheckpointError for a damaged group.
std::optional<StoredPreprocessing> read_preprocessing(const h5::Object& parent,
                                                      const std::string& name);

}  // namespace runner
