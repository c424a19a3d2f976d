// The optimizers' update on the MLP of bench/models/mlp-tabular.yaml (279,042 parameters), one
// thread; and Adam's loop as it was written before 2026-12-03 beside today's, on blocks at the
// same offset modulo 4096: storing m before loading v (and v before w) made each load wait for
// the store at its offset ("4K aliasing"). Part of runner_kernel_bench:
//   build/release/runner_kernel_bench --benchmark_filter='Optimizer|AdamLoop'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/kernel_inputs.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/train/optimizers/optimizer.hpp"

namespace {

using runner::bench::pattern;

constexpr std::size_t kParameters = 30 * 512 + 512 + 512 * 512 + 512 + 512 * 2 + 2;

void BM_OptimizerUpdate(benchmark::State& state, const std::string& yaml) {
  runner::ThreadLimit one_thread(1);
  runner::Diagnostics diag("bench");
  runner::Spec spec(runner::load_yaml_string(yaml, "bench"), "optimizer", diag, 0, 0);
  auto optimizer = runner::optimizer_registry().create(spec);
  diag.throw_if_any();
  optimizer->prepare(kParameters);
  auto w = pattern(kParameters);
  const auto g = pattern(kParameters + 7);  // shifted: not the parameters' values
  for (auto _ : state) {
    optimizer->apply(w, std::span(g).first(kParameters));
    benchmark::DoNotOptimize(w.data());
  }
}
BENCHMARK_CAPTURE(BM_OptimizerUpdate, adam, std::string("adam"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OptimizerUpdate, sgd_momentum, std::string("{type: sgd, momentum: 0.9}"))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OptimizerUpdate, rmsprop, std::string("rmsprop"))
    ->Unit(benchmark::kMicrosecond);

// Four blocks of kParameters floats, each starting on a 4 KiB boundary: element i of every block
// at the same offset modulo 4096, as large separately allocated vectors often are (glibc maps
// them whole, data 16 bytes into a page).
struct AlignedBlocks {
  static constexpr std::size_t kStride = (kParameters * sizeof(float) + 4095) / 4096 * 4096;
  std::vector<float> storage = pattern(4 * kStride / sizeof(float) + 1024);
  float* block(int k) {
    auto base = reinterpret_cast<std::uintptr_t>(storage.data());
    base = (base + 4095) / 4096 * 4096;
    return reinterpret_cast<float*>(base + static_cast<std::size_t>(k) * kStride);
  }
};

// Adam's loop as adam_rule.hpp had it (each slot stored before the next array is loaded) when
// store_first, else as it has it now (every operand loaded first); the same arithmetic.
void BM_AdamLoop(benchmark::State& state) {
  const bool store_first = state.range(0) != 0;
  runner::ThreadLimit one_thread(1);
  AlignedBlocks blocks;
  float* __restrict w = blocks.block(0);
  const float* __restrict g = blocks.block(1);
  float* __restrict m = blocks.block(2);
  float* __restrict v = blocks.block(3);
  std::fill(m, m + kParameters, 0.0F);
  std::fill(v, v + kParameters, 0.0F);
  const float alpha = 0.001F;
  const float b1 = 0.1F;  // 1 - beta_1
  const float b2 = 0.001F;
  const float eps = 1e-7F;
  for (auto _ : state) {
    runner::for_each_chunk(kParameters, [=](std::size_t begin, std::size_t end) {
      if (store_first) {
        for (std::size_t i = begin; i < end; ++i) {
          m[i] += (g[i] - m[i]) * b1;
          v[i] += (g[i] * g[i] - v[i]) * b2;
          w[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
        }
        return;
      }
      for (std::size_t i = begin; i < end; ++i) {
        const float gi = g[i];
        const float mi = m[i] + (gi - m[i]) * b1;
        const float vi = v[i] + (gi * gi - v[i]) * b2;
        const float wi = w[i] - alpha * mi / (std::sqrt(vi) + eps);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi;
      }
    });
    benchmark::DoNotOptimize(w);
  }
}
BENCHMARK(BM_AdamLoop)->ArgName("store_first")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace
