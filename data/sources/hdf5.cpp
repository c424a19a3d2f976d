// Two datasets of an HDF5 file, by their path inside it: inputs (count, ...) and labels
// (count,) or (count, width). Any layout, chunking and filter the Debian HDF5 library reads;
// the inputs are read once, straight into the array training uses (uint8 stays bytes,
// everything else becomes float32 in HDF5's own conversion).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <hdf5.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "data/source.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/hdf5_lock.hpp"

namespace runner {

namespace {

// Closes an HDF5 id with its own close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) {
      close_(id_);
    }
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  [[nodiscard]] hid_t get() const { return id_; }
  [[nodiscard]] bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

struct Dataset {
  std::vector<std::int64_t> dims;
  bool bytes = false;  // unsigned 8-bit integers
};

Dataset describe(hid_t set, const std::string& where) {
  Handle type(H5Dget_type(set), H5Tclose);
  Handle space(H5Dget_space(set), H5Sclose);
  if (!type.ok() || !space.ok()) {
    throw DataError(fmt::format("{}: cannot read the dataset's type and shape", where));
  }
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
    throw DataError(
        fmt::format("{}: not a numeric dataset (HDF5 type class {}); expected integers or floats",
                    where, static_cast<int>(cls)));
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 4) {
    throw DataError(fmt::format("{}: a dataset of rank {}; expected 1 to 4", where, rank));
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Dataset d;
  d.dims.assign(dims.begin(), dims.end());
  d.bytes =
      cls == H5T_INTEGER && H5Tget_size(type.get()) == 1 && H5Tget_sign(type.get()) == H5T_SGN_NONE;
  return d;
}

// Reads the first `count` rows of `set` as `memory_type` into `out`.
void read_rows(hid_t set, const Dataset& d, std::int64_t count, hid_t memory_type, void* out,
               const std::string& where) {
  Handle file_space(H5Dget_space(set), H5Sclose);
  std::vector<hsize_t> start(d.dims.size(), 0);
  std::vector<hsize_t> size(d.dims.begin(), d.dims.end());
  size[0] = static_cast<hsize_t>(count);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(),
                      nullptr);
  Handle memory_space(H5Screate_simple(static_cast<int>(size.size()), size.data(), nullptr),
                      H5Sclose);
  if (H5Dread(set, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    throw DataError(
        fmt::format("{}: the data cannot be read (damaged, truncated, or compressed "
                    "with a filter this HDF5 library lacks)",
                    where));
  }
}

class Hdf5Source final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("hdf5",
               "two datasets of an HDF5 file: inputs (count, ...) and labels (count,) or "
               "(count, width)")
            .text("path", "path of the .h5 / .hdf5 file")
            .required()
            .text("x", "path of the inputs dataset inside the file", std::string("/images"))
            .text("y", "path of the labels dataset inside the file", std::string("/labels"));
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<Hdf5Source>();
    source->path_ = p.text("path");
    source->x_ = p.text("x");
    source->y_ = p.text("y");
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "hdf5"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    const auto hdf5_lock = lock_hdf5();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become our messages, not stderr
    require_regular_file(path_);
    if (H5Fis_hdf5(path_.c_str()) <= 0) {
      throw DataError(fmt::format("{}: not an HDF5 file", path_));
    }
    Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) {
      throw DataError(fmt::format("{}: cannot open as HDF5", path_));
    }
    const std::string x_where = path_ + ":" + x_;
    const std::string y_where = path_ + ":" + y_;
    Handle x_set(open(file.get(), x_, x_where), H5Dclose);
    Handle y_set(open(file.get(), y_, y_where), H5Dclose);
    const Dataset x = describe(x_set.get(), x_where);
    const Dataset y = describe(y_set.get(), y_where);
    if (y.dims.size() > 2) {
      throw DataError(fmt::format("{}: labels of shape ({}); expected (count,) or (count, width)",
                                  y_where, fmt::join(y.dims, ", ")));
    }
    if (x.dims[0] != y.dims[0]) {
      throw DataError(
          fmt::format("{}: {} labels for {} inputs in {}", y_where, y.dims[0], x.dims[0], x_where));
    }
    std::vector<std::int64_t> sample(x.dims.begin() + 1, x.dims.end());
    if (sample.empty()) {
      sample.push_back(1);
    }
    for (const auto d : sample) {
      if (d <= 0 || d > 65536) {
        throw DataError(
            fmt::format("{}: inputs of shape ({}); each sample dimension must be 1 to "
                        "65536",
                        x_where, fmt::join(x.dims, ", ")));
      }
    }
    const std::int64_t count = std::min(x.dims[0], context.limit.value_or(x.dims[0]));
    const Shape shape(sample);
    const auto elements = static_cast<std::size_t>(count * shape.elements());
    SourceData data;
    data.description = x_where;
    if (x.bytes) {
      std::vector<std::uint8_t> values(elements);
      read_rows(x_set.get(), x, count, H5T_NATIVE_UINT8, values.data(), x_where);
      data.x = FeatureArray::of_bytes(std::move(values), count, shape);
    } else {
      std::vector<float> values(elements);
      read_rows(x_set.get(), x, count, H5T_NATIVE_FLOAT, values.data(), x_where);
      data.x = FeatureArray::of_floats(std::move(values), count, shape);
    }
    data.y.width = y.dims.size() == 2 ? y.dims[1] : 1;
    data.y.numbers.resize(static_cast<std::size_t>(count * data.y.width));
    read_rows(y_set.get(), y, count, H5T_NATIVE_DOUBLE, data.y.numbers.data(), y_where);
    data.y.origin = y_where;
    return data;
  }

 private:
  static hid_t open(hid_t file, const std::string& name, const std::string& where) {
    if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) {
      throw DataError(fmt::format("{}: no such dataset", where));
    }
    const hid_t set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    if (set < 0) {
      throw DataError(fmt::format("{}: not a dataset", where));
    }
    return set;
  }

  std::string path_;
  std::string x_;
  std::string y_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(Hdf5Source);

}  // namespace runner
