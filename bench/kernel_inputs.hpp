#pragma once
// What the kernel micro-benchmarks (kernels_bench.cpp, zoo_kernels_bench.cpp) share: the batch
// and the inputs, sin(0.37 i) as the tests use.
#include <cmath>
#include <cstddef>
#include <vector>

namespace runner::bench {

constexpr long kBatch = 32;

inline std::vector<float> pattern(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  }
  return v;
}

}  // namespace runner::bench
