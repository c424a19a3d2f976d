#pragma once
// The inputs of a data set: `count` samples of one shape, contiguous in C order, as bytes or
// float32, held in memory or mapped from the file they came from (a large .npy is not copied).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/shape.hpp"

namespace runner {

enum class ElementType { kUint8, kFloat32 };

class FeatureArray {
 public:
  FeatureArray() = default;
  static FeatureArray of_bytes(std::vector<std::uint8_t> values, std::int64_t count,
                               Shape sample_shape);
  static FeatureArray of_floats(std::vector<float> values, std::int64_t count, Shape sample_shape);
  // Memory `owner` keeps alive (a mapped file): `data` points at the first sample.
  static FeatureArray of_memory(std::shared_ptr<const void> owner, const void* data,
                                ElementType type, std::int64_t count, Shape sample_shape);

  [[nodiscard]] ElementType type() const { return type_; }
  [[nodiscard]] std::int64_t count() const { return count_; }
  [[nodiscard]] const Shape& sample_shape() const { return sample_shape_; }
  [[nodiscard]] std::int64_t sample_size() const { return sample_shape_.elements(); }
  [[nodiscard]] std::size_t element_bytes() const { return type_ == ElementType::kUint8 ? 1 : 4; }
  [[nodiscard]] const std::uint8_t* bytes(std::int64_t i) const;  // requires kUint8
  [[nodiscard]] const float* floats(std::int64_t i) const;        // requires kFloat32
  // Keeps the first n samples (data.limit).
  void truncate(std::int64_t n);

 private:
  std::shared_ptr<const void> owner_;
  const void* data_ = nullptr;
  ElementType type_ = ElementType::kUint8;
  std::int64_t count_ = 0;
  Shape sample_shape_;
};

// Throws DataError unless `path` is a regular file (with the OS's reason when it cannot be
// looked at): readers call it first, so a FIFO or a device named as data fails at once instead
// of blocking the run.
void require_regular_file(const std::string& path);

// A read-only mapping of a whole file; throws DataError with the OS's reason.
std::shared_ptr<const void> map_file(const std::string& path, std::size_t& size);

}  // namespace runner
