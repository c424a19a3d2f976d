#pragma once
// Per-class results of a classifier on one split, as scikit-learn's classification_report and
// confusion_matrix give them: precision, recall, F1 and support per class (0 where a class is
// never predicted or never present, scikit-learn's zero_division=0), their macro and
// support-weighted averages, and the confusion matrix [true class][predicted class].
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"

namespace runner {

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;
  std::int64_t support = 0;
};

struct ClassReport {
  std::vector<std::string> class_names;
  std::vector<ClassScores> classes;
  ClassScores macro, weighted;          // supports: the total
  std::vector<std::int64_t> confusion;  // classes x classes, row-major: [true][predicted]

  [[nodiscard]] std::int64_t count(std::size_t truth, std::size_t predicted) const {
    return confusion[truth * class_names.size() + predicted];
  }
  // The report as text, scikit-learn's layout.
  [[nodiscard]] std::string table() const;
};

// One sample's probability of each class from its outputs: the outputs themselves, or {1 - p, p}
// for a single sigmoid output p.
std::vector<float> class_probabilities(std::span<const float> outputs);
// The first most probable class (a single output thus predicts 1 above 0.5, 0 at 0.5).
std::size_t predicted_class(std::span<const float> probabilities);

// `outputs`: probabilities, {n, classes} (argmax predicts) or {n, 1} (above 0.5 predicts 1);
// `truth`: class indices.
ClassReport class_report(const Tensor& outputs, std::span<const std::int32_t> truth,
                         const std::vector<std::string>& class_names);

}  // namespace runner
