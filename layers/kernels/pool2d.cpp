#include "layers/kernels/pool2d.hpp"

#include <algorithm>
#include <limits>

#include "framework/parallel.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;
}

void max_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y,
                        std::int32_t* argmax) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   const float* xn = x + n * g.in_size();
                   float* yn = y + n * g.out_size();
                   std::int32_t* an = argmax + n * g.out_size();
                   for (long oh = 0; oh < g.out_h; ++oh) {
                     for (long ow = 0; ow < g.out_w; ++ow) {
                       float* yo = yn + (oh * g.out_w + ow) * g.channels;
                       std::int32_t* ao = an + (oh * g.out_w + ow) * g.channels;
                       std::fill(yo, yo + g.channels, -std::numeric_limits<float>::infinity());
                       std::fill(ao, ao + g.channels, -1);
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
                           const long base = (ih * g.in_w + iw) * g.channels;
                           for (long c = 0; c < g.channels; ++c) {
                             // NaN never wins a ">" test; the first candidate always does.
                             if (xn[base + c] > yo[c] || ao[c] < 0) {
                               yo[c] = xn[base + c];
                               ao[c] = static_cast<std::int32_t>(base + c);
                             }
                           }
                         }
                       }
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
                     if (an[i] >= 0) {
                       dxn[an[i]] += dyn[i];
                     }
                   }
                 }
               });
}

}  // namespace runner::kernels
