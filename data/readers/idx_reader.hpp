#pragma once
// Reader for IDX files (the MNIST format), gzip'd or plain: big-endian header
// [0, 0, dtype, rank][dim0]...[dimN-1] then the values. Only unsigned bytes (0x08) are read.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace runner {

struct IdxArray {
  std::vector<std::int64_t> dims;  // dims[0] is the item count (after any limit)
  std::vector<std::uint8_t> values;
};

// Reads `path`, keeping only the first `limit` items if given. Throws DataError naming the
// file and the problem (missing, not gzip, wrong magic, lying or truncated header, wrong rank).
// `expected_rank` is 3 for images, 1 for labels.
IdxArray read_idx(const std::string& path, std::size_t expected_rank,
                  std::optional<std::int64_t> limit = std::nullopt);

}  // namespace runner

#include "data/source.hpp"

namespace runner {

// An images file (rank 3: count, height, width) and its labels file (rank 1) as a source's
// data; the counts must agree.
SourceData read_idx_pair(const std::string& images_path, const std::string& labels_path,
                         std::optional<std::int64_t> limit);

}  // namespace runner
