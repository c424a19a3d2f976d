#pragma once
// Tensor shapes. Layer shapes exclude the batch dimension; tensors include it.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace runner {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}

  [[nodiscard]] std::size_t rank() const { return dims_.size(); }
  [[nodiscard]] std::int64_t operator[](std::size_t i) const { return dims_[i]; }
  [[nodiscard]] const std::vector<std::int64_t>& dims() const { return dims_; }
  // Product of all dimensions (1 for rank 0).
  [[nodiscard]] std::int64_t elements() const;
  // This shape with a leading batch dimension.
  [[nodiscard]] Shape with_batch(std::int64_t batch) const;
  // This shape without its leading dimension.
  [[nodiscard]] Shape without_batch() const;
  // "[3, 3, 1, 32]"
  [[nodiscard]] std::string str() const;
  // Keras' summary form of a per-sample shape: "(None, 28, 28, 32)"
  [[nodiscard]] std::string keras_str() const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

}  // namespace runner
