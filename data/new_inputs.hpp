#pragma once
// Inputs given to `runner predict --input FILE`, read into samples of the model's input shape:
// an image file (PNG or JPEG, resized as image folders are), an .npy array (one sample of the
// input shape, or a stack of them), or CSV rows (the training data's feature columns by name).
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace runner {

// `feature_names`: the CSV columns the model was trained on, in order (empty: every column,
// as they are). Throws DataError naming the file and what does not fit.
Samples read_new_inputs(const std::string& path, const Shape& input_shape,
                        const std::vector<std::string>& feature_names);

}  // namespace runner
