#include "layers/kernels/pool2d.hpp"

#include <algorithm>

#include "framework/parallel.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;

// One output pixel: the first valid tap initializes, later taps win only when strictly
// greater (the first maximum wins ties, as in PyTorch). Branch-free over channels, so the
// compiler vectorizes it.
void pool_pixel(const Pool2DGeometry& g, const float* __restrict xn, long oh, long ow,
                float* __restrict yo, std::int32_t* __restrict ao) {
  const long c_count = g.channels;
  bool first = true;
  for (long ky = 0; ky < g.pool_h; ++ky) {
    const long ih = oh * g.stride_h - g.pad_top + ky;
    if (ih < 0 || ih >= g.in_h) {
      continue;
    }
    for (long kx = 0; kx < g.pool_w; ++kx) {
      const long iw = ow * g.stride_w - g.pad_left + kx;
      if (iw < 0 || iw >= g.in_w) {
        continue;
      }
      const long base = (ih * g.in_w + iw) * c_count;
      const float* __restrict xv = xn + base;
      const auto base32 = static_cast<std::int32_t>(base);
      if (first) {
        for (long c = 0; c < c_count; ++c) {
          yo[c] = xv[c];
          ao[c] = base32 + static_cast<std::int32_t>(c);
        }
        first = false;
        continue;
      }
      for (long c = 0; c < c_count; ++c) {
        const bool wins = xv[c] > yo[c];
        yo[c] = wins ? xv[c] : yo[c];
        ao[c] = wins ? base32 + static_cast<std::int32_t>(c) : ao[c];
      }
    }
  }
}
}  // namespace

void max_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y,
                        std::int32_t* argmax) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   const float* xn = x + n * g.in_size();
                   for (long oh = 0; oh < g.out_h; ++oh) {
                     for (long ow = 0; ow < g.out_w; ++ow) {
                       const long offset = n * g.out_size() + (oh * g.out_w + ow) * g.channels;
                       pool_pixel(g, xn, oh, ow, y + offset, argmax + offset);
                     }
                   }
                 }
               });
}

void max_pool2d_backward(const Pool2DGeometry& g, long batch, const float* dy,
                         const std::int32_t* argmax, float* dx) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   float* dxn = dx + n * g.in_size();
                   const float* dyn = dy + n * g.out_size();
                   const std::int32_t* an = argmax + n * g.out_size();
                   std::fill(dxn, dxn + g.in_size(), 0.0F);
                   for (long i = 0; i < g.out_size(); ++i) {
                     dxn[an[i]] += dyn[i];
                   }
                 }
               });
}

}  // namespace runner::kernels
