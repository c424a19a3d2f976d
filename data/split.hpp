#pragma once
// scikit-learn's train_test_split(X, y, test_size=f, random_state=seed[, stratify=y]), index
// for index. Without stratify: NumPy's legacy RandomState(seed).permutation(n), the first
// ceil(f*n) indices held out, the rest kept. With stratify: StratifiedShuffleSplit's draw
// (per-class counts by _approximate_mode, a permutation per class, then both sides permuted),
// from the same RandomState.
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace runner {

struct SplitIndices {
  std::vector<std::int64_t> train;       // kept
  std::vector<std::int64_t> validation;  // held out
};

// Requires: 0 <= fraction < 1, seed < 2^32 (NumPy's limit for integer seeds).
SplitIndices train_validation_split(std::int64_t n, double fraction, std::uint32_t seed);

// Stratified by `classes` (one per sample). Throws DataError as scikit-learn raises ValueError
// (a class with one member, or fewer samples on a side than there are classes).
SplitIndices stratified_split(std::span<const std::int32_t> classes, double fraction,
                              std::uint32_t seed);

// numpy.random.RandomState(seed): the draws train_test_split makes, bit for bit.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}
  // permutation(n): legacy Fisher-Yates from the end.
  std::vector<std::int64_t> permutation(std::int64_t n);

 private:
  std::uint64_t random_interval(std::uint64_t max);
  std::mt19937 mt_;
};

// numpy.random.RandomState(seed).permutation(n), bit for bit.
std::vector<std::int64_t> numpy_legacy_permutation(std::int64_t n, std::uint32_t seed);

}  // namespace runner
