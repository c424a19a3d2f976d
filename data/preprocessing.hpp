#pragma once
// What happens to inputs and labels between the file and the model: scaling, per-feature
// standardisation fitted on the training split only, and the encoding of the labels the loss
// reads. A run stores it (results.h5, every checkpoint) so that evaluate and predict transform
// new data exactly as training did.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"

namespace runner {

// How a batch's labels reach the loss and the metrics.
enum class TargetEncoding {
  kClasses,  // class indices only (sparse_categorical_crossentropy)
  kOneHot,   // class indices and one-hot rows of `classes` values
  kBinary,   // class indices and the index as one 0/1 value (binary_crossentropy)
  kValues,   // the values the file holds (regression, or label rows given as they are)
};

struct Preprocessing {
  // inputs * numerator / denominator, in double, before standardisation ("1/255" is x / 255.0
  // exactly as NumPy's float64 division rounds).
  double scale_numerator = 1;
  double scale_denominator = 1;
  std::vector<double> mean;  // per input feature; empty: no standardisation
  std::vector<double> std;   // population standard deviation (0 stored as 1, as scikit-learn)
  TargetEncoding targets = TargetEncoding::kClasses;
  std::int64_t classes = 0;  // width of one-hot rows

  [[nodiscard]] bool standardizes() const { return !mean.empty(); }
  // "1/255", "1" or "0.5": the form config.yaml and checkpoints store.
  [[nodiscard]] std::string scale_text() const;
};

// Parses "1/255", "0.5" or "1" into the preprocessing; false when the text is none of them.
bool parse_scale(const std::string& text, Preprocessing& p);
[[nodiscard]] std::string encoding_name(TargetEncoding encoding);
// The encoding called `name` (as encoding_name writes it); false when unknown.
bool parse_encoding(const std::string& name, TargetEncoding& encoding);

// Computes mean and std per input feature over set[indices] (after scaling).
void fit_standardization(Preprocessing& p, const Samples& set,
                         std::span<const std::int64_t> indices);

// Copies the samples at `indices` into x ({n, sample shape}) transformed by `p`, and their
// labels into y as p.targets says. Resizes x and y.
void gather_batch(const Samples& set, std::span<const std::int64_t> indices, const Preprocessing& p,
                  Tensor& x, Targets& y);

}  // namespace runner
