#pragma once
// Image classification data held as bytes (uint8, NHWC); batches are scaled to [0, 1] floats
// when they are gathered.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "framework/core/tensor.hpp"

namespace runner {

struct ImageSet {
  std::int64_t count = 0;
  std::int64_t height = 0, width = 0, channels = 1;
  std::vector<std::uint8_t> pixels;  // count * height * width * channels
  std::vector<std::int32_t> labels;  // count

  [[nodiscard]] std::int64_t image_size() const { return height * width * channels; }
  [[nodiscard]] Shape sample_shape() const { return Shape{height, width, channels}; }
};

struct Dataset {
  std::string name;
  ImageSet train;  // before the validation split
  ImageSet test;
  std::vector<std::string> class_names;
};

struct DatasetOptions {
  std::string name = "fashion_mnist";
  std::string path;  // folder of the IDX files
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> test_limit;
};

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Names of the datasets load_dataset() knows.
const std::vector<std::string>& known_datasets();
// Default folder of a known dataset.
std::string default_dataset_path(const std::string& name);
// Image shape (height, width, channels) of a known dataset, known without reading it.
Shape dataset_sample_shape(const std::string& name);
// Loads and validates train and test sets; throws DataError naming the file and the problem.
Dataset load_dataset(const DatasetOptions& options);

// Copies the images at `indices` into x ({n, h, w, c}, scaled by 1/255 exactly as NumPy's
// float64 division rounds) and their labels into y. Requires x/y to have room for them.
void gather_batch(const ImageSet& set, std::span<const std::int64_t> indices, Tensor& x,
                  std::vector<std::int32_t>& y);

}  // namespace runner
