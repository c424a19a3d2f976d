// Kernel micro-benchmarks (Google Benchmark) at the reference model's shapes, batch 32, each
// beside a naive loop doing the same arithmetic.
//   build/release/runner_kernel_bench --benchmark_min_time=0.5
// The kernels run on oneTBB's default thread count (all cores), as in training.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "bench/kernel_inputs.hpp"
#include "layers/kernels/conv2d.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/pool2d.hpp"
#include "layers/kernels/winograd.hpp"

namespace {

using runner::kernels::Activation;
using runner::kernels::Conv2DGeometry;
using runner::kernels::Pool2DGeometry;

using runner::bench::kBatch;
using runner::bench::pattern;

// conv2d (first layer) and conv2d_1 of the reference model, "same" padding.
Conv2DGeometry conv_geometry(long layer) {
  return layer == 0 ? Conv2DGeometry{28, 28, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1}
                    : Conv2DGeometry{14, 14, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1};
}

void set_flops(benchmark::State& state, double flops_per_iteration) {
  // FLOPs per second, printed in G (kIs1000 scaling).
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void BM_Conv2DForward(benchmark::State& state) {
  const auto g = conv_geometry(state.range(0));
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c));
  const auto b = pattern(static_cast<std::size_t>(g.out_c));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  std::vector<float> col(runner::kernels::conv2d_col_size(g, Activation::kRelu, kBatch));
  for (auto _ : state) {
    runner::kernels::conv2d_forward(
        g, {Activation::kRelu},
        {.batch = kBatch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()}, col.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * kBatch * g.pixels() * g.patch() * g.out_c);
}
BENCHMARK(BM_Conv2DForward)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Conv2DForwardNaive(benchmark::State& state) {
  const auto g = conv_geometry(state.range(0));
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  for (auto _ : state) {
    for (long n = 0; n < kBatch; ++n) {
      for (long oh = 0; oh < g.out_h; ++oh) {
        for (long ow = 0; ow < g.out_w; ++ow) {
          float* out = y.data() + n * g.out_size() + (oh * g.out_w + ow) * g.out_c;
          for (long o = 0; o < g.out_c; ++o) {
            out[o] = 0;
          }
          for (long ky = 0; ky < g.k_h; ++ky) {
            for (long kx = 0; kx < g.k_w; ++kx) {
              const long ih = oh - g.pad_top + ky;
              const long iw = ow - g.pad_left + kx;
              if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) {
                continue;
              }
              for (long c = 0; c < g.in_c; ++c) {
                const float v =
                    x[static_cast<std::size_t>(n * g.in_size() + (ih * g.in_w + iw) * g.in_c + c)];
                const float* wr = w.data() + ((ky * g.k_w + kx) * g.in_c + c) * g.out_c;
                for (long o = 0; o < g.out_c; ++o) {
                  out[o] += v * wr[o];
                }
              }
            }
          }
        }
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * kBatch * g.pixels() * g.patch() * g.out_c);
}
BENCHMARK(BM_Conv2DForwardNaive)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Conv2DBackward(benchmark::State& state) {
  const auto g = conv_geometry(state.range(0));
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c));
  const auto b = pattern(static_cast<std::size_t>(g.out_c));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  std::vector<float> col(runner::kernels::conv2d_col_size(g, Activation::kRelu, kBatch));
  runner::kernels::conv2d_forward(
      g, {Activation::kRelu},
      {.batch = kBatch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()}, col.data());
  const auto dy = pattern(y.size());
  std::vector<float> dw(w.size()), db(b.size()), dx(x.size()), delta(y.size());
  std::vector<float> partials(runner::kernels::conv2d_partials_size(g, kBatch));
  const bool with_dx = state.range(0) != 0;  // the first layer needs no input gradient
  for (auto _ : state) {
    runner::kernels::conv2d_backward(
        g, {Activation::kRelu},
        {.batch = kBatch,
         .x = x.data(),
         .w = w.data(),
         .y = y.data(),
         .dy = dy.data(),
         .dw = dw.data(),
         .db = db.data(),
         .dx = with_dx ? dx.data() : nullptr},
        {.col = col.data(), .delta = delta.data(), .partials = partials.data()});
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, 2.0 * kBatch * g.pixels() * g.patch() * g.out_c * (with_dx ? 2 : 1));
}
BENCHMARK(BM_Conv2DBackward)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Winograd F(m x m, 3x3), args (layer, m). FLOP/s counts the direct convolution's arithmetic,
// so the numbers compare with BM_Conv2DForward/Backward as speed.
struct WinogradCase {
  Conv2DGeometry g;
  long tile;
  std::vector<float> x, w, b, y, u, v;

  explicit WinogradCase(const benchmark::State& state)
      : g(conv_geometry(state.range(0))),
        tile(state.range(1)),
        x(pattern(static_cast<std::size_t>(kBatch * g.in_size()))),
        w(pattern(static_cast<std::size_t>(g.patch() * g.out_c))),
        b(pattern(static_cast<std::size_t>(g.out_c))),
        y(static_cast<std::size_t>(kBatch * g.out_size())),
        u(runner::kernels::winograd_sizes(g, tile, kBatch).weights),
        v(runner::kernels::winograd_sizes(g, tile, kBatch).inputs) {}

  void forward() {
    runner::kernels::winograd_forward(
        g, tile, {Activation::kRelu},
        {.batch = kBatch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()}, u.data(),
        v.data());
  }
  [[nodiscard]] double flops() const { return 2.0 * kBatch * g.pixels() * g.patch() * g.out_c; }
};

void BM_WinogradForward(benchmark::State& state) {
  WinogradCase c(state);
  for (auto _ : state) {
    c.forward();
    benchmark::DoNotOptimize(c.y.data());
  }
  set_flops(state, c.flops());
}
BENCHMARK(BM_WinogradForward)
    ->Args({0, 2})
    ->Args({1, 2})
    ->Args({1, 4})
    ->Unit(benchmark::kMicrosecond);

void BM_WinogradBackward(benchmark::State& state) {
  WinogradCase c(state);
  c.forward();
  std::vector<float> partials(runner::kernels::winograd_sizes(c.g, c.tile, kBatch).partials);
  const auto dy = pattern(c.y.size());
  std::vector<float> dw(c.w.size()), db(c.b.size()), dx(c.x.size()), delta(c.y.size());
  const bool with_dx = state.range(0) != 0;  // the first layer needs no input gradient
  for (auto _ : state) {
    // v is overwritten by the input gradient; without dx it stays valid.
    runner::kernels::winograd_backward(
        c.g, c.tile, {Activation::kRelu},
        {.batch = kBatch,
         .x = c.x.data(),
         .y = c.y.data(),
         .dy = dy.data(),
         .dw = dw.data(),
         .db = db.data(),
         .dx = with_dx ? dx.data() : nullptr},
        {.u = c.u.data(), .v = c.v.data(), .delta = delta.data(), .partials = partials.data()});
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, c.flops() * (with_dx ? 2 : 1));
}
BENCHMARK(BM_WinogradBackward)
    ->Args({0, 2})
    ->Args({1, 2})
    ->Args({1, 4})
    ->Unit(benchmark::kMicrosecond);

// dense: 32 x 3136 -> 100
void BM_DenseGemm(benchmark::State& state) {
  const auto x = pattern(32 * 3136);
  const auto w = pattern(3136 * 100);
  std::vector<float> y(32 * 100);
  for (auto _ : state) {
    runner::kernels::gemm(false, false, 32, 100, 3136, 1.0F, x.data(), 3136, w.data(), 100, 0.0F,
                          y.data(), 100);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * 32 * 3136 * 100);
}
BENCHMARK(BM_DenseGemm)->Unit(benchmark::kMicrosecond);

void BM_DenseNaive(benchmark::State& state) {
  const auto x = pattern(32 * 3136);
  const auto w = pattern(3136 * 100);
  std::vector<float> y(32 * 100);
  for (auto _ : state) {
    for (int n = 0; n < 32; ++n) {
      float* out = y.data() + n * 100;
      for (int o = 0; o < 100; ++o) {
        out[o] = 0;
      }
      for (int k = 0; k < 3136; ++k) {
        const float v = x[static_cast<std::size_t>(n * 3136 + k)];
        for (int o = 0; o < 100; ++o) {
          out[o] += v * w[static_cast<std::size_t>(k * 100 + o)];
        }
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * 32 * 3136 * 100);
}
BENCHMARK(BM_DenseNaive)->Unit(benchmark::kMicrosecond);

// max_pooling2d: 32 x 28 x 28 x 32 -> 14 x 14
void BM_MaxPoolForward(benchmark::State& state) {
  const Pool2DGeometry g{28, 28, 32, 14, 14, 2, 2, 2, 2, 0, 0};
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  std::vector<std::int32_t> arg(y.size());
  for (auto _ : state) {
    runner::kernels::max_pool2d_forward(g, kBatch, x.data(), y.data(), arg.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<long>(x.size() * sizeof(float)));
}
BENCHMARK(BM_MaxPoolForward)->Unit(benchmark::kMicrosecond);

void BM_MaxPoolNaive(benchmark::State& state) {
  const Pool2DGeometry g{28, 28, 32, 14, 14, 2, 2, 2, 2, 0, 0};
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  for (auto _ : state) {
    for (long n = 0; n < kBatch; ++n) {
      for (long oh = 0; oh < 14; ++oh) {
        for (long ow = 0; ow < 14; ++ow) {
          for (long c = 0; c < 32; ++c) {
            float best = -INFINITY;
            for (long ky = 0; ky < 2; ++ky) {
              for (long kx = 0; kx < 2; ++kx) {
                best = std::max(
                    best, x[static_cast<std::size_t>(n * g.in_size() +
                                                     ((2 * oh + ky) * 28 + 2 * ow + kx) * 32 + c)]);
              }
            }
            y[static_cast<std::size_t>(n * g.out_size() + (oh * 14 + ow) * 32 + c)] = best;
          }
        }
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<long>(x.size() * sizeof(float)));
}
BENCHMARK(BM_MaxPoolNaive)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
