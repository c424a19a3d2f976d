#include "layers/kernels/conv2d.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <vector>

#include "framework/core/parallel.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/conv2d_implicit.hpp"
#include "layers/kernels/conv2d_in_place.hpp"
#include "layers/kernels/dense_small.hpp"
#include "layers/kernels/fused_pool.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/lanes.hpp"
#include "layers/kernels/thread_scratch.hpp"

namespace runner::kernels {

namespace {
// Fixed work split (independent of the thread count, so results are too).
constexpr std::size_t kSamplesPerTask = 4;
// Forward through patches: a GEMM over 16 samples' pixels runs nearer the library's peak than
// one over 4 (strided layers have few pixels per sample).
constexpr std::size_t kForwardSamplesPerTask = 16;
// In-place forward tasks hold at least this many multiply-adds: with 4 samples a task, a strided
// first layer (14x14x32 outputs of 9 taps, 56K per sample) spent about as long in task overheads
// as in its kernel (inference 0.88-0.98 -> 0.72 ms per 1000 images with 16 samples a task); the
// reference's first layer (226K per sample) keeps 4 (16 made its inference 2-5% slower).
constexpr long kMinInPlaceTaskMacs = 512 * 1024;
// Backward's chunks (each sums its own weight gradient) hold at least this many output pixels,
// up to 16 samples: on small images 4 samples gave short weight-gradient GEMMs and one partial
// gradient per 4 samples to add up (the strided model's 7x7 -> 4x4 layer: 32 partials of
// 295 KB per step at batch 128).
constexpr long kMinBackwardPixels = 256;

// The fewest samples, a power of two from kSamplesPerTask to kForwardSamplesPerTask (16), whose
// `per_sample` amounts add up to `minimum`: from the geometry alone, never the thread count.
std::size_t samples_reaching(long per_sample, long minimum) {
  std::size_t samples = kSamplesPerTask;
  while (samples < kForwardSamplesPerTask && static_cast<long>(samples) * per_sample < minimum) {
    samples *= 2;
  }
  return samples;
}

// Samples per backward chunk (so the sums' order is fixed).
std::size_t backward_chunk_samples(const Conv2DGeometry& g) {
  return samples_reaching(g.pixels(), kMinBackwardPixels);
}

// Output columns [first, last) whose tap kx lands inside the input row (iw in [0, in_w)).
struct ColumnRange {
  long first, last;
};
// A 1x1 convolution with stride 1 and no padding: each pixel's patch is its input pixel, so the
// input is already the patch matrix (no im2col copy, and dx is the GEMM's output).
bool pointwise(const Conv2DGeometry& g) {
  return g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
         g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// A task's patches (or a padded sample in inference) and backward's gradient of them live in
// the thread's scratch (thread_scratch.hpp), never in a batch-sized workspace: on a 2-core VM
// whose memory moves about 10 GB/s per core, writing them out in forward and reading them back
// in backward cost more than building them again.
constexpr ScratchSlot kPatches = ScratchSlot::kFirst;
constexpr ScratchSlot kPatchGradients = ScratchSlot::kSecond;
// A chunk's output gradient evaluated from the next normalization's (the in-place weight
// gradient takes the third slot).
constexpr ScratchSlot kEvaluatedGradient = ScratchSlot::kFourth;

// Samples per in-place forward task (each sample's outputs are its own, so the split never
// changes them).
std::size_t in_place_samples_per_task(const Conv2DGeometry& g) {
  return samples_reaching(g.pixels() * g.patch() * g.out_c, kMinInPlaceTaskMacs);
}

// Whether training keeps the patches from forward for backward (in col) instead of building them
// again: when they are cheap to keep relative to building them, i.e. when a tap is under
// kMinRebuiltChannels floats and im2col copies it a float or two at a time. (A first 5x5 layer
// on 1 channel: building them again cost its backward 2.3 -> 3.3 ms per step at batch 64.)
// A forward through the implicit GEMM keeps none: its backward builds them again.
constexpr long kMinRebuiltChannels = 8;
bool keeps_patches(const Conv2DGeometry& g, Activation act) {
  return !in_place_applies(g, act) && !pointwise(g) && g.in_c < kMinRebuiltChannels &&
         !implicit_conv_applies(g);
}

// Whether forward reads the patches in place by the implicit GEMM (conv2d_implicit.hpp) rather
// than building them by im2col: long patches, neither kept nor a 1x1's input.
bool implicit_applies(const Conv2DGeometry& g, Activation act) {
  return !in_place_applies(g, act) && !pointwise(g) && !keeps_patches(g, act) &&
         implicit_conv_applies(g);
}

// Whether the weight gradient reads them in place too (else im2col + GEMM).
bool implicit_gradient_applies(const Conv2DGeometry& g, Activation act) {
  return implicit_applies(g, act) && g.in_c >= kImplicitMinChannels;
}

ColumnRange inside_columns(const Conv2DGeometry& g, long kx) {
  // iw = ow * stride - pad + kx * dilation >= 0  and  < in_w
  const long offset = kx * g.dilation_w - g.pad_left;
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

namespace {
// Undilated rows: a kernel row's taps lie side by side in the input as in the patch, so a window
// inside the image is one copy of k_w * in_c floats per kernel row (a tap of 6 channels copied
// tap by tap made im2col a tenth of LeNet-5's training step).
void im2col_rows_by_kernel_row(const Conv2DGeometry& g, const float* x, long first_row,
                               long last_row, float* col) {
  const long patch = g.patch();
  const long c = g.in_c;
  const long run = g.k_w * c;
  for (long oh = first_row; oh < last_row; ++oh) {
    float* rows = col + (oh - first_row) * g.out_w * patch;
    for (long ky = 0; ky < g.k_h; ++ky) {
      float* dst = rows + ky * run;
      const long ih = oh * g.stride_h - g.pad_top + ky;
      if (ih < 0 || ih >= g.in_h) {
        for (long ow = 0; ow < g.out_w; ++ow) {
          std::fill_n(dst + ow * patch, run, 0.0F);
        }
        continue;
      }
      const float* src = x + ih * g.in_w * c;
      for (long ow = 0; ow < g.out_w; ++ow) {
        float* d = dst + ow * patch;
        const long iw0 = ow * g.stride_w - g.pad_left;
        if (iw0 >= 0 && iw0 + g.k_w <= g.in_w) {
          std::copy_n(src + iw0 * c, run, d);
          continue;
        }
        for (long kx = 0; kx < g.k_w; ++kx) {
          const long iw = iw0 + kx;
          if (iw >= 0 && iw < g.in_w) {
            std::copy_n(src + iw * c, c, d + kx * c);
          } else {
            std::fill_n(d + kx * c, c, 0.0F);
          }
        }
      }
    }
  }
}
}  // namespace

void im2col_rows(const Conv2DGeometry& g, const float* x, long first_row, long last_row,
                 float* col) {
  if (g.dilation_w == 1 && g.dilation_h == 1) {
    im2col_rows_by_kernel_row(g, x, first_row, last_row, col);
    return;
  }
  const long patch = g.patch();
  const long c = g.in_c;
  // Tap by tap with the border columns worked out up front: no test per element, which
  // matters when a tap is a single float (the first layer of an image model).
  for (long oh = first_row; oh < last_row; ++oh) {
    float* rows = col + (oh - first_row) * g.out_w * patch;
    for (long ky = 0; ky < g.k_h; ++ky) {
      const long ih = oh * g.stride_h - g.pad_top + ky * g.dilation_h;
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
              x + (ih * g.in_w + inside.first * g.stride_w - g.pad_left + kx * g.dilation_w) * c;
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

namespace {
// dst[0, n) += src[0, n), a register at a time.
void add_span(const float* __restrict src, long n, float* __restrict dst) {
  for_each_channel_block(n, [&](auto full, long i, int lanes) {
    constexpr bool kFull = decltype(full)::value;
    add_block<kFull>(load_block<kFull>(src + i, lanes), lanes, dst + i);
  });
}
}  // namespace

// A patch row's taps inside the input, undilated, are one span of the patch and one of the
// input: added a register at a time (LeNet-5's second layer, 6 channels a tap, spent a third of
// its backward here one tap at a time). Each input float still gets its additions in the order
// (pixel, ky, kx), so the same bits.
void col2im_add(const Conv2DGeometry& g, const float* col, float* x) {
  const long patch = g.patch();
  const long c = g.in_c;
  for (long oh = 0; oh < g.out_h; ++oh) {
    for (long ow = 0; ow < g.out_w; ++ow) {
      const float* row = col + (oh * g.out_w + ow) * patch;
      const long iw0 = ow * g.stride_w - g.pad_left;
      long kx_first = 0;
      long kx_last = g.k_w;
      while (kx_first < kx_last && iw0 + kx_first * g.dilation_w < 0) {
        ++kx_first;
      }
      while (kx_last > kx_first && iw0 + (kx_last - 1) * g.dilation_w >= g.in_w) {
        --kx_last;
      }
      for (long ky = 0; ky < g.k_h; ++ky) {
        const long ih = oh * g.stride_h - g.pad_top + ky * g.dilation_h;
        if (ih < 0 || ih >= g.in_h) {
          continue;
        }
        const float* src = row + ky * g.k_w * c;
        float* dst = x + ih * g.in_w * c;
        if (g.dilation_w == 1) {
          add_span(src + kx_first * c, (kx_last - kx_first) * c, dst + (iw0 + kx_first) * c);
          continue;
        }
        for (long kx = kx_first; kx < kx_last; ++kx) {
          add_span(src + kx * c, c, dst + (iw0 + kx * g.dilation_w) * c);
        }
      }
    }
  }
}

namespace {

// out[rows x out_c] = act(col[rows x patch] * w + b). (Short patches with linear or ReLU never
// come here: they are read in place, conv2d_in_place.hpp.)
void patches_times_kernel(const Conv2DGeometry& g, long rows, const float* col, const float* w,
                          const float* b, Activation act, float* out) {
  const long patch = g.patch();
  if (dense_few_inputs_apply(patch, g.out_c)) {
    dense_few_inputs({rows, patch, g.out_c, col, w, b, out}, act);
    return;
  }
  gemm(false, false, as_int(rows), as_int(g.out_c), as_int(patch), 1.0F, col, as_int(patch), w,
       as_int(g.out_c), 0.0F, out, as_int(g.out_c));
  add_bias_activate(out, b, act, rows, g.out_c);
}

// Pools two output rows at a time from an L1 buffer, so the full-size output is never written:
// rows_of(ph, out) computes output rows 2 ph and 2 ph + 1 of the sample into out; y and winners
// (null in inference) are the sample's.
template <typename RowPair>
void pool_row_pairs(const Conv2DGeometry& g, const RowPair& rows_of, float* y, float* winners,
                    long first_pair = 0, long last_pair = -1) {
  thread_local std::vector<float> rows_buffer;
  const long channels = g.out_c;
  rows_buffer.resize(static_cast<std::size_t>(2 * g.out_w * channels));
  const long pooled_w = g.out_w / 2;
  last_pair = last_pair < 0 ? g.out_h / 2 : last_pair;
  for (long ph = first_pair; ph < last_pair; ++ph) {
    float* const top = rows_buffer.data();
    rows_of(ph, top);
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
          store_lanes(p.winner, lanes, winners + at);
        }
      }
    }
  }
}

// One sample whose patches are read in place (conv2d_in_place.hpp); `image` keeps its padded
// copy for backward.
void forward_in_place(const Conv2DGeometry& g, const PaddedLayout& layout, const float* x,
                      const float* w, const float* b, Activation act, Pooling pooling, float* image,
                      float* y, float* winners) {
  pad_sample(g, layout, x, image);
  if (pooling == Pooling::kNone) {
    in_place_rows(g, layout, image, 0, g.out_h, w, b, act, y);
    return;
  }
  in_place_pooled(g, layout, image, w, b, act, y, winners);
}

// One sample through patches, pooled (Pooling::kMax2x2). With `col` (keeps_patches, training)
// the sample's patches go there for backward; otherwise each row pair's are built in an L1
// buffer.
// Row pairs [first_pair, last_pair) of one sample pooled from the implicit GEMM (the whole
// sample by default).
void implicit_pooled(const Conv2DGeometry& g, const ImplicitPlan& plan, const float* x,
                     const float* w, const float* b, Activation act, float* y, float* winners,
                     long first_pair = 0, long last_pair = -1) {
  pool_row_pairs(
      g,
      [&](long ph, float* out) {
        implicit_conv_forward(g, plan.row_pairs[static_cast<std::size_t>(ph)], 1, x, w, b, act,
                              out);
      },
      y, winners, first_pair, last_pair);
}

// With a `plan` (conv2d_implicit.hpp), each row pair comes from the implicit GEMM instead.
void forward_patches_pooled(const Conv2DGeometry& g, const float* x, const float* w, const float* b,
                            Activation act, float* col, float* y, float* winners,
                            const ImplicitPlan* plan) {
  if (plan != nullptr) {
    implicit_pooled(g, *plan, x, w, b, act, y, winners);
    return;
  }
  thread_local std::vector<float> patches_buffer;
  const long row_pair_patches = 2 * g.out_w * g.patch();
  if (col != nullptr) {
    im2col(g, x, col);
  } else {
    patches_buffer.resize(static_cast<std::size_t>(row_pair_patches));
  }
  pool_row_pairs(
      g,
      [&](long ph, float* out) {
        const float* patches = patches_buffer.data();
        if (col != nullptr) {
          patches = col + ph * row_pair_patches;
        } else {
          im2col_rows(g, x, 2 * ph, 2 * ph + 2, patches_buffer.data());
        }
        patches_times_kernel(g, 2 * g.out_w, patches, w, b, act, out);
      },
      y, winners);
}

// Bands of output rows per sample for a batch too small to give every core a task (batch-1
// prediction): each row pair when pooled, else ImplicitPlan::bands.
constexpr long kMinBandedPixels = 64;  // below this a band's dispatch costs more than it saves

// The implicit GEMM's output of a small batch, band by band (samples alone would leave a core
// idle): per-pixel sums as always, so the bits are those of any other split.
void implicit_forward_banded(const Conv2DGeometry& g, Conv2DEpilogue epilogue,
                             const Conv2DForward& t, const ImplicitPlan& plan) {
  const bool pooled = epilogue.pooling == Pooling::kMax2x2;
  const long band_rows = pooled ? 2 : plan.band_rows;
  const auto bands = static_cast<long>(pooled ? plan.row_pairs.size() : plan.bands.size());
  const long y_size = pooled ? pooled_size(g) : g.out_size();
  parallel_for(0, static_cast<std::size_t>(t.batch * bands), 1,
               [&](std::size_t first, std::size_t last) {
                 for (std::size_t unit = first; unit < last; ++unit) {
                   const long n = static_cast<long>(unit) / bands;
                   const long band = static_cast<long>(unit) % bands;
                   const float* xn = t.x + n * g.in_size();
                   float* yn = t.y + n * y_size;
                   if (pooled) {
                     implicit_pooled(g, plan, xn, t.w, t.b, epilogue.act, yn,
                                     t.winners != nullptr ? t.winners + n * y_size : nullptr, band,
                                     band + 1);
                     continue;
                   }
                   const long r0 = band * band_rows;
                   const long rows = std::min(g.out_h, r0 + band_rows) - r0;
                   float* out = yn + r0 * g.out_w * g.out_c;
                   implicit_conv_forward(g, plan.bands[static_cast<std::size_t>(band)], 1, xn, t.w,
                                         t.b, epilogue.act, out);
                   if (epilogue.affine != nullptr) {
                     channel_affine_rows(rows * g.out_w, g.out_c,
                                         epilogue.affine->rows_from(out - t.y), out, out);
                   }
                 }
               });
}

// delta for `count` samples from the pooled gradient (Pooling::kMax2x2): each window's winner
// gets the pooled gradient (through ReLU when `relu`, the winner's output being the pooled
// value), every other output 0.
void unpool_gradient(const Conv2DGeometry& g, long count, const float* pooled, const float* dpool,
                     const float* winners, bool relu, float* delta) {
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
          const Vec winner = load_lanes(winners + at, lanes);
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

void conv2d_forward(const Conv2DGeometry& g, Conv2DEpilogue epilogue, const Conv2DForward& t,
                    float* col) {
  // Locals, not structured bindings: clang 14 cannot capture those in the lambdas below.
  const Activation act = epilogue.act;
  const Pooling pooling = epilogue.pooling;
  const long batch = t.batch;
  const float* x = t.x;
  const float* w = t.w;
  const float* b = t.b;
  float* y = t.y;
  float* winners = t.winners;
  assert(epilogue.valid());
  const long patch = g.patch();
  const long pixels = g.pixels();
  const bool in_place = in_place_applies(g, act);
  const bool keep = col != nullptr && keeps_patches(g, act);  // training
  const PaddedLayout layout = padded_layout(g);
  const long y_size = pooling == Pooling::kMax2x2 ? pooled_size(g) : g.out_size();
  const std::size_t grain = in_place ? in_place_samples_per_task(g) : kForwardSamplesPerTask;
  const ChannelAffine* affine = epilogue.affine;
  // Long patches: read in place by the implicit GEMM (conv2d_implicit.hpp), with a fused
  // pooling two output rows at a time.
  const bool implicit = implicit_applies(g, act);
  const ImplicitPlan* plan = implicit ? &implicit_plan(g) : nullptr;
  if (implicit && batch < static_cast<long>(kForwardSamplesPerTask) && pixels >= kMinBandedPixels) {
    implicit_forward_banded(g, epilogue, t, *plan);
    return;
  }
  // Sample n's padded image (in-place kernels): kept in col for backward, else a thread buffer.
  auto sample_image = [&](long n) {
    return col != nullptr
               ? col + n * layout.sample_floats
               : thread_scratch(kPatches, static_cast<std::size_t>(layout.sample_floats));
  };
  parallel_for(0, static_cast<std::size_t>(batch), grain, [&](std::size_t first, std::size_t last) {
    const auto n0 = static_cast<long>(first);
    const auto count = static_cast<long>(last - first);
    if (pooling == Pooling::kMax2x2) {
      const bool training = winners != nullptr;
      for (long n = n0; n < n0 + count; ++n) {
        if (in_place) {
          forward_in_place(g, layout, x + n * g.in_size(), w, b, act, pooling, sample_image(n),
                           y + n * y_size, training ? winners + n * y_size : nullptr);
        } else {
          forward_patches_pooled(g, x + n * g.in_size(), w, b, act,
                                 keep ? col + n * pixels * patch : nullptr, y + n * y_size,
                                 training ? winners + n * y_size : nullptr, plan);
        }
      }
      return;
    }
    float* yn = y + n0 * g.out_size();
    if (in_place) {
      for (long n = n0; n < n0 + count; ++n) {
        forward_in_place(g, layout, x + n * g.in_size(), w, b, act, pooling, sample_image(n),
                         y + n * y_size, nullptr);
      }
    } else if (pointwise(g)) {
      patches_times_kernel(g, count * pixels, x + n0 * g.in_size(), w, b, act, yn);
    } else if (implicit) {
      implicit_conv_forward(g, plan->forward, count, x + n0 * g.in_size(), w, b, act, yn);
    } else {
      float* patches =
          keep ? col + n0 * pixels * patch
               : thread_scratch(kPatches, static_cast<std::size_t>(count * pixels * patch));
      for (long n = 0; n < count; ++n) {
        im2col(g, x + (n0 + n) * g.in_size(), patches + n * pixels * patch);
      }
      patches_times_kernel(g, count * pixels, patches, w, b, act, yn);
    }
    if (affine != nullptr) {  // this task's outputs, still in cache
      channel_affine_rows(count * pixels, g.out_c, affine->rows_from(yn - y), yn, yn);
    }
  });
}

std::size_t conv2d_col_size(const Conv2DGeometry& g, Activation act, long max_batch) {
  if (in_place_applies(g, act)) {
    return static_cast<std::size_t>(max_batch * padded_layout(g).sample_floats);
  }
  if (keeps_patches(g, act)) {
    return static_cast<std::size_t>(max_batch * g.pixels() * g.patch());
  }
  return 0;  // patches are built per task (thread_scratch), in forward and again in backward
}

std::size_t conv2d_partials_size(const Conv2DGeometry& g, long max_batch) {
  const auto chunks = chunk_count(static_cast<std::size_t>(max_batch), backward_chunk_samples(g));
  return chunks * static_cast<std::size_t>(g.patch() * g.out_c + g.out_c);
}

void conv2d_backward(const Conv2DGeometry& g, Conv2DEpilogue epilogue, const Conv2DBackward& t,
                     const Conv2DWorkspace& ws) {
  const bool normalized = t.normalization != nullptr;
  if (normalized && (epilogue.pooling != Pooling::kNone || !linear_or_relu(epilogue.act))) {
    throw std::logic_error(
        "conv2d_backward: a normalization's gradient needs no pooling, and a "
        "linear or ReLU activation");
  }
  const Activation act = epilogue.act;
  const Pooling pooling = epilogue.pooling;
  const long batch = t.batch;
  const float* w = t.w;
  const float* y = t.y;
  const float* dy = t.dy;
  const float* winners = t.winners;
  float* dw = t.dw;
  float* db = t.db;
  float* dx = t.dx;
  const float* col = ws.col;
  float* delta = ws.delta;
  float* partials = ws.partials;
  assert(epilogue.valid());
  const long patch = g.patch();
  const long pixels = g.pixels();
  const long dw_size = patch * g.out_c;
  const long stride = dw_size + g.out_c;  // one chunk's dw then db
  const std::size_t chunk_samples = backward_chunk_samples(g);
  const auto chunks = chunk_count(static_cast<std::size_t>(batch), chunk_samples);
  const bool in_place = in_place_applies(g, act);
  const PaddedLayout layout = padded_layout(g);
  // 1x1: the input is the patch matrix (forward made no copy), dx the GEMM's output.
  const bool direct = !in_place && pointwise(g);
  assert(t.x != nullptr || in_place);
  // Long patches: dx gathered by the implicit GEMM (conv2d_implicit.hpp) from the transposed
  // kernel, instead of dx's patches from a GEMM then added up by col2im.
  const bool implicit_dx = dx != nullptr && !in_place && !direct && !keeps_patches(g, act) &&
                           implicit_input_gradient_applies(g);
  // The weight gradient too, when forward took the implicit GEMM on enough channels.
  const bool implicit = implicit_gradient_applies(g, act);
  const ImplicitPlan* plan = implicit || implicit_dx ? &implicit_plan(g) : nullptr;
  // The transposed kernel: the calling thread's, grown to the largest and kept (no allocation in
  // steady-state steps).
  // (The tasks below read it through this pointer: by name they would see their own thread's.)
  thread_local std::vector<float> transposed;
  float* w_transposed = nullptr;
  if (implicit_dx) {
    transposed.resize(std::max(transposed.size(), static_cast<std::size_t>(patch * g.out_c)));
    w_transposed = transposed.data();
    transpose_kernel(g, w, w_transposed);
  }
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t chunk = first; chunk < last; ++chunk) {
      const auto n0 = static_cast<long>(chunk * chunk_samples);
      const long count = std::min(static_cast<long>(chunk_samples), batch - n0);
      const long rows = count * pixels;
      const long offset = n0 * g.out_size();
      // Evaluated or unpooled, the chunk's gradient stays in the thread's cache: in ResNet's stem,
      // writing it to `delta` in memory made evaluating it cost as much as the normalization's own
      // pass. (Unpooled as it was read, by the weight gradient of a first layer, cost more: a
      // pixel's index arithmetic and three loads once per block of filters.)
      float* chunk_delta =
          normalized || pooling == Pooling::kMax2x2
              ? thread_scratch(kEvaluatedGradient, static_cast<std::size_t>(rows * g.out_c))
              : delta + offset;
      float* part = partials + static_cast<long>(chunk) * stride;
      std::fill(part + dw_size, part + stride, 0.0F);
      const long pooled_offset = n0 * pooled_size(g);
      const bool relu = act == Activation::kRelu;
      // The in-place weight gradient reads dy through ReLU's derivative (a first layer's ReLU
      // pass took as long as its weight gradient); anything else (the library GEMM, dx) needs
      // the full delta.
      const bool dy_as_is = in_place && pooling == Pooling::kNone && dx == nullptr &&
                            linear_or_relu(act) && !normalized;
      if (pooling == Pooling::kMax2x2) {
        unpool_gradient(g, count, y + pooled_offset, dy + pooled_offset, winners + pooled_offset,
                        relu, chunk_delta);
      }
      if (normalized) {
        // The following normalization's input gradient, evaluated on this chunk while it goes
        // into the products (it never writes that tensor, nor reads it back).
        batch_norm_input_gradient_rows(*t.normalization, g.out_c, n0 * pixels, rows, y, relu,
                                       chunk_delta);
      }
      if (in_place) {
        OutputGradient gradient{chunk_delta};
        if (dy_as_is) {
          gradient = {.dy = dy + offset, .relu_y = relu ? y + offset : nullptr};
        } else if (pooling == Pooling::kNone && !normalized) {
          activation_backward(act, y + offset, dy + offset, chunk_delta, rows, g.out_c);
        }
        in_place_weight_gradient(g, layout, col + n0 * layout.sample_floats, count, gradient, part,
                                 part + dw_size);
      } else {
        if (pooling == Pooling::kMax2x2 || normalized) {
          add_column_sums(chunk_delta, rows, g.out_c, part + dw_size);
        } else {
          activation_backward_column_sums(act, y + offset, dy + offset, chunk_delta, rows, g.out_c,
                                          part + dw_size);
        }
        if (implicit) {  // the patches read in place (conv2d_implicit.hpp)
          implicit_weight_gradient(g, plan->forward, count, t.x + n0 * g.in_size(), chunk_delta,
                                   part);
        } else {
          // dw_chunk = patches_chunk^T * delta_chunk, the patches kept by forward or built
          // again here (kPatches)
          const float* patches = t.x + n0 * g.in_size();
          if (keeps_patches(g, act)) {
            patches = col + n0 * pixels * patch;
          } else if (!direct) {
            float* built = thread_scratch(kPatches, static_cast<std::size_t>(rows * patch));
            for (long n = 0; n < count; ++n) {
              im2col(g, t.x + (n0 + n) * g.in_size(), built + n * pixels * patch);
            }
            patches = built;
          }
          gemm(true, false, as_int(patch), as_int(g.out_c), as_int(rows), 1.0F, patches,
               as_int(patch), chunk_delta, as_int(g.out_c), 0.0F, part, as_int(g.out_c));
        }
      }
      if (dx != nullptr && direct) {
        gemm(false, true, as_int(rows), as_int(patch), as_int(g.out_c), 1.0F, chunk_delta,
             as_int(g.out_c), w, as_int(g.out_c), 0.0F, dx + n0 * g.in_size(), as_int(patch));
      } else if (implicit_dx) {
        implicit_input_gradient(g, plan->input_gradient, count, chunk_delta, w_transposed,
                                dx + n0 * g.in_size());
      } else if (dx != nullptr) {
        float* dcol = thread_scratch(kPatchGradients, static_cast<std::size_t>(rows * patch));
        gemm(false, true, as_int(rows), as_int(patch), as_int(g.out_c), 1.0F, chunk_delta,
             as_int(g.out_c), w, as_int(g.out_c), 0.0F, dcol, as_int(patch));
        for (long n = 0; n < count; ++n) {
          float* dxn = dx + (n0 + n) * g.in_size();
          std::fill(dxn, dxn + g.in_size(), 0.0F);
          col2im_add(g, dcol + n * pixels * patch, dxn);
        }
      }
    }
  });
  // Add the chunks up in chunk order, then into the gradients.
  add_chunk_gradients(partials, chunks, static_cast<std::size_t>(dw_size),
                      static_cast<std::size_t>(g.out_c), dw, db);
}

}  // namespace runner::kernels
