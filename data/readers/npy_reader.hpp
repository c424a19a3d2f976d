#pragma once
// NumPy's .npy format (versions 1 to 3) and .npz archives (zip files of .npy members, stored or
// deflated). Plain numeric dtypes only: object arrays need pickle, which is never loaded.
// Arrays are used where they lie in a mapped file when they can be (uint8, little-endian
// float32 in a stored member), converted otherwise.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/features.hpp"
#include "data/source.hpp"

namespace runner {

struct NpyArray {
  char kind = 'f';             // 'u', 'i', 'f' (NumPy's dtype.kind)
  std::size_t item_bytes = 4;  // 1, 2, 4, 8
  bool big_endian = false;
  std::vector<std::int64_t> shape;
  const std::uint8_t* data = nullptr;  // the values, C order
  std::shared_ptr<const void> owner;   // keeps `data` alive
  std::string where;                   // "x.npz:images.npy" (messages)

  [[nodiscard]] std::int64_t elements() const;
  [[nodiscard]] std::string dtype() const;  // "<f4"
};

// Parses one .npy image of `size` bytes at `bytes` (kept alive by `owner`).
NpyArray parse_npy(std::shared_ptr<const void> owner, const std::uint8_t* bytes, std::size_t size,
                   const std::string& where);
NpyArray read_npy_file(const std::string& path);
// The member `key` (".npy" added when missing) of an .npz file; the message lists the keys
// it has when `key` is not one of them.
NpyArray read_npz_member(const std::string& path, const std::string& key);

// The first `count` samples of `x` ({count, ...}) as inputs: in place when they are uint8 or
// aligned little-endian float32, converted to float32 otherwise.
FeatureArray npy_features(const NpyArray& x, std::int64_t count);

// The first array as inputs ({count, ...}: each sample its own shape), the second as labels
// ({count} or {count, width}); checks that the counts agree. `limit` keeps the first samples.
SourceData npy_source_data(const NpyArray& x, const NpyArray& y, std::optional<std::int64_t> limit);

}  // namespace runner
