#include "data/split.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "framework/core/errors.hpp"

namespace runner {

// NumPy's legacy random_interval: the smallest all-ones mask covering `max`, then rejection
// sampling on 32-bit draws (64-bit draws only above 2^32 - 1, which n here never reaches).
std::uint64_t NumpyRandomState::random_interval(std::uint64_t max) {
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
      value = mt_() & mask;
    } while (value > max);
  } else {
    do {
      const std::uint64_t hi = mt_();
      const std::uint64_t lo = mt_();
      value = ((hi << 32U) | lo) & mask;
    } while (value > max);
  }
  return value;
}

std::vector<std::int64_t> NumpyRandomState::permutation(std::int64_t n) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  std::iota(out.begin(), out.end(), 0);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(random_interval(static_cast<std::uint64_t>(i)));
    std::swap(out[static_cast<std::size_t>(i)], out[static_cast<std::size_t>(j)]);
  }
  return out;
}

std::vector<std::int64_t> numpy_legacy_permutation(std::int64_t n, std::uint32_t seed) {
  // RandomState(int) seeds MT19937 with init_genrand(seed), as std::mt19937(seed) does.
  return NumpyRandomState(seed).permutation(n);
}

namespace {
std::int64_t held_out_count(std::int64_t n, double fraction) {
  return static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(n)));
}
}  // namespace

SplitIndices train_validation_split(std::int64_t n, double fraction, std::uint32_t seed) {
  SplitIndices out;
  if (fraction <= 0.0) {
    out.train.resize(static_cast<std::size_t>(n));
    std::iota(out.train.begin(), out.train.end(), 0);
    return out;
  }
  const std::int64_t n_val = held_out_count(n, fraction);
  const auto perm = numpy_legacy_permutation(n, seed);
  out.validation.assign(perm.begin(), perm.begin() + n_val);
  out.train.assign(perm.begin() + n_val, perm.end());
  return out;
}

namespace {
// scikit-learn's _approximate_mode: floor of each class's share of `draws`, then the
// remaining draws to the largest remainders, ties broken by a random choice.
std::vector<std::int64_t> approximate_mode(const std::vector<std::int64_t>& counts,
                                           std::int64_t draws, NumpyRandomState& rng) {
  const double total =
      static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}));
  std::vector<double> continuous(counts.size());
  std::vector<std::int64_t> floored(counts.size());
  std::int64_t floored_sum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    continuous[i] = static_cast<double>(counts[i]) / total * static_cast<double>(draws);
    floored[i] = static_cast<std::int64_t>(std::floor(continuous[i]));
    floored_sum += floored[i];
  }
  std::int64_t need = draws - floored_sum;
  if (need > 0) {
    std::vector<double> remainder(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
      remainder[i] = continuous[i] - static_cast<double>(floored[i]);
    }
    std::vector<double> values = remainder;
    std::sort(values.begin(), values.end(), std::greater<>());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (const double value : values) {
      std::vector<std::size_t> inds;
      for (std::size_t i = 0; i < remainder.size(); ++i) {
        if (remainder[i] == value) {
          inds.push_back(i);
        }
      }
      const auto add_now = std::min<std::int64_t>(static_cast<std::int64_t>(inds.size()), need);
      // rng.choice(inds, add_now, replace=False) is permutation(len)[:add_now] in RandomState.
      const auto pick = rng.permutation(static_cast<std::int64_t>(inds.size()));
      for (std::int64_t k = 0; k < add_now; ++k) {
        ++floored[inds[static_cast<std::size_t>(pick[static_cast<std::size_t>(k)])]];
      }
      need -= add_now;
      if (need == 0) {
        break;
      }
    }
  }
  return floored;
}
}  // namespace

SplitIndices stratified_split(std::span<const std::int32_t> classes, double fraction,
                              std::uint32_t seed) {
  const auto n = static_cast<std::int64_t>(classes.size());
  const std::int64_t n_test = held_out_count(n, fraction);
  const std::int64_t n_train = n - n_test;
  // np.unique(y, return_inverse=True): classes in sorted order.
  std::map<std::int32_t, std::vector<std::int64_t>> members;  // in index order (mergesort)
  for (std::int64_t i = 0; i < n; ++i) {
    members[classes[static_cast<std::size_t>(i)]].push_back(i);
  }
  std::vector<std::int64_t> counts;
  for (const auto& [label, list] : members) {
    if (list.size() < 2) {
      throw DataError(fmt::format(
          "stratify: class {} has only 1 sample; every class needs at least 2 to be split", label));
    }
    counts.push_back(static_cast<std::int64_t>(list.size()));
  }
  const auto n_classes = static_cast<std::int64_t>(counts.size());
  if (n_train < n_classes || n_test < n_classes) {
    throw DataError(fmt::format(
        "stratify: {} held-out and {} kept samples, but there are {} classes; each side needs at "
        "least one sample per class",
        n_test, n_train, n_classes));
  }
  NumpyRandomState rng(seed);
  const auto n_i = approximate_mode(counts, n_train, rng);
  std::vector<std::int64_t> remaining(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    remaining[i] = counts[i] - n_i[i];
  }
  const auto t_i = approximate_mode(remaining, n_test, rng);
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> test;
  std::size_t c = 0;
  for (const auto& [label, list] : members) {
    const auto perm = rng.permutation(counts[c]);
    for (std::int64_t k = 0; k < n_i[c]; ++k) {
      train.push_back(list[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])]);
    }
    for (std::int64_t k = n_i[c]; k < n_i[c] + t_i[c]; ++k) {
      test.push_back(list[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])]);
    }
    ++c;
  }
  SplitIndices out;
  const auto train_perm = rng.permutation(static_cast<std::int64_t>(train.size()));
  const auto test_perm = rng.permutation(static_cast<std::int64_t>(test.size()));
  for (const auto i : train_perm) {
    out.train.push_back(train[static_cast<std::size_t>(i)]);
  }
  for (const auto i : test_perm) {
    out.validation.push_back(test[static_cast<std::size_t>(i)]);
  }
  return out;
}

}  // namespace runner
