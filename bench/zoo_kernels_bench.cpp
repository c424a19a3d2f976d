// The model zoo's kernels (depthwise convolution, pointwise gelu, batch normalization, global
// average pooling, affine resampling), each beside a naive loop doing the same arithmetic, at
// batch 32 and the shapes of bench/layer_cases.yaml. Part of runner_kernel_bench:
//   build/release/runner_kernel_bench --benchmark_filter='Depthwise|Gelu|BatchNorm|Global|Resample'
// (bench/layers_side_by_side.sh compares the layers with PyTorch.)
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "bench/kernel_inputs.hpp"
#include "layers/kernels/batch_norm.hpp"
#include "layers/kernels/depthwise_conv2d.hpp"
#include "layers/kernels/global_pool.hpp"
#include "layers/kernels/image_transform.hpp"
#include "layers/kernels/pointwise.hpp"

namespace {

using namespace runner::kernels;  // NOLINT(google-build-using-namespace): benchmark file

using runner::bench::kBatch;
using runner::bench::pattern;

// 14 x 14 x 64, 3x3, same padding.
constexpr DepthwiseGeometry kDepthwise{.in_h = 14,
                                       .in_w = 14,
                                       .in_c = 64,
                                       .out_h = 14,
                                       .out_w = 14,
                                       .multiplier = 1,
                                       .k_h = 3,
                                       .k_w = 3,
                                       .stride_h = 1,
                                       .stride_w = 1,
                                       .pad_top = 1,
                                       .pad_left = 1,
                                       .dilation_h = 1,
                                       .dilation_w = 1};

void BM_DepthwiseForward(benchmark::State& state) {
  const auto& g = kDepthwise;
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  const auto w = pattern(static_cast<std::size_t>(g.taps() * g.out_c()));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  for (auto _ : state) {
    depthwise_forward(g, Activation::kLinear,
                      {.batch = kBatch, .x = x.data(), .w = w.data(), .y = y.data()});
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_DepthwiseForward)->Unit(benchmark::kMicrosecond);

void BM_DepthwiseForwardNaive(benchmark::State& state) {
  const auto& g = kDepthwise;
  const auto x = pattern(static_cast<std::size_t>(kBatch * g.in_size()));
  const auto w = pattern(static_cast<std::size_t>(g.taps() * g.out_c()));
  std::vector<float> y(static_cast<std::size_t>(kBatch * g.out_size()));
  for (auto _ : state) {
    for (long n = 0; n < kBatch; ++n) {
      for (long c = 0; c < g.in_c; ++c) {
        for (long oy = 0; oy < g.out_h; ++oy) {
          for (long ox = 0; ox < g.out_w; ++ox) {
            float sum = 0;
            for (long ky = 0; ky < 3; ++ky) {
              for (long kx = 0; kx < 3; ++kx) {
                const long iy = oy - 1 + ky;
                const long ix = ox - 1 + kx;
                if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w) {
                  sum += x[static_cast<std::size_t>(n * g.in_size() + (iy * g.in_w + ix) * g.in_c +
                                                    c)] *
                         w[static_cast<std::size_t>((ky * 3 + kx) * g.in_c + c)];
                }
              }
            }
            y[static_cast<std::size_t>(n * g.out_size() + (oy * g.out_w + ox) * g.in_c + c)] = sum;
          }
        }
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_DepthwiseForwardNaive)->Unit(benchmark::kMicrosecond);

constexpr std::size_t kActivations = kBatch * 14 * 14 * 64;

void BM_GeluForward(benchmark::State& state) {
  const auto x = pattern(kActivations);
  std::vector<float> y(kActivations);
  for (auto _ : state) {
    pointwise_forward({Pointwise::kGelu}, x.data(), y.data(), kActivations);
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_GeluForward)->Unit(benchmark::kMicrosecond);

void BM_GeluNaive(benchmark::State& state) {
  const auto x = pattern(kActivations);
  std::vector<float> y(kActivations);
  const auto inv_sqrt2 = static_cast<float>(std::numbers::sqrt2 / 2);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kActivations; ++i) {
      y[i] = 0.5F * x[i] * (1.0F + std::erf(x[i] * inv_sqrt2));
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_GeluNaive)->Unit(benchmark::kMicrosecond);

// Training-mode batch normalization forward: statistics, then the normalization.
void BM_BatchNormForward(benchmark::State& state) {
  const BatchNormGeometry g{kBatch * 14 * 14, 64};
  const auto x = pattern(kActivations);
  std::vector<float> y(kActivations), mean(64), var(64), scale(64, 1.0F), shift(64, 0.0F);
  std::vector<double> scratch(batch_norm_scratch_size(g));
  for (auto _ : state) {
    batch_norm_statistics(g, x.data(), mean.data(), var.data(), scratch.data());
    for (long c = 0; c < 64; ++c) {
      scale[static_cast<std::size_t>(c)] =
          1.0F / std::sqrt(var[static_cast<std::size_t>(c)] + 1e-3F);
      shift[static_cast<std::size_t>(c)] =
          -mean[static_cast<std::size_t>(c)] * scale[static_cast<std::size_t>(c)];
    }
    batch_norm_apply(g, x.data(), {.scale = scale.data(), .shift = shift.data()}, y.data());
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_BatchNormForward)->Unit(benchmark::kMicrosecond);

void BM_BatchNormNaive(benchmark::State& state) {
  const long rows = kBatch * 14 * 14;
  const auto x = pattern(kActivations);
  std::vector<float> y(kActivations);
  for (auto _ : state) {
    for (long c = 0; c < 64; ++c) {
      double sum = 0;
      double squares = 0;
      for (long r = 0; r < rows; ++r) {
        const double v = x[static_cast<std::size_t>(r * 64 + c)];
        sum += v;
        squares += v * v;
      }
      const double mean = sum / static_cast<double>(rows);
      const auto inv_std = static_cast<float>(
          1.0 / std::sqrt(squares / static_cast<double>(rows) - mean * mean + 1e-3));
      for (long r = 0; r < rows; ++r) {
        const auto i = static_cast<std::size_t>(r * 64 + c);
        y[i] = (x[i] - static_cast<float>(mean)) * inv_std;
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_BatchNormNaive)->Unit(benchmark::kMicrosecond);

// Global average pooling of 7 x 7 x 128.
void BM_GlobalAvgPool(benchmark::State& state) {
  const GlobalPoolGeometry g{kBatch, 49, 128};
  const auto x = pattern(static_cast<std::size_t>(kBatch * 49 * 128));
  std::vector<float> y(static_cast<std::size_t>(kBatch * 128));
  for (auto _ : state) {
    global_avg_pool_forward(g, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_GlobalAvgPool)->Unit(benchmark::kMicrosecond);

void BM_GlobalAvgPoolNaive(benchmark::State& state) {
  const auto x = pattern(static_cast<std::size_t>(kBatch * 49 * 128));
  std::vector<float> y(static_cast<std::size_t>(kBatch * 128));
  for (auto _ : state) {
    for (long n = 0; n < kBatch; ++n) {
      for (long c = 0; c < 128; ++c) {
        float sum = 0;
        for (long p = 0; p < 49; ++p) {
          sum += x[static_cast<std::size_t>((n * 49 + p) * 128 + c)];
        }
        y[static_cast<std::size_t>(n * 128 + c)] = sum / 49.0F;
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_GlobalAvgPoolNaive)->Unit(benchmark::kMicrosecond);

// A rotation of 128 28 x 28 grayscale images, constant fill, bilinear.
AffineMap rotation() {
  const float c = std::cos(0.2F);
  const float s = std::sin(0.2F);
  return {c, -s, (27.0F - (c * 27.0F - s * 27.0F)) / 2.0F,
          s, c,  (27.0F - (s * 27.0F + c * 27.0F)) / 2.0F};
}

void BM_ResampleRotation(benchmark::State& state) {
  const ImageTransformGeometry g{28, 28, 1, FillMode::kConstant};
  const auto x = pattern(128 * 784);
  std::vector<float> y(x.size());
  const std::vector<AffineMap> maps(128, rotation());
  for (auto _ : state) {
    transform_images(g, 128, maps.data(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_ResampleRotation)->Unit(benchmark::kMicrosecond);

void BM_ResampleRotationNaive(benchmark::State& state) {
  const auto x = pattern(128 * 784);
  std::vector<float> y(x.size());
  const AffineMap m = rotation();
  auto at = [&](long n, long iy, long ix) {
    return iy >= 0 && iy < 28 && ix >= 0 && ix < 28
               ? x[static_cast<std::size_t>(n * 784 + iy * 28 + ix)]
               : 0.0F;
  };
  for (auto _ : state) {
    for (long n = 0; n < 128; ++n) {
      for (long oy = 0; oy < 28; ++oy) {
        for (long ox = 0; ox < 28; ++ox) {
          const float sx = m.a0 * static_cast<float>(ox) + m.a1 * static_cast<float>(oy) + m.a2;
          const float sy = m.b0 * static_cast<float>(ox) + m.b1 * static_cast<float>(oy) + m.b2;
          const auto x0 = static_cast<long>(std::floor(sx));
          const auto y0 = static_cast<long>(std::floor(sy));
          const float fx = sx - static_cast<float>(x0);
          const float fy = sy - static_cast<float>(y0);
          y[static_cast<std::size_t>(n * 784 + oy * 28 + ox)] =
              (1 - fy) * ((1 - fx) * at(n, y0, x0) + fx * at(n, y0, x0 + 1)) +
              fy * ((1 - fx) * at(n, y0 + 1, x0) + fx * at(n, y0 + 1, x0 + 1));
        }
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_ResampleRotationNaive)->Unit(benchmark::kMicrosecond);

}  // namespace
