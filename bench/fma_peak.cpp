// The multiply-add peak of one core with runner's register width (layers/kernels/lanes.hpp: 8
// floats when built for AVX2, 16 for AVX-512): twelve independent chains v = v * a + b, so
// nothing waits on a multiply-add's latency. The yardstick for "this kernel runs at N% of the
// peak".
//   g++ -O2 -march=x86-64-v3 -I. bench/fma_peak.cpp -o /tmp/fma_peak_avx2 && /tmp/fma_peak_avx2
//   g++ -O2 -march=native -I. bench/fma_peak.cpp -o /tmp/fma_peak && /tmp/fma_peak
#include <chrono>
#include <cstdio>

#include "layers/kernels/lanes.hpp"

using runner::kernels::kLanes;
using runner::kernels::Vec;

int main(int argc, char** /*argv*/) {
  constexpr int kChains = 12;
  constexpr long kIterations = 400'000'000;
  // Operands from a run-time value and chains that start apart, so the compiler can neither fold
  // the loop nor merge the chains.
  const float scale = 1.0F - 1e-7F * static_cast<float>(argc);
  Vec a{};
  Vec b{};
  for (int i = 0; i < kLanes; ++i) {
    a[i] = scale;
    b[i] = 1e-3F;
  }
  Vec acc[kChains];
  for (int j = 0; j < kChains; ++j) {
    acc[j] = a * static_cast<float>(j + 1);
  }
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12
    for (auto& chain : acc) {
      chain = chain * a + b;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sum = 0.0F;
  for (const auto& chain : acc) {
    sum += chain[0];
  }
  const double fmas = static_cast<double>(kIterations) * kChains;
  std::printf("%d lanes: %.2f G multiply-add instructions/s, %.1f GFLOP/s on one core (%g)\n",
              kLanes, fmas / seconds / 1e9, fmas * kLanes * 2 / seconds / 1e9,
              static_cast<double>(sum));
  return 0;
}
