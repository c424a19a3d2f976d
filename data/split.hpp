#pragma once
// The train/validation split of scikit-learn's train_test_split(X, y, test_size=f,
// random_state=seed) without stratify: NumPy's legacy RandomState(seed).permutation(n), the
// first ceil(f*n) indices for validation, the next n - ceil(f*n) for training.
#include <cstdint>
#include <vector>

namespace runner {

struct SplitIndices {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> validation;
};

// Requires: 0 <= fraction < 1, seed < 2^32 (NumPy's limit for integer seeds).
SplitIndices train_validation_split(std::int64_t n, double fraction, std::uint32_t seed);

// numpy.random.RandomState(seed).permutation(n), bit for bit.
std::vector<std::int64_t> numpy_legacy_permutation(std::int64_t n, std::uint32_t seed);

}  // namespace runner
