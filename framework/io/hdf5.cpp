#include "framework/io/hdf5.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <utility>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/hdf5_lock.hpp"

namespace runner::h5 {

namespace {
static_assert(sizeof(hid_t) == sizeof(std::int64_t), "hid_t is 64-bit from HDF5 1.10 on");

// HDF5 prints its own error stack to stderr by default; we report through exceptions.
void silence_hdf5() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// Closes an id of one kind (type, dataspace, attribute, dataset) at scope exit.
template <herr_t (*Close)(hid_t)>
struct Handle {
  hid_t id;
  explicit Handle(hid_t h) : id(h) {}
  ~Handle() {
    if (id >= 0) {
      Close(id);
    }
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};
using TypeHandle = Handle<H5Tclose>;
using SpaceHandle = Handle<H5Sclose>;
using AttrHandle = Handle<H5Aclose>;
using DataHandle = Handle<H5Dclose>;

std::vector<hsize_t> dims_of(const Shape& shape) {
  std::vector<hsize_t> dims;
  for (auto d : shape.dims()) {
    dims.push_back(static_cast<hsize_t>(d));
  }
  return dims;
}

hid_t vlen_string_type() {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

// Link-creation properties that create missing parent groups ("conv2d/kernel:0").
struct IntermediateGroups {
  hid_t id = H5Pcreate(H5P_LINK_CREATE);
  IntermediateGroups() { H5Pset_create_intermediate_group(id, 1); }
  ~IntermediateGroups() { H5Pclose(id); }
  IntermediateGroups(const IntermediateGroups&) = delete;
  IntermediateGroups& operator=(const IntermediateGroups&) = delete;
};

void check(herr_t status, const std::string& where, const char* what) {
  if (status < 0) {
    throw CheckpointError(fmt::format("{}: {} failed", where, what));
  }
}
}  // namespace

Object::Object(std::int64_t id, std::string file, std::string path)
    : id_(id), file_(std::move(file)), path_(std::move(path)) {}

Object::~Object() {
  const auto hdf5_lock = lock_hdf5();
  if (id_ < 0) {
    return;
  }
  if (H5Iget_type(id_) == H5I_FILE) {
    H5Fclose(id_);
  } else {
    H5Oclose(id_);
  }
}

void Object::close() {
  const auto hdf5_lock = lock_hdf5();
  if (id_ < 0) {
    return;
  }
  const hid_t id = std::exchange(id_, -1);
  // Files are built in memory (create_file); their image is written here with plain I/O, so a
  // full disk is our error to report and never a half-closed HDF5 file (HDF5 1.10 crashes at
  // exit on a file whose close failed).
  std::string image;
  bool ok = H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0;
  const ssize_t size = ok ? H5Fget_file_image(id, nullptr, 0) : -1;
  if (size > 0) {
    image.resize(static_cast<std::size_t>(size));
    ok = H5Fget_file_image(id, image.data(), image.size()) == size;
  } else {
    ok = false;
  }
  ok = H5Fclose(id) >= 0 && ok;
  if (!ok) {
    throw CheckpointError(fmt::format("{}: HDF5 could not finish the file", file_));
  }
  errno = 0;
  std::FILE* out = std::fopen(file_.c_str(), "wb");
  if (out == nullptr) {
    throw CheckpointError(fmt::format("{}: cannot write: {}", file_, os_reason()));
  }
  const bool written = std::fwrite(image.data(), 1, image.size(), out) == image.size();
  std::string reason = written ? "" : os_reason();
  if (std::fclose(out) != 0 && written) {
    reason = os_reason();
  }
  if (!reason.empty()) {
    throw CheckpointError(fmt::format("{}: cannot write: {}", file_, reason));
  }
}

Object::Object(Object&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      file_(std::move(other.file_)),
      path_(std::move(other.path_)) {}

Object& Object::operator=(Object&& other) noexcept {
  const auto hdf5_lock = lock_hdf5();
  if (this != &other) {
    Object old(std::move(*this));
    id_ = std::exchange(other.id_, -1);
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
  }
  return *this;
}

std::string Object::where(const std::string& child) const {
  std::string path = path_;
  if (!child.empty()) {
    path += (path.ends_with('/') ? "" : "/") + child;
  }
  return fmt::format("{}:{}", file_, path);
}

std::vector<std::string> Object::children() const {
  const auto hdf5_lock = lock_hdf5();
  std::vector<std::string> names;
  auto collect = [](hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                    void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  if (H5Literate(id_, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect, &names) < 0) {
    names.clear();
    index = 0;
    H5Literate(id_, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names);
  }
  return names;
}

bool Object::has(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  // H5Lexists on a path with '/' needs every parent to exist; check step by step.
  std::string partial;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto slash = name.find('/', start);
    partial = name.substr(0, slash);
    if (H5Lexists(id_, partial.c_str(), H5P_DEFAULT) <= 0) {
      return false;
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return true;
}

Object Object::group(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  if (!has(name)) {
    throw CheckpointError(fmt::format("{}: group not found", where(name)));
  }
  const hid_t id = H5Gopen2(id_, name.c_str(), H5P_DEFAULT);
  if (id < 0) {
    throw CheckpointError(fmt::format("{}: not a group", where(name)));
  }
  return Object(id, file_, where(name).substr(file_.size() + 1));
}

Object Object::create_group(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  const hid_t id = H5Gcreate2(id_, name.c_str(), IntermediateGroups().id, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) {
    throw CheckpointError(fmt::format("{}: cannot create group", where(name)));
  }
  return Object(id, file_, where(name).substr(file_.size() + 1));
}

bool Object::has_attribute(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  return H5Aexists(id_, name.c_str()) > 0;
}

void Object::write_string_attribute(const std::string& name, const std::string& value) const {
  const auto hdf5_lock = lock_hdf5();
  TypeHandle type(vlen_string_type());
  SpaceHandle space(H5Screate(H5S_SCALAR));
  AttrHandle attr(H5Acreate2(id_, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT));
  const char* text = value.c_str();
  check(attr.id < 0 ? -1 : H5Awrite(attr.id, type.id, &text), where() + "@" + name,
        "writing the attribute");
}

void Object::write_string_list_attribute(const std::string& name,
                                         const std::vector<std::string>& values) const {
  const auto hdf5_lock = lock_hdf5();
  TypeHandle type(vlen_string_type());
  const hsize_t n = values.size();
  SpaceHandle space(H5Screate_simple(1, &n, nullptr));
  AttrHandle attr(H5Acreate2(id_, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT));
  std::vector<const char*> texts;
  for (const auto& v : values) {
    texts.push_back(v.c_str());
  }
  check(attr.id < 0 ? -1 : H5Awrite(attr.id, type.id, texts.data()), where() + "@" + name,
        "writing the attribute");
}

void Object::write_empty_list_attribute(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  const hsize_t n = 0;
  SpaceHandle space(H5Screate_simple(1, &n, nullptr));
  AttrHandle attr(
      H5Acreate2(id_, name.c_str(), H5T_IEEE_F64LE, space.id, H5P_DEFAULT, H5P_DEFAULT));
  check(attr.id, where() + "@" + name, "writing the attribute");
}

std::vector<std::string> Object::read_string_list_attribute(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  if (!has_attribute(name)) {
    throw CheckpointError(fmt::format("{}: attribute '{}' not found", where(), name));
  }
  AttrHandle attr(H5Aopen(id_, name.c_str(), H5P_DEFAULT));
  TypeHandle type(H5Aget_type(attr.id));
  SpaceHandle space(H5Aget_space(attr.id));
  const hssize_t count = H5Sget_simple_extent_npoints(space.id);
  std::vector<std::string> out;
  if (count <= 0) {
    return out;
  }
  if (H5Tget_class(type.id) != H5T_STRING) {
    throw CheckpointError(fmt::format("{}: attribute '{}' is not a string list", where(), name));
  }
  const auto n = static_cast<std::size_t>(count);
  if (H5Tis_variable_str(type.id) > 0) {
    TypeHandle mem(vlen_string_type());
    H5Tset_cset(mem.id, H5Tget_cset(type.id));  // ASCII and UTF-8 do not convert into each other
    std::vector<char*> texts(n, nullptr);
    check(H5Aread(attr.id, mem.id, texts.data()), where() + "@" + name, "reading the attribute");
    for (char* t : texts) {
      out.emplace_back(t != nullptr ? t : "");
    }
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, texts.data());
  } else {
    const std::size_t size = H5Tget_size(type.id);
    std::vector<char> buffer(size * n);
    check(H5Aread(attr.id, type.id, buffer.data()), where() + "@" + name, "reading the attribute");
    for (std::size_t i = 0; i < n; ++i) {
      std::string s(buffer.data() + i * size, size);
      s.erase(s.find_last_not_of('\0') + 1);
      out.push_back(s);
    }
  }
  return out;
}

std::string Object::read_string_attribute(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  const auto values = read_string_list_attribute(name);
  if (values.size() != 1) {
    throw CheckpointError(fmt::format("{}: attribute '{}' should hold one string", where(), name));
  }
  return values[0];
}

void Object::write_floats(const std::string& name, const Shape& shape, const float* data) const {
  const auto hdf5_lock = lock_hdf5();
  const auto dims = dims_of(shape);
  SpaceHandle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  DataHandle set(H5Dcreate2(id_, name.c_str(), H5T_IEEE_F32LE, space.id, IntermediateGroups().id,
                            H5P_DEFAULT, H5P_DEFAULT));
  check(set.id < 0 ? -1 : H5Dwrite(set.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
        where(name), "writing the dataset");
}

void Object::write_doubles(const std::string& name, const std::vector<double>& values) const {
  const auto hdf5_lock = lock_hdf5();
  const hsize_t n = values.size();
  SpaceHandle space(H5Screate_simple(1, &n, nullptr));
  DataHandle set(H5Dcreate2(id_, name.c_str(), H5T_IEEE_F64LE, space.id, IntermediateGroups().id,
                            H5P_DEFAULT, H5P_DEFAULT));
  check(set.id < 0
            ? -1
            : H5Dwrite(set.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        where(name), "writing the dataset");
}

void Object::write_strings(const std::string& name, const std::vector<std::string>& values) const {
  const auto hdf5_lock = lock_hdf5();
  TypeHandle type(vlen_string_type());
  const hsize_t n = values.size();
  SpaceHandle space(H5Screate_simple(1, &n, nullptr));
  DataHandle set(H5Dcreate2(id_, name.c_str(), type.id, space.id, IntermediateGroups().id,
                            H5P_DEFAULT, H5P_DEFAULT));
  std::vector<const char*> texts;
  for (const auto& v : values) {
    texts.push_back(v.c_str());
  }
  check(set.id < 0 ? -1 : H5Dwrite(set.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
        where(name), "writing the dataset");
}

std::vector<std::string> Object::read_strings(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  DataHandle set(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  check(set.id, where(name), "opening the dataset");
  TypeHandle type(H5Dget_type(set.id));
  if (H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) <= 0) {
    throw CheckpointError(fmt::format("{}: not a dataset of variable-length strings", where(name)));
  }
  SpaceHandle space(H5Dget_space(set.id));
  const hssize_t count = H5Sget_simple_extent_npoints(space.id);
  std::vector<std::string> out;
  if (count <= 0) {
    return out;
  }
  TypeHandle mem(vlen_string_type());
  H5Tset_cset(mem.id, H5Tget_cset(type.id));
  std::vector<char*> texts(static_cast<std::size_t>(count), nullptr);
  check(H5Dread(set.id, mem.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), where(name),
        "reading the dataset");
  for (char* t : texts) {
    out.emplace_back(t != nullptr ? t : "");
  }
  H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, texts.data());
  return out;
}

void Object::write_int64s(const std::string& name, const std::vector<std::int64_t>& values) const {
  write_int64s(name, Shape{static_cast<std::int64_t>(values.size())}, values);
}

void Object::write_int64s(const std::string& name, const Shape& shape,
                          const std::vector<std::int64_t>& values) const {
  const auto hdf5_lock = lock_hdf5();
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  SpaceHandle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  DataHandle set(H5Dcreate2(id_, name.c_str(), H5T_STD_I64LE, space.id, IntermediateGroups().id,
                            H5P_DEFAULT, H5P_DEFAULT));
  check(set.id < 0
            ? -1
            : H5Dwrite(set.id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        where(name), "writing the dataset");
}

void Object::write_int64_scalar(const std::string& name, std::int64_t value) const {
  const auto hdf5_lock = lock_hdf5();
  SpaceHandle space(H5Screate(H5S_SCALAR));
  DataHandle set(H5Dcreate2(id_, name.c_str(), H5T_STD_I64LE, space.id, IntermediateGroups().id,
                            H5P_DEFAULT, H5P_DEFAULT));
  check(set.id < 0 ? -1 : H5Dwrite(set.id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
        where(name), "writing the dataset");
}

Shape Object::dataset_shape(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  if (!has(name)) {
    throw CheckpointError(fmt::format("{}: dataset not found", where(name)));
  }
  DataHandle set(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  if (set.id < 0) {
    throw CheckpointError(fmt::format("{}: not a dataset", where(name)));
  }
  SpaceHandle space(H5Dget_space(set.id));
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0 || rank > 8) {
    throw CheckpointError(fmt::format("{}: unreadable dataset shape", where(name)));
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  std::vector<std::int64_t> out(dims.begin(), dims.end());
  return Shape(out);
}

void Object::read_floats(const std::string& name, const Shape& expected, float* out) const {
  const auto hdf5_lock = lock_hdf5();
  const Shape shape = dataset_shape(name);
  if (shape != expected) {
    throw CheckpointError(fmt::format("{}: shape {} != {} expected by the model", where(name),
                                      shape.str(), expected.str()));
  }
  DataHandle set(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  TypeHandle type(H5Dget_type(set.id));
  if (H5Tget_class(type.id) != H5T_FLOAT || H5Tget_size(type.id) != 4) {
    throw CheckpointError(
        fmt::format("{}: expected float32 values, got another data type", where(name)));
  }
  check(H5Dread(set.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), where(name),
        "reading the dataset (the file may be truncated)");
}

std::vector<double> Object::read_doubles(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  const Shape shape = dataset_shape(name);
  std::vector<double> out(static_cast<std::size_t>(shape.elements()));
  DataHandle set(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  check(H5Dread(set.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where(name),
        "reading the dataset");
  return out;
}

std::vector<std::int64_t> Object::read_int64s(const std::string& name) const {
  const auto hdf5_lock = lock_hdf5();
  const Shape shape = dataset_shape(name);
  std::vector<std::int64_t> out(static_cast<std::size_t>(shape.elements()));
  DataHandle set(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  check(H5Dread(set.id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where(name),
        "reading the dataset");
  return out;
}

Object create_file(const std::string& path) {
  const auto hdf5_lock = lock_hdf5();
  silence_hdf5();
  // In memory (the core driver without a backing store); close() writes the image.
  const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(access, 1 << 20, 0);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access);
  H5Pclose(access);
  if (id < 0) {
    throw CheckpointError(fmt::format("{}: cannot create the file", path));
  }
  return Object(id, path, "/");
}

Object open_file(const std::string& path) {
  const auto hdf5_lock = lock_hdf5();
  silence_hdf5();
  if (!std::filesystem::exists(path)) {
    throw CheckpointError(fmt::format("{}: file not found", path));
  }
  if (const auto kind = not_a_regular_file(path)) {
    throw CheckpointError(fmt::format("{}: {}", path, *kind));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw CheckpointError(fmt::format("{}: not an HDF5 file (or truncated)", path));
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    throw CheckpointError(
        fmt::format("{}: cannot open the HDF5 file (truncated or corrupt?)", path));
  }
  return Object(id, path, "/");
}

}  // namespace runner::h5
