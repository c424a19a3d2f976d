#pragma once
// A small RAII layer over the HDF5 C API: files, groups, float/int datasets and the string
// attributes Keras uses. Every failure is a CheckpointError naming the file and the object.
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/shape.hpp"

namespace runner::h5 {

// An open HDF5 object id (file, group, dataset); closes itself.
class Object {
 public:
  Object() = default;
  Object(std::int64_t id, std::string file, std::string path);
  ~Object();
  Object(Object&& other) noexcept;
  Object& operator=(Object&& other) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  [[nodiscard]] std::int64_t id() const { return id_; }
  // Finishes a file made by create_file() and writes it to disk, throwing CheckpointError if
  // the data did not get there (a full disk shows here). Writers call it before renaming.
  void close();
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  // "file.h5:/model_weights/conv2d"
  [[nodiscard]] std::string where(const std::string& child = "") const;

  [[nodiscard]] bool has(const std::string& name) const;
  // Names of the group's members, in HDF5's (creation or name) order.
  [[nodiscard]] std::vector<std::string> children() const;
  [[nodiscard]] Object group(const std::string& name) const;         // opens
  [[nodiscard]] Object create_group(const std::string& name) const;  // creates
  [[nodiscard]] bool has_attribute(const std::string& name) const;

  void write_string_attribute(const std::string& name, const std::string& value) const;
  void write_string_list_attribute(const std::string& name,
                                   const std::vector<std::string>& values) const;
  void write_empty_list_attribute(const std::string& name) const;  // float64 (0,), as Keras
  [[nodiscard]] std::string read_string_attribute(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> read_string_list_attribute(const std::string& name) const;

  void write_floats(const std::string& name, const Shape& shape, const float* data) const;
  void write_doubles(const std::string& name, const std::vector<double>& values) const;
  void write_int64s(const std::string& name, const std::vector<std::int64_t>& values) const;
  // A 1-D dataset of variable-length UTF-8 strings (h5py reads it as bytes objects).
  void write_strings(const std::string& name, const std::vector<std::string>& values) const;
  [[nodiscard]] std::vector<std::string> read_strings(const std::string& name) const;
  // `values` in C order as a dataset of `shape` (a confusion matrix).
  void write_int64s(const std::string& name, const Shape& shape,
                    const std::vector<std::int64_t>& values) const;
  void write_int64_scalar(const std::string& name, std::int64_t value) const;
  // Reads a float32 dataset; its shape must be `expected` (message names both otherwise).
  void read_floats(const std::string& name, const Shape& expected, float* out) const;
  [[nodiscard]] Shape dataset_shape(const std::string& name) const;
  [[nodiscard]] std::vector<double> read_doubles(const std::string& name) const;
  [[nodiscard]] std::vector<std::int64_t> read_int64s(const std::string& name) const;

 private:
  std::int64_t id_ = -1;
  std::string file_;
  std::string path_;
};

// Creates a file in memory, written to `path` by close(). Callers use a temporary name and
// rename it.
Object create_file(const std::string& path);
// Opens for reading; a missing or non-HDF5 file is a CheckpointError.
Object open_file(const std::string& path);

}  // namespace runner::h5
