#include "layers/kernels/conv2d.hpp"

#include <algorithm>
#include <cassert>
#include <vector>

#include "framework/parallel.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/fused_pool.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/short_gemm.hpp"

namespace runner::kernels {

namespace {
// Fixed work split (independent of the thread count, so results are too).
constexpr std::size_t kSamplesPerTask = 4;

// Output columns [first, last) whose tap kx lands inside the input row (iw in [0, in_w)).
struct ColumnRange {
  long first, last;
};
ColumnRange inside_columns(const Conv2DGeometry& g, long kx) {
  // iw = ow * stride - pad + kx >= 0  and  < in_w
  const long offset = kx - g.pad_left;
  long first = offset >= 0 ? 0 : (-offset + g.stride_w - 1) / g.stride_w;
  long last = g.in_w - offset <= 0 ? 0 : (g.in_w - offset + g.stride_w - 1) / g.stride_w;
  first = std::min(first, g.out_w);
  last = std::clamp(last, first, g.out_w);
  return {first, last};
}
}  // namespace

void im2col(const Conv2DGeometry& g, const float* x, float* col) {
  im2col_rows(g, x, 0, g.out_h, col);
}

void im2col_rows(const Conv2DGeometry& g, const float* x, long first_row, long last_row,
                 float* col) {
  const long patch = g.patch();
  const long c = g.in_c;
  // Tap by tap with the border columns worked out up front: no test per element, which
  // matters when a tap is a single float (the first layer of an image model).
  for (long oh = first_row; oh < last_row; ++oh) {
    float* rows = col + (oh - first_row) * g.out_w * patch;
    for (long ky = 0; ky < g.k_h; ++ky) {
      const long ih = oh * g.stride_h - g.pad_top + ky;
      for (long kx = 0; kx < g.k_w; ++kx) {
        const long tap = (ky * g.k_w + kx) * c;
        const ColumnRange inside =
            ih >= 0 && ih < g.in_h ? inside_columns(g, kx) : ColumnRange{0, 0};
        auto zero = [&](long from, long to) {
          for (long ow = from; ow < to; ++ow) {
            float* __restrict dst = rows + ow * patch + tap;
            for (long k = 0; k < c; ++k) {
              dst[k] = 0.0F;
            }
          }
        };
        zero(0, inside.first);
        if (inside.first < inside.last) {
          const float* __restrict src =
              x + (ih * g.in_w + inside.first * g.stride_w - g.pad_left + kx) * c;
          for (long ow = inside.first; ow < inside.last; ++ow, src += g.stride_w * c) {
            float* __restrict dst = rows + ow * patch + tap;
            for (long k = 0; k < c; ++k) {
              dst[k] = src[k];
            }
          }
        }
        zero(inside.last, g.out_w);
      }
    }
  }
}

void col2im_add(const Conv2DGeometry& g, const float* col, float* x) {
  const long patch = g.patch();
  const long c = g.in_c;
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
          const float* __restrict src = row + (ky * g.k_w + kx) * c;
          float* __restrict dst = x + (ih * g.in_w + iw) * c;
          for (long k = 0; k < c; ++k) {
            dst[k] += src[k];
          }
        }
      }
    }
  }
}

namespace {

// out[rows x out_c] = act(col[rows x patch] * w + b).
void patches_times_kernel(const Conv2DGeometry& g, long rows, const float* col, const float* w,
                          const float* b, Activation act, float* out) {
  const long patch = g.patch();
  if (short_gemm_applies(g.out_c, patch) &&
      (act == Activation::kLinear || act == Activation::kRelu)) {
    gemm_short_k(rows, g.out_c, patch, col, w, out, b, act == Activation::kRelu);
    return;
  }
  gemm(false, false, as_int(rows), as_int(g.out_c), as_int(patch), 1.0F, col, as_int(patch), w,
       as_int(g.out_c), 0.0F, out, as_int(g.out_c));
  add_bias_activate(out, b, act, rows, g.out_c);
}

// x with zeros around it, enough for every tap of every output pixel: the short-k kernel reads
// patches from it in place. `width` is in pixels.
struct PaddedImage {
  const float* data;
  long width;
};
PaddedImage pad_image(const Conv2DGeometry& g, const float* x, std::vector<float>& buffer) {
  const long height = std::max(g.in_h + g.pad_top, (g.out_h - 1) * g.stride_h + g.k_h);
  const long width = std::max(g.in_w + g.pad_left, (g.out_w - 1) * g.stride_w + g.k_w);
  buffer.assign(static_cast<std::size_t>(height * width * g.in_c), 0.0F);
  for (long ih = 0; ih < g.in_h; ++ih) {
    std::copy(x + ih * g.in_w * g.in_c, x + (ih + 1) * g.in_w * g.in_c,
              buffer.data() + ((ih + g.pad_top) * width + g.pad_left) * g.in_c);
  }
  return {buffer.data(), width};
}

// One sample's pooled output (Pooling::kMax2x2), two output rows at a time, their outputs in a
// per-thread L1 buffer: the full-size output is never written. Training (`col` not null) keeps
// the sample's patches there and records the winners; inference reads the patches in place from
// a padded copy of the sample (short-k kernels) or builds each row pair's in an L1 buffer.
void conv2d_pooled_sample(const Conv2DGeometry& g, const float* x, const float* w, const float* b,
                          Activation act, float* y, float* col, std::uint8_t* winners) {
  thread_local std::vector<float> patches_buffer;
  thread_local std::vector<float> padded_buffer;
  thread_local std::vector<float> rows_buffer;
  const long channels = g.out_c;
  const long row_pair_patches = 2 * g.out_w * g.patch();
  const bool in_place = col == nullptr && short_gemm_applies(channels, g.patch()) &&
                        (act == Activation::kLinear || act == Activation::kRelu);
  PaddedImage padded{nullptr, 0};
  long taps[kShortGemmMaxK] = {};
  if (col != nullptr) {
    im2col(g, x, col);
  } else if (in_place) {
    padded = pad_image(g, x, padded_buffer);
    for (long ky = 0, kk = 0; ky < g.k_h; ++ky) {
      for (long kx = 0; kx < g.k_w; ++kx) {
        for (long c = 0; c < g.in_c; ++c) {
          taps[kk++] = (ky * padded.width + kx) * g.in_c + c;
        }
      }
    }
  } else {
    patches_buffer.resize(static_cast<std::size_t>(row_pair_patches));
  }
  rows_buffer.resize(static_cast<std::size_t>(2 * g.out_w * channels));
  const long pooled_w = g.out_w / 2;
  for (long ph = 0; ph < g.out_h / 2; ++ph) {
    float* const top = rows_buffer.data();
    if (col != nullptr) {
      patches_times_kernel(g, 2 * g.out_w, col + ph * row_pair_patches, w, b, act, top);
    } else if (in_place) {
      const long row_stride = g.stride_h * padded.width * g.in_c;
      conv_short_k(2, g.out_w, row_stride, g.stride_w * g.in_c, padded.data + 2 * ph * row_stride,
                   taps, channels, g.patch(), w, top, b, act == Activation::kRelu);
    } else {
      im2col_rows(g, x, 2 * ph, 2 * ph + 2, patches_buffer.data());
      patches_times_kernel(g, 2 * g.out_w, patches_buffer.data(), w, b, act, top);
    }
    const float* const bottom = top + g.out_w * channels;
    for (long pw = 0; pw < pooled_w; ++pw) {
      for (long c0 = 0; c0 < channels; c0 += kLanes) {
        const int lanes = static_cast<int>(std::min<long>(kLanes, channels - c0));
        const long left = 2 * pw * channels + c0;
        const long right = left + channels;
        const PooledLanes p =
            max_pool_window(load_lanes(top + left, lanes), load_lanes(top + right, lanes),
                            load_lanes(bottom + left, lanes), load_lanes(bottom + right, lanes));
        const long at = (ph * pooled_w + pw) * channels + c0;
        store_lanes(p.max, lanes, y + at);
        if (winners != nullptr) {
          store_winners(p.winner, lanes, winners + at);
        }
      }
    }
  }
}

// delta for `count` samples from the pooled gradient (Pooling::kMax2x2): each window's winner
// gets the pooled gradient (through ReLU when `relu`, the winner's output being the pooled
// value), every other output 0.
void unpool_gradient(const Conv2DGeometry& g, long count, const float* pooled, const float* dpool,
                     const std::uint8_t* winners, bool relu, float* delta) {
  const long channels = g.out_c;
  const long pooled_h = g.out_h / 2;
  const long pooled_w = g.out_w / 2;
  if (g.out_h % 2 != 0 || g.out_w % 2 != 0) {
    std::fill(delta, delta + count * g.out_size(), 0.0F);  // outputs no window covers
  }
  for (long n = 0; n < count; ++n) {
    for (long ph = 0; ph < pooled_h; ++ph) {
      for (long pw = 0; pw < pooled_w; ++pw) {
        for (long c0 = 0; c0 < channels; c0 += kLanes) {
          const int lanes = static_cast<int>(std::min<long>(kLanes, channels - c0));
          const long at = ((n * pooled_h + ph) * pooled_w + pw) * channels + c0;
          const Vec dp = load_lanes(dpool + at, lanes);
          const Vec value = relu ? load_lanes(pooled + at, lanes) : Vec{};
          const Vec winner = load_winners(winners + at, lanes);
          float* const top = delta + n * g.out_size() + (2 * ph * g.out_w + 2 * pw) * channels + c0;
          float* const bottom = top + g.out_w * channels;
          store_lanes(unpool_window_gradient(dp, value, winner, 0, relu), lanes, top);
          store_lanes(unpool_window_gradient(dp, value, winner, 1, relu), lanes, top + channels);
          store_lanes(unpool_window_gradient(dp, value, winner, 2, relu), lanes, bottom);
          store_lanes(unpool_window_gradient(dp, value, winner, 3, relu), lanes, bottom + channels);
        }
      }
    }
  }
}

}  // namespace

void conv2d_forward(const Conv2DGeometry& g, long batch, const float* x, const float* w,
                    const float* b, Activation act, float* y, float* col, Pooling pooling,
                    std::uint8_t* winners) {
  assert(pooling == Pooling::kNone || act == Activation::kLinear || act == Activation::kRelu);
  const long patch = g.patch();
  const long pixels = g.pixels();
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 const auto n0 = static_cast<long>(first);
                 const auto count = static_cast<long>(last - first);
                 if (pooling == Pooling::kMax2x2) {
                   const bool training = winners != nullptr;
                   for (long n = n0; n < n0 + count; ++n) {
                     conv2d_pooled_sample(g, x + n * g.in_size(), w, b, act, y + n * pooled_size(g),
                                          training ? col + n * pixels * patch : nullptr,
                                          training ? winners + n * pooled_size(g) : nullptr);
                   }
                   return;
                 }
                 for (long n = n0; n < n0 + count; ++n) {
                   im2col(g, x + n * g.in_size(), col + n * pixels * patch);
                 }
                 patches_times_kernel(g, count * pixels, col + n0 * pixels * patch, w, b, act,
                                      y + n0 * g.out_size());
               });
}

std::size_t conv2d_partials_size(const Conv2DGeometry& g, long max_batch) {
  const auto chunks = chunk_count(static_cast<std::size_t>(max_batch), kSamplesPerTask);
  return chunks * static_cast<std::size_t>(g.patch() * g.out_c + g.out_c);
}

void conv2d_backward(const Conv2DGeometry& g, long batch, const float* col, const float* w,
                     Activation act, const float* y, const float* dy, float* dw, float* db,
                     float* dx, float* delta, float* dcol, float* partials, Pooling pooling,
                     const std::uint8_t* winners) {
  assert(pooling == Pooling::kNone || act == Activation::kLinear || act == Activation::kRelu);
  const long patch = g.patch();
  const long pixels = g.pixels();
  const long dw_size = patch * g.out_c;
  const long stride = dw_size + g.out_c;  // one chunk's dw then db
  const auto chunks = chunk_count(static_cast<std::size_t>(batch), kSamplesPerTask);
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t chunk = first; chunk < last; ++chunk) {
      const auto n0 = static_cast<long>(chunk * kSamplesPerTask);
      const long count = std::min(static_cast<long>(kSamplesPerTask), batch - n0);
      const long rows = count * pixels;
      const long offset = n0 * g.out_size();
      float* chunk_delta = delta + offset;
      float* part = partials + static_cast<long>(chunk) * stride;
      std::fill(part + dw_size, part + stride, 0.0F);
      if (pooling == Pooling::kMax2x2) {
        const long pooled_offset = n0 * pooled_size(g);
        unpool_gradient(g, count, y + pooled_offset, dy + pooled_offset, winners + pooled_offset,
                        act == Activation::kRelu, chunk_delta);
        add_column_sums(chunk_delta, rows, g.out_c, part + dw_size);
      } else {
        activation_backward_column_sums(act, y + offset, dy + offset, chunk_delta, rows, g.out_c,
                                        part + dw_size);
      }
      const float* chunk_col = col + n0 * pixels * patch;
      // dw_chunk = col_chunk^T * delta_chunk
      gemm(true, false, as_int(patch), as_int(g.out_c), as_int(rows), 1.0F, chunk_col,
           as_int(patch), chunk_delta, as_int(g.out_c), 0.0F, part, as_int(g.out_c));
      if (dx != nullptr) {
        float* dcol_chunk = dcol + n0 * pixels * patch;
        gemm(false, true, as_int(rows), as_int(patch), as_int(g.out_c), 1.0F, chunk_delta,
             as_int(g.out_c), w, as_int(g.out_c), 0.0F, dcol_chunk, as_int(patch));
        for (long n = n0; n < n0 + count; ++n) {
          float* dxn = dx + n * g.in_size();
          std::fill(dxn, dxn + g.in_size(), 0.0F);
          col2im_add(g, dcol + n * pixels * patch, dxn);
        }
      }
    }
  });
  // Add the chunks up in chunk order, then into the gradients.
  sum_chunks_into_first(partials, chunks, static_cast<std::size_t>(stride));
  for (long i = 0; i < dw_size; ++i) {
    dw[i] += partials[i];
  }
  if (db != nullptr) {
    for (long o = 0; o < g.out_c; ++o) {
      db[o] += partials[dw_size + o];
    }
  }
}

}  // namespace runner::kernels
