#pragma once
// Which samples train, validate and test: each part is a source of its own or held out of the
// training source (scikit-learn's train_test_split, the test part first, then validation from
// what is left, both with the experiment's seed; stratified by class when asked).
#include <cstdint>
#include <vector>

#include "data/dataset.hpp"

namespace runner {

struct Part {
  const Samples* set = nullptr;
  std::vector<std::int64_t> indices;  // into *set
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(indices.size()); }
  // The class label of each selected sample, in order (requires set->has_classes()).
  [[nodiscard]] std::vector<std::int32_t> classes() const;
};

struct SplitSettings {
  double validation_split = 0.2;  // of the training source, when there is no validation source
  double test_split = 0.0;        // of the training source, when there is no test source
  bool stratify = false;          // by class label (classification only)
};

struct Partition {
  Part train, validation, test;  // validation and test may be empty
  [[nodiscard]] const Part& operator[](const std::string& name) const;
};

// Throws DataError when a stratified split is impossible (scikit-learn's ValueError cases).
Partition partition(const Dataset& data, const SplitSettings& settings, std::uint32_t seed);

}  // namespace runner
