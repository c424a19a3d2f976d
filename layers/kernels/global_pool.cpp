#include "layers/kernels/global_pool.hpp"

#include <algorithm>

#include "framework/core/parallel.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;

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
    float* ys = y + n * g.channels;
    std::fill(ys, ys + g.channels, 0.0F);
    for (long p = 0; p < g.pixels; ++p) {
      const float* row = xs + p * g.channels;
      for (long c = 0; c < g.channels; ++c) {
        ys[c] += row[c];
      }
    }
    for (long c = 0; c < g.channels; ++c) {
      ys[c] *= scale;
    }
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
    float* ys = y + n * g.channels;
    std::int32_t* win = argmax != nullptr ? argmax + n * g.channels : nullptr;
    std::copy(xs, xs + g.channels, ys);
    if (win != nullptr) {
      std::fill(win, win + g.channels, 0);
    }
    for (long p = 1; p < g.pixels; ++p) {
      const float* row = xs + p * g.channels;
      for (long c = 0; c < g.channels; ++c) {
        if (row[c] > ys[c]) {  // strictly greater: the first maximum wins
          ys[c] = row[c];
          if (win != nullptr) {
            win[c] = static_cast<std::int32_t>(p);
          }
        }
      }
    }
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
