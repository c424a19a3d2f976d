#include "data/split.hpp"

#include <cmath>
#include <numeric>
#include <random>

namespace runner {

namespace {
// NumPy's legacy random_interval: the smallest all-ones mask covering `max`, then rejection
// sampling on 32-bit draws (64-bit draws only above 2^32 - 1, which n here never reaches).
std::uint64_t random_interval(std::mt19937& mt, std::uint64_t max) {
  if (max == 0) {
    return 0;
  }
  std::uint64_t mask = max;
  for (unsigned shift = 1; shift <= 32; shift <<= 1U) {
    mask |= mask >> shift;
  }
  std::uint64_t value = 0;
  if (max <= 0xFFFFFFFFULL) {
    do {
      value = mt() & mask;
    } while (value > max);
  } else {
    do {
      const std::uint64_t hi = mt();
      const std::uint64_t lo = mt();
      value = ((hi << 32U) | lo) & mask;
    } while (value > max);
  }
  return value;
}
}  // namespace

std::vector<std::int64_t> numpy_legacy_permutation(std::int64_t n, std::uint32_t seed) {
  // RandomState(int) seeds MT19937 with init_genrand(seed), as std::mt19937(seed) does.
  std::mt19937 mt(seed);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  std::iota(out.begin(), out.end(), 0);
  // Legacy shuffle: Fisher-Yates from the end.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(random_interval(mt, static_cast<std::uint64_t>(i)));
    std::swap(out[static_cast<std::size_t>(i)], out[static_cast<std::size_t>(j)]);
  }
  return out;
}

SplitIndices train_validation_split(std::int64_t n, double fraction, std::uint32_t seed) {
  SplitIndices out;
  if (fraction <= 0.0) {
    out.train.resize(static_cast<std::size_t>(n));
    std::iota(out.train.begin(), out.train.end(), 0);
    return out;
  }
  const auto n_val = static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(n)));
  const auto perm = numpy_legacy_permutation(n, seed);
  out.validation.assign(perm.begin(), perm.begin() + n_val);
  out.train.assign(perm.begin() + n_val, perm.end());
  return out;
}

}  // namespace runner
