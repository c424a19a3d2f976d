#include "layers/kernels/conv2d.hpp"

#include <algorithm>
#include <cstring>

#include "framework/parallel.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/gemm.hpp"

namespace runner::kernels {

namespace {
// Fixed work split (independent of the thread count, so results are too).
constexpr std::size_t kSamplesPerTask = 4;
constexpr long kPatchRowsPerTask = 32;

int as_int(long v) {
  return static_cast<int>(v);
}
}  // namespace

void im2col(const Conv2DGeometry& g, const float* x, float* col) {
  const long patch = g.patch();
  const auto run = static_cast<std::size_t>(g.in_c);
  for (long oh = 0; oh < g.out_h; ++oh) {
    for (long ow = 0; ow < g.out_w; ++ow) {
      float* row = col + (oh * g.out_w + ow) * patch;
      for (long ky = 0; ky < g.k_h; ++ky) {
        const long ih = oh * g.stride_h - g.pad_top + ky;
        for (long kx = 0; kx < g.k_w; ++kx) {
          const long iw = ow * g.stride_w - g.pad_left + kx;
          float* dst = row + (ky * g.k_w + kx) * g.in_c;
          if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) {
            std::memset(dst, 0, run * sizeof(float));
          } else {
            std::memcpy(dst, x + (ih * g.in_w + iw) * g.in_c, run * sizeof(float));
          }
        }
      }
    }
  }
}

void col2im_add(const Conv2DGeometry& g, const float* col, float* x) {
  const long patch = g.patch();
  for (long oh = 0; oh < g.out_h; ++oh) {
    for (long ow = 0; ow < g.out_w; ++ow) {
      const float* row = col + (oh * g.out_w + ow) * patch;
      for (long ky = 0; ky < g.k_h; ++ky) {
        const long ih = oh * g.stride_h - g.pad_top + ky;
        if (ih < 0 || ih >= g.in_h) {
          continue;
        }
        for (long kx = 0; kx < g.k_w; ++kx) {
          const long iw = ow * g.stride_w - g.pad_left + kx;
          if (iw < 0 || iw >= g.in_w) {
            continue;
          }
          const float* src = row + (ky * g.k_w + kx) * g.in_c;
          float* dst = x + (ih * g.in_w + iw) * g.in_c;
          for (long c = 0; c < g.in_c; ++c) {
            dst[c] += src[c];
          }
        }
      }
    }
  }
}

void conv2d_forward(const Conv2DGeometry& g, long batch, const float* x, const float* w,
                    const float* b, Activation act, float* y, float* col) {
  const long patch = g.patch();
  const long pixels = g.pixels();
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 const auto n0 = static_cast<long>(first);
                 const auto count = static_cast<long>(last - first);
                 for (long n = n0; n < n0 + count; ++n) {
                   im2col(g, x + n * g.in_size(), col + n * pixels * patch);
                 }
                 float* out = y + n0 * g.out_size();
                 gemm(false, false, as_int(count * pixels), as_int(g.out_c), as_int(patch), 1.0F,
                      col + n0 * pixels * patch, as_int(patch), w, as_int(g.out_c), 0.0F, out,
                      as_int(g.out_c));
                 add_bias_activate(out, b, act, count * pixels, g.out_c);
               });
}

void conv2d_backward(const Conv2DGeometry& g, long batch, const float* col, const float* w,
                     Activation act, const float* y, const float* dy, float* dw, float* db,
                     float* dx, float* delta, float* dcol) {
  const long patch = g.patch();
  const long pixels = g.pixels();
  const long rows = batch * pixels;
  // delta = dy * act'(y)
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 const auto begin = static_cast<long>(first) * g.out_size();
                 const auto count = static_cast<long>(last - first) * g.out_size();
                 std::copy(dy + begin, dy + begin + count, delta + begin);
                 activation_backward(act, y + begin, delta + begin, count / g.out_c, g.out_c);
               });
  if (db != nullptr) {
    add_column_sums(delta, rows, g.out_c, db);
  }
  // dw[k0:k1, :] += col[:, k0:k1]^T * delta: each task owns a block of rows of dw.
  const auto blocks = static_cast<std::size_t>((patch + kPatchRowsPerTask - 1) / kPatchRowsPerTask);
  parallel_for(0, blocks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t block = first; block < last; ++block) {
      const long k0 = static_cast<long>(block) * kPatchRowsPerTask;
      const long k1 = std::min(patch, k0 + kPatchRowsPerTask);
      gemm(true, false, as_int(k1 - k0), as_int(g.out_c), as_int(rows), 1.0F, col + k0,
           as_int(patch), delta, as_int(g.out_c), 1.0F, dw + k0 * g.out_c, as_int(g.out_c));
    }
  });
  if (dx == nullptr) {
    return;
  }
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 const auto n0 = static_cast<long>(first);
                 const auto count = static_cast<long>(last - first);
                 float* dcol_chunk = dcol + n0 * pixels * patch;
                 gemm(false, true, as_int(count * pixels), as_int(patch), as_int(g.out_c), 1.0F,
                      delta + n0 * g.out_size(), as_int(g.out_c), w, as_int(g.out_c), 0.0F,
                      dcol_chunk, as_int(patch));
                 for (long n = n0; n < n0 + count; ++n) {
                   float* dxn = dx + n * g.in_size();
                   std::fill(dxn, dxn + g.in_size(), 0.0F);
                   col2im_add(g, dcol + n * pixels * patch, dxn);
                 }
               });
}

}  // namespace runner::kernels
