#include "data/features.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "framework/core/errors.hpp"

namespace runner {

FeatureArray FeatureArray::of_bytes(std::vector<std::uint8_t> values, std::int64_t count,
                                    Shape sample_shape) {
  auto owned = std::make_shared<std::vector<std::uint8_t>>(std::move(values));
  const void* data = owned->data();
  return of_memory(std::move(owned), data, ElementType::kUint8, count, std::move(sample_shape));
}

FeatureArray FeatureArray::of_floats(std::vector<float> values, std::int64_t count,
                                     Shape sample_shape) {
  auto owned = std::make_shared<std::vector<float>>(std::move(values));
  const void* data = owned->data();
  return of_memory(std::move(owned), data, ElementType::kFloat32, count, std::move(sample_shape));
}

FeatureArray FeatureArray::of_memory(std::shared_ptr<const void> owner, const void* data,
                                     ElementType type, std::int64_t count, Shape sample_shape) {
  FeatureArray a;
  a.owner_ = std::move(owner);
  a.data_ = data;
  a.type_ = type;
  a.count_ = count;
  a.sample_shape_ = std::move(sample_shape);
  return a;
}

const std::uint8_t* FeatureArray::bytes(std::int64_t i) const {
  return static_cast<const std::uint8_t*>(data_) + i * sample_size();
}

const float* FeatureArray::floats(std::int64_t i) const {
  return static_cast<const float*>(data_) + i * sample_size();
}

void FeatureArray::truncate(std::int64_t n) {
  count_ = std::min(count_, n);
}

void require_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw DataError(fmt::format("{}: not a regular file", path));
  }
}

std::shared_ptr<const void> map_file(const std::string& path, std::size_t& size) {
  // O_NONBLOCK: opening a FIFO someone named as a data file must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw DataError(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataError(fmt::format("{}: not a regular file", path));
  }
  size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return std::make_shared<int>(0);  // nothing to map; readers report the empty file
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    throw DataError(fmt::format("{}: cannot map: {}", path, std::strerror(err)));
  }
  return {p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); }};
}

}  // namespace runner
