#include "layers/kernels/global_pool.hpp"

#include <algorithm>
#include <cstring>

#include "framework/core/parallel.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;
using IntVec = std::int32_t __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

template <typename Fn>
void for_samples(long batch, const Fn& fn) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (std::size_t n = first; n < last; ++n) {
                   fn(static_cast<long>(n));
                 }
               });
}
}  // namespace

void global_avg_pool_forward(const GlobalPoolGeometry& g, const float* x, float* y) {
  const float scale = 1.0F / static_cast<float>(g.pixels);
  for_samples(g.batch, [&](long n) {
    const float* xs = x + n * g.pixels * g.channels;
    for_each_register_group(g.channels, [&](auto group, auto full, long c0, int lanes) {
      constexpr bool kFull = decltype(full)::value;
      constexpr int kGroup = decltype(group)::value;
      Vec sum[kGroup] = {};
      for (long p = 0; p < g.pixels; ++p) {
        for (int j = 0; j < kGroup; ++j) {
          sum[j] += load_block<kFull>(xs + p * g.channels + c0 + j * kLanes, lanes);
        }
      }
      for (int j = 0; j < kGroup; ++j) {
        store_block<kFull>(sum[j] * scale, lanes, y + n * g.channels + c0 + j * kLanes);
      }
    });
  });
}

void global_avg_pool_backward(const GlobalPoolGeometry& g, const float* dy, float* dx) {
  const float scale = 1.0F / static_cast<float>(g.pixels);
  for_samples(g.batch, [&](long n) {
    const float* d = dy + n * g.channels;
    float* out = dx + n * g.pixels * g.channels;
    for (long p = 0; p < g.pixels; ++p) {
      for (long c = 0; c < g.channels; ++c) {
        out[p * g.channels + c] = d[c] * scale;
      }
    }
  });
}

void global_max_pool_forward(const GlobalPoolGeometry& g, const float* x, float* y,
                             std::int32_t* argmax) {
  for_samples(g.batch, [&](long n) {
    const float* xs = x + n * g.pixels * g.channels;
    for_each_register_group(g.channels, [&](auto group, auto full, long c0, int lanes) {
      constexpr bool kFull = decltype(full)::value;
      constexpr int kGroup = decltype(group)::value;
      Vec best[kGroup];
      IntVec winner[kGroup] = {};
      for (int j = 0; j < kGroup; ++j) {
        best[j] = load_block<kFull>(xs + c0 + j * kLanes, lanes);
      }
      for (long p = 1; p < g.pixels; ++p) {
        const IntVec pixel = IntVec{} + static_cast<std::int32_t>(p);
        for (int j = 0; j < kGroup; ++j) {
          const Vec v = load_block<kFull>(xs + p * g.channels + c0 + j * kLanes, lanes);
          const auto wins = v > best[j];  // strictly greater: the first maximum wins; NaN never
          best[j] = wins ? v : best[j];
          winner[j] = wins ? pixel : winner[j];
        }
      }
      for (int j = 0; j < kGroup; ++j) {
        const long c = n * g.channels + c0 + j * kLanes;
        store_block<kFull>(best[j], lanes, y + c);
        if (argmax != nullptr) {
          std::memcpy(argmax + c, &winner[j],
                      static_cast<std::size_t>(lanes) * sizeof(std::int32_t));
        }
      }
    });
  });
}

void global_max_pool_backward(const GlobalPoolGeometry& g, const float* dy,
                              const std::int32_t* argmax, float* dx) {
  for_samples(g.batch, [&](long n) {
    float* out = dx + n * g.pixels * g.channels;
    std::fill(out, out + g.pixels * g.channels, 0.0F);
    for (long c = 0; c < g.channels; ++c) {
      out[argmax[n * g.channels + c] * g.channels + c] = dy[n * g.channels + c];
    }
  });
}

}  // namespace runner::kernels
