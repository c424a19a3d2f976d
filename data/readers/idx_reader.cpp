#include "data/readers/idx_reader.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "data/features.hpp"
#include "framework/core/errors.hpp"

namespace runner {

namespace {
// A header may not promise more than this (Fashion-MNIST's largest file holds 47 MB), so a
// lying header cannot make us allocate terabytes.
constexpr std::int64_t kMaxPayloadBytes = std::int64_t{1} << 32;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw DataError(fmt::format("{}: {}", path, what));
}

// Reads exactly `size` bytes; returns how many were read before the end of the file.
std::size_t read_fully(gzFile file, const std::string& path, std::uint8_t* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1U << 24U));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      fail(path, fmt::format("corrupt gzip data ({})", message));
    }
    if (got == 0) {
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return done;
}
}  // namespace

IdxArray read_idx(const std::string& path, std::size_t expected_rank,
                  std::optional<std::int64_t> limit) {
  errno = 0;
  require_regular_file(path);
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) {
    fail(path,
         fmt::format("cannot open ({})", errno != 0 ? std::strerror(errno) : "gzopen failed"));
  }
  std::array<std::uint8_t, 4> magic{};
  if (read_fully(file.get(), path, magic.data(), magic.size()) != magic.size()) {
    fail(path, "truncated: the file ends inside the 4-byte IDX magic number");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path, fmt::format("not an IDX file: magic number starts with 0x{:02X}{:02X}, expected "
                           "0x0000",
                           magic[0], magic[1]));
  }
  if (magic[2] != 0x08) {
    fail(path, fmt::format("unsupported IDX data type 0x{:02X}; only unsigned bytes (0x08) are "
                           "supported",
                           magic[2]));
  }
  if (magic[3] != expected_rank) {
    fail(path, fmt::format("expected a rank-{} IDX file ({}), got rank {}", expected_rank,
                           expected_rank == 1 ? "labels" : "images", magic[3]));
  }
  IdxArray out;
  std::int64_t item_size = 1;
  for (std::size_t i = 0; i < expected_rank; ++i) {
    std::array<std::uint8_t, 4> be{};
    if (read_fully(file.get(), path, be.data(), be.size()) != be.size()) {
      fail(path, fmt::format("truncated: the file ends inside the header (dimension {})", i));
    }
    const std::int64_t dim =
        (std::int64_t{be[0]} << 24) | (be[1] << 16) | (be[2] << 8) | std::int64_t{be[3]};
    if (dim == 0) {
      fail(path, fmt::format("dimension {} is 0", i));
    }
    out.dims.push_back(dim);
    if (i > 0) {
      if (dim > kMaxPayloadBytes / item_size) {  // divide first: the product could overflow
        fail(path, "header declares items larger than 4 GiB; the header is corrupt");
      }
      item_size *= dim;
    }
  }
  const std::int64_t declared = out.dims[0];
  if (declared > kMaxPayloadBytes / item_size) {  // divide: the product could overflow
    fail(path, fmt::format("header declares {} items of {} bytes (over 4 GiB); the header is "
                           "corrupt",
                           declared, item_size));
  }
  const std::int64_t items = limit ? std::min(*limit, declared) : declared;
  const auto bytes = static_cast<std::size_t>(items * item_size);
  // Grow with the data actually read: a header that lies about its size costs nothing.
  constexpr std::size_t kChunk = std::size_t{1} << 24;
  std::size_t got = 0;
  while (got < bytes) {
    const std::size_t want = std::min(kChunk, bytes - got);
    out.values.resize(got + want);
    const std::size_t n = read_fully(file.get(), path, out.values.data() + got, want);
    got += n;
    if (n < want) {
      break;
    }
  }
  out.values.resize(got);
  if (got != bytes) {
    fail(path, fmt::format("truncated: the header declares {} items ({} bytes) but the file "
                           "holds only {} bytes of data",
                           declared, declared * item_size, got));
  }
  if (!limit || *limit >= declared) {
    std::uint8_t extra = 0;
    if (read_fully(file.get(), path, &extra, 1) != 0) {
      fail(path, fmt::format("more data than the header declares ({} items of {} bytes)", declared,
                             item_size));
    }
  }
  out.dims[0] = items;
  return out;
}

}  // namespace runner

namespace runner {

SourceData read_idx_pair(const std::string& images_path, const std::string& labels_path,
                         std::optional<std::int64_t> limit) {
  IdxArray images = read_idx(images_path, 3, limit);
  IdxArray labels = read_idx(labels_path, 1, limit);
  if (images.dims[0] != labels.dims[0]) {
    throw DataError(fmt::format("{}: {} labels for {} images in {}", labels_path, labels.dims[0],
                                images.dims[0], images_path));
  }
  SourceData data;
  const std::int64_t count = images.dims[0];
  data.x = FeatureArray::of_bytes(std::move(images.values), count,
                                  Shape{images.dims[1], images.dims[2], 1});
  data.y.numbers.assign(labels.values.begin(), labels.values.end());
  data.y.origin = labels_path;
  data.description = images_path;
  return data;
}

}  // namespace runner
