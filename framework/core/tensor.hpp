#pragma once
// Float32 tensors in NHWC order (Keras' layout). A Tensor owns its memory and keeps its
// capacity when resized, so buffers sized once at build time never reallocate in a step.
#include <algorithm>
#include <cassert>
#include <span>
#include <vector>

#include "framework/core/shape.hpp"

namespace runner {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, float fill = 0.0F)
      : shape_(std::move(shape)), data_(static_cast<std::size_t>(shape_.elements()), fill) {}

  [[nodiscard]] const Shape& shape() const { return shape_; }
  [[nodiscard]] std::size_t size() const { return data_.size(); }
  [[nodiscard]] float* data() { return data_.data(); }
  [[nodiscard]] const float* data() const { return data_.data(); }
  [[nodiscard]] std::span<float> span() { return data_; }
  [[nodiscard]] std::span<const float> span() const { return data_; }
  [[nodiscard]] float& operator[](std::size_t i) { return data_[i]; }
  [[nodiscard]] float operator[](std::size_t i) const { return data_[i]; }

  // Leading dimension and the number of floats per sample.
  [[nodiscard]] std::int64_t batch() const { return shape_.rank() == 0 ? 0 : shape_[0]; }
  [[nodiscard]] std::size_t sample_size() const {
    return batch() == 0 ? 0 : data_.size() / static_cast<std::size_t>(batch());
  }

  // Changes the shape; reuses the allocation when the new size fits the capacity.
  void resize(const Shape& shape) {
    shape_ = shape;
    data_.resize(static_cast<std::size_t>(shape.elements()));
  }
  // Reserves room for `elements` floats so later resizes up to it do not allocate.
  void reserve(std::size_t elements) { data_.reserve(elements); }
  void fill(float value) { std::fill(data_.begin(), data_.end(), value); }

 private:
  Shape shape_;
  std::vector<float> data_;
};

// A window into memory someone else owns (the model's flat parameter block).
struct TensorView {
  float* data = nullptr;
  Shape shape;
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(shape.elements()); }
  [[nodiscard]] std::span<float> span() const { return {data, size()}; }
};

}  // namespace runner
