#include "layers/kernels/conv2d_in_place.hpp"

#include <algorithm>

#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/fused_pool.hpp"
#include "layers/kernels/lanes.hpp"
#include "layers/kernels/thread_scratch.hpp"

namespace runner::kernels {

namespace {

// The output gradient of pixel (n, oh, ow), channels [c0, c0 + lanes).
struct DenseDelta {
  const Conv2DGeometry& g;
  const float* delta;
  [[nodiscard]] Vec operator()(long n, long oh, long ow, long c0, int lanes) const {
    return load_lanes(delta + n * g.out_size() + (oh * g.out_w + ow) * g.out_c + c0, lanes);
  }
};

// The same from dy through ReLU's derivative (y > 0), as activation_backward computes it.
struct ReluDelta {
  DenseDelta dy, y;
  [[nodiscard]] Vec operator()(long n, long oh, long ow, long c0, int lanes) const {
    return y(n, oh, ow, c0, lanes) > 0.0F ? dy(n, oh, ow, c0, lanes) : Vec{};
  }
};

// Calls fn(reader) with the reader of `gradient`'s form.
template <typename Fn>
void with_output_gradient(const Conv2DGeometry& g, const OutputGradient& gradient, const Fn& fn) {
  if (gradient.delta != nullptr) {
    fn(DenseDelta{g, gradient.delta});
  } else if (gradient.dy != nullptr && gradient.relu_y == nullptr) {
    fn(DenseDelta{g, gradient.dy});
  } else {
    fn(ReluDelta{{g, gradient.dy}, {g, gradient.relu_y}});
  }
}

// A patch length K known at compile time (1 .. kShortGemmMaxK), or 0: known at run time only
// (longer patches, up to kLongPatchMaxK), for which arrays of taps take the longest.
template <int K>
constexpr int kTapCapacity = K > 0 ? K : static_cast<int>(kLongPatchMaxK);

template <int K>
inline long tap_count(const Conv2DGeometry& g) {
  return K > 0 ? K : g.patch();
}

// The lanes of the NV registers of filters from c0 (the last partial, or 0 past the filters)
// and the chunk's bias sums so far there.
template <int NV>
void start_filter_block(long n_out, long c0, const float* sums, int (&lanes)[NV], Vec (&sum)[NV]) {
  for (int j = 0; j < NV; ++j) {
    lanes[j] = static_cast<int>(std::clamp<long>(n_out - c0 - j * kLanes, 0, kLanes));
    sum[j] = load_lanes(sums + c0 + j * kLanes, lanes[j]);
  }
}

// Accumulators the weight gradient keeps in registers at once; more (a 5x5 patch on 64 filters
// needs 100) spill to the stack, each multiply-add then a load and a store.
constexpr int kGradientAccumulators = kLanes >= 16 ? 24 : 12;
// Pixels whose output gradients weight_gradient gathers at once (they stay in L1).
constexpr long kGradientBlockPixels = 64;

// The chunk's output pixels in order (across rows and samples): (n, oh, ow) is the next one.
struct PixelCursor {
  long out_h, out_w;
  long n = 0, oh = 0, ow = 0;
  void next() {
    if (++ow == out_w) {
      ow = 0;
      if (++oh == out_h) {
        oh = 0;
        ++n;
      }
    }
  }
};

// A block of pixels' output gradients for NV registers of filters, and their patches.
template <int NV>
struct GradientBlock {
  long pixels = 0;
  Vec delta[kGradientBlockPixels][NV];
  const float* patch[kGradientBlockPixels];
};

// The next block.pixels pixels from `at` into the block: the only step that depends on the
// output gradient's form (dense, or through ReLU), so the sums below are compiled once per
// (K, NV) for both forms (clang with AddressSanitizer spent 295 s on this file when each
// form had its own copies, a third of the sanitizer build).
template <int NV, typename Delta>
[[gnu::noinline]] void gather_gradient_block(const PaddedLayout& layout, const float* images,
                                             const Delta& delta_at, long c0, const int (&lanes)[NV],
                                             PixelCursor& at, GradientBlock<NV>& block) {
  for (long i = 0; i < block.pixels; ++i, at.next()) {
    block.patch[i] = images + at.n * layout.sample_floats + at.oh * layout.row_stride +
                     at.ow * layout.col_stride;
    for (int j = 0; j < NV; ++j) {
      block.delta[i][j] = delta_at(at.n, at.oh, at.ow, c0 + j * kLanes, lanes[j]);
    }
  }
}

// acc[t] += the sums of kTaps taps (from the first of `taps`) over a block, held in registers
// over it.
template <int kTaps, int NV>
[[gnu::noinline]] void add_tap_group(const GradientBlock<NV>& block, const long* taps,
                                     Vec (*acc)[NV]) {
  Vec a[kTaps][NV];
  long offsets[kTaps];
  for (int t = 0; t < kTaps; ++t) {
    offsets[t] = taps[t];
    for (int j = 0; j < NV; ++j) {
      a[t][j] = acc[t][j];
    }
  }
  for (long p = 0; p < block.pixels; ++p) {
#pragma GCC unroll 24
    for (int t = 0; t < kTaps; ++t) {
      const float x = block.patch[p][offsets[t]];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        a[t][j] += x * block.delta[p][j];
      }
    }
  }
  for (int t = 0; t < kTaps; ++t) {
    for (int j = 0; j < NV; ++j) {
      acc[t][j] = a[t][j];
    }
  }
}

// A block's pixels into the bias sums (pairwise in groups of four before they meet the running
// sum, as add_column_sums does; the last pixels, fewer than four, one by one) and into the K
// taps' sums, by groups of taps whose accumulators fit the registers (kGradientAccumulators).
// Each accumulator adds its pixels one by one in order, whatever the groups.
template <int K, int NV>
[[gnu::noinline]] void add_gradient_block(const GradientBlock<NV>& block, const long* taps, long k,
                                          Vec (&sum)[NV], Vec (&acc)[kTapCapacity<K>][NV]) {
  long i = 0;
  for (; i + 4 <= block.pixels; i += 4) {
    for (int j = 0; j < NV; ++j) {
      sum[j] += (block.delta[i][j] + block.delta[i + 1][j]) +
                (block.delta[i + 2][j] + block.delta[i + 3][j]);
    }
  }
  for (; i < block.pixels; ++i) {
    for (int j = 0; j < NV; ++j) {
      sum[j] += block.delta[i][j];
    }
  }
  constexpr int kGroup = std::max(1, kGradientAccumulators / NV);
  for (long t0 = 0; t0 < k; t0 += kGroup) {
    with_constant<kGroup>(std::min<long>(kGroup, k - t0), [&](auto group) {
      add_tap_group<decltype(group)::value, NV>(block, taps + t0, acc + t0);
    });
  }
}

// weight_gradient when its K * NV sums do not fit the registers: by blocks of
// kGradientBlockPixels pixels, each gathered once, then taken by groups of taps. Blocks hold
// whole groups of four but the last, so the bias sums group the pixels as the one-pass loop
// below does, and each tap's sum adds its pixels in order: the same bits.
template <int K, int NV, typename Delta>
void weight_gradient_in_blocks(const Conv2DGeometry& g, const PaddedLayout& layout,
                               const float* images, long count, const Delta& delta_at, long c0,
                               float* dw, float* sums) {
  const long n_out = g.out_c;
  int lanes[NV];
  Vec sum[NV];
  start_filter_block(n_out, c0, sums, lanes, sum);
  const long k = tap_count<K>(g);
  Vec acc[kTapCapacity<K>][NV] = {};
  GradientBlock<NV> block;
  PixelCursor at{g.out_h, g.out_w};
  const long pixels = count * g.out_h * g.out_w;
  for (long q0 = 0; q0 < pixels; q0 += kGradientBlockPixels) {
    block.pixels = std::min(kGradientBlockPixels, pixels - q0);
    gather_gradient_block<NV>(layout, images, delta_at, c0, lanes, at, block);
    add_gradient_block<K, NV>(block, layout.taps, k, sum, acc);
  }
  for (long kk = 0; kk < k; ++kk) {
    for (int j = 0; j < NV; ++j) {
      store_lanes(acc[kk][j], lanes[j], dw + kk * n_out + c0 + j * kLanes);
    }
  }
  for (int j = 0; j < NV; ++j) {
    store_lanes(sum[j], lanes[j], sums + c0 + j * kLanes);
  }
}

// K = taps per patch, NV = vectors of filters (from filter c0) per output pixel, both
// compile-time so that the weight gradient stays in registers. Pixels go in groups of four (the
// chunk's pixels in order, across rows and samples), whose column sums are added pairwise before
// they meet the running sum, as add_column_sums does; the last pixels, fewer than four, one by one.
template <int K, int NV, typename Delta>
void weight_gradient_in_one_pass(const Conv2DGeometry& g, const PaddedLayout& layout,
                                 const float* images, long count, const Delta& delta_at, long c0,
                                 float* dw, float* sums) {
  const long n_out = g.out_c;
  const long out_h = g.out_h;
  const long out_w = g.out_w;
  const long sample_floats = layout.sample_floats;
  const long row_stride = layout.row_stride;
  const long col_stride = layout.col_stride;
  long taps[K];
  for (int kk = 0; kk < K; ++kk) {
    taps[kk] = layout.taps[kk];
  }
  int lanes[NV];
  Vec sum[NV];
  start_filter_block(n_out, c0, sums, lanes, sum);
  Vec acc[K][NV] = {};
  // The pixel a step adds, then the next in order.
  PixelCursor at{out_h, out_w};
  auto add_pixel = [&](Vec* d) {
    const float* patch = images + at.n * sample_floats + at.oh * row_stride + at.ow * col_stride;
    for (int j = 0; j < NV; ++j) {
      d[j] = delta_at(at.n, at.oh, at.ow, c0 + j * kLanes, lanes[j]);
    }
#pragma GCC unroll 16
    for (int kk = 0; kk < K; ++kk) {
      const float s = patch[taps[kk]];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        acc[kk][j] += s * d[j];
      }
    }
    at.next();
  };
  const long pixels = count * out_h * out_w;
  long q = 0;
  for (; q + 4 <= pixels; q += 4) {
    Vec group[4][NV];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      add_pixel(group[i]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      sum[j] += (group[0][j] + group[1][j]) + (group[2][j] + group[3][j]);
    }
  }
  for (; q < pixels; ++q) {
    Vec d[NV];
    add_pixel(d);
    for (int j = 0; j < NV; ++j) {
      sum[j] += d[j];
    }
  }
  for (int kk = 0; kk < K; ++kk) {
    for (int j = 0; j < NV; ++j) {
      store_lanes(acc[kk][j], lanes[j], dw + kk * n_out + c0 + j * kLanes);
    }
  }
  for (int j = 0; j < NV; ++j) {
    store_lanes(sum[j], lanes[j], sums + c0 + j * kLanes);
  }
}

// The weight gradient of filters [c0, c0 + NV * kLanes) over the chunk's pixels: in one pass
// when its K * NV sums fit the registers (the output gradient read where it is: the reference
// network's first convolution took a third longer through gathered blocks), else by blocks.
template <int K, int NV, typename Delta>
void weight_gradient(const Conv2DGeometry& g, const PaddedLayout& layout, const float* images,
                     long count, const Delta& delta_at, long c0, float* dw, float* sums) {
  if constexpr (K == 0 || K * NV > kGradientAccumulators) {
    weight_gradient_in_blocks<K, NV>(g, layout, images, count, delta_at, c0, dw, sums);
  } else {
    weight_gradient_in_one_pass<K, NV>(g, layout, images, count, delta_at, c0, dw, sums);
  }
}

// Few filters on one input channel at stride 1, as LeNet's first convolution (5x5, 6 filters):
// with filters in lanes, 10 of 16 lanes would idle, so here the lanes are a row's consecutive
// output pixels (which read consecutive inputs) and one filter's K sums stay in registers over
// the chunk. Up to 12 taps on 8-lane hosts (16 registers), the longest patch on 16-lane ones.
constexpr long kPixelLaneMaxTaps = kLanes >= 16 ? kShortGemmMaxK : 12;

bool pixels_in_lanes(const Conv2DGeometry& g) {
  return g.in_c == 1 && g.stride_w == 1 && g.out_c <= kLanes / 2 && g.patch() <= kPixelLaneMaxTaps;
}

// A Vec's lanes added in lane order (the same bits on every call).
float lane_sum(const Vec& v) {
  float lanes[kLanes];
  store_full(v, lanes);
  float total = 0.0F;
  for (const float lane : lanes) {
    total += lane;
  }
  return total;
}

// The weight gradient for pixels_in_lanes(g): the chunk's output gradient transposed to one
// row of pixels per filter (the third scratch slot), then per filter the K tap sums and the bias
// sum over every row of the chunk, each lane a pixel column mod kLanes, the lanes added in order
// at the end. The order depends on the chunk alone, not on the thread.
template <typename Delta>
[[gnu::noinline]] float* transpose_output_gradient(const Conv2DGeometry& g, long count,
                                                   const Delta& delta_at) {
  const long n_out = g.out_c;
  const long out_w = g.out_w;
  const long rows = count * g.out_h;
  float* transposed =
      thread_scratch(ScratchSlot::kThird, static_cast<std::size_t>(n_out * rows * out_w));
  for (long r = 0; r < rows; ++r) {
    const long n = r / g.out_h;
    const long oh = r % g.out_h;
    for (long ow = 0; ow < out_w; ++ow) {
      float d[kLanes];
      store_full(delta_at(n, oh, ow, 0, static_cast<int>(n_out)), d);
      for (long f = 0; f < n_out; ++f) {
        transposed[(f * rows + r) * out_w + ow] = d[f];
      }
    }
  }
  return transposed;
}

// The sums over the transposed output gradient (apart from the transposition, which depends on
// the gradient's form: one copy per K for all forms).
template <int K>
[[gnu::noinline]] void weight_gradient_by_pixels(const Conv2DGeometry& g,
                                                 const PaddedLayout& layout, const float* images,
                                                 long count, const float* transposed, float* dw,
                                                 float* sums) {
  const long n_out = g.out_c;
  const long out_w = g.out_w;
  const long rows = count * g.out_h;
  long taps[K];
  for (int kk = 0; kk < K; ++kk) {
    taps[kk] = layout.taps[kk];
  }
  for (long f = 0; f < n_out; ++f) {
    Vec acc[K] = {};
    Vec sum{};
    for (long r = 0; r < rows; ++r) {
      const float* row =
          images + (r / g.out_h) * layout.sample_floats + (r % g.out_h) * layout.row_stride;
      const float* d_row = transposed + (f * rows + r) * out_w;
      long ow = 0;
      for (; ow + kLanes <= out_w; ow += kLanes) {
        const Vec d = load_full(d_row + ow);
        sum += d;
#pragma GCC unroll 27
        for (int kk = 0; kk < K; ++kk) {
          acc[kk] += load_full(row + ow + taps[kk]) * d;
        }
      }
      if (ow < out_w) {  // the row's last pixels, the other lanes 0
        const int lanes = static_cast<int>(out_w - ow);
        const Vec d = load_lanes(d_row + ow, lanes);
        sum += d;
#pragma GCC unroll 27
        for (int kk = 0; kk < K; ++kk) {
          acc[kk] += load_lanes(row + ow + taps[kk], lanes) * d;
        }
      }
    }
    for (int kk = 0; kk < K; ++kk) {
      dw[kk * n_out + f] = lane_sum(acc[kk]);
    }
    sums[f] += lane_sum(sum);
  }
}

// Calls fn(K, NV, c0) for the filters in blocks of at most kVecsPerBlock vectors, c0 the block's
// first filter: K (the patch length, 1 .. kShortGemmMaxK) and NV as integral constants. Blocks
// keep the accumulators in registers and the instantiations few (AVX-512: one block of up to 4).
template <typename Fn>
void for_each_filter_block(const Conv2DGeometry& g, const Fn& fn) {
  const long vectors = (g.out_c + kLanes - 1) / kLanes;
  const auto blocks = [&](auto taps) {
    for (long v0 = 0; v0 < vectors; v0 += kVecsPerBlock) {
      with_constant<kVecsPerBlock>(std::min<long>(kVecsPerBlock, vectors - v0),
                                   [&](auto block) { fn(taps, block, v0 * kLanes); });
    }
  };
  if (g.patch() > kShortGemmMaxK) {
    blocks(std::integral_constant<int, 0>{});
  } else {
    with_constant<kShortGemmMaxK>(g.patch(), blocks);
  }
}

// The lanes, bias and k taps' weights (K holds them) of the NV registers of filters from c0 (the
// last partial, or 0 past the filters), into the pooled kernels' locals.
template <int K, int NV>
inline void load_filter_block(long n_out, long c0, const float* w, const float* b, long k,
                              int (&lanes)[NV], Vec (&weights)[K][NV], Vec (&bias)[NV]) {
  for (int j = 0; j < NV; ++j) {
    lanes[j] = static_cast<int>(std::clamp<long>(n_out - c0 - j * kLanes, 0, kLanes));
    bias[j] = b != nullptr ? load_lanes(b + c0 + j * kLanes, lanes[j]) : Vec{};
    for (long kk = 0; kk < std::min<long>(k, K); ++kk) {
      weights[kk][j] = load_lanes(w + kk * n_out + c0 + j * kLanes, lanes[j]);
    }
  }
}

// A window's four pixels (acc[i], i = 2 dy + dx) plus the bias, through ReLU when `relu`,
// max-pooled into y, and where each maximum came from into winners (null in inference).
template <int NV>
inline void store_pooled_window(const Vec (&acc)[4][NV], const Vec (&bias)[NV], bool relu,
                                const int (&lanes)[NV], float* y, float* winners) {
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) {
    Vec out[4];
    for (int i = 0; i < 4; ++i) {
      out[i] = acc[i][j] + bias[j];
      if (relu) {
        out[i] = relu_lanes(out[i]);
      }
    }
    const PooledLanes p = max_pool_window(out[0], out[1], out[2], out[3]);
    store_lanes(p.max, lanes[j], y + j * kLanes);
    if (winners != nullptr) {
      store_lanes(p.winner, lanes[j], winners + j * kLanes);
    }
  }
}

// One padded sample to its 2x2-max-pooled output: the four pixels of a window are the four
// rows of the short-k kernel (the same multiply-adds, in the same order), so the window is
// pooled from registers and the full-size output is never written.
template <int K, int NV>
void pooled_sample(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                   const float* w, const float* b, bool relu, long c0, float* y, float* winners) {
  const long n_out = g.out_c;
  const long pooled_h = g.out_h / 2;
  const long pooled_w = g.out_w / 2;
  const long row_stride = layout.row_stride;
  const long col_stride = layout.col_stride;
  const long k = tap_count<K>(g);
  long taps[kTapCapacity<K>];
  int lanes[NV];
  Vec weights[kTapCapacity<K>][NV];
  Vec bias[NV];
  for (long kk = 0; kk < k; ++kk) {
    taps[kk] = layout.taps[kk];
  }
  load_filter_block(n_out, c0, w, b, k, lanes, weights, bias);
  for (long ph = 0; ph < pooled_h; ++ph) {
    for (long pw = 0; pw < pooled_w; ++pw) {
      const float* top = image + 2 * ph * row_stride + 2 * pw * col_stride;
      const float* pixel[4] = {top, top + col_stride, top + row_stride,
                               top + row_stride + col_stride};
      const long at = (ph * pooled_w + pw) * n_out + c0;
      Vec acc[4][NV] = {};
#pragma GCC unroll 16
      for (long kk = 0; kk < k; ++kk) {
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
          const float s = pixel[i][taps[kk]];
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) {
            acc[i][j] += s * weights[kk][j];
          }
        }
      }
      store_pooled_window(acc, bias, relu, lanes, y + at,
                          winners != nullptr ? winners + at : nullptr);
    }
  }
}

// pooled_sample for a 3x3 kernel of stride 1 on one channel (an image model's first layer): a
// window's four pixels read a 4x4 block of the input, so each of its 16 floats is broadcast
// once and added, times the weights of the taps through which it reaches each pixel, to those
// pixels. Walking the block row by row gives every pixel its taps in pooled_sample's order, so
// the bits are the same; pooled_sample broadcasts 36 floats per window, and its unrolled taps
// left GCC short of AVX2's 16 registers (the broadcasts and tap addresses went through the stack:
// the reference's first layer ran at 44% of the FMA peak with 8 lanes).
template <int NV>
void pooled_sample_3x3(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                       const float* w, const float* b, bool relu, long c0, float* y,
                       float* winners) {
  constexpr int kTaps = 3;
  const long n_out = g.out_c;
  const long pooled_h = g.out_h / 2;
  const long pooled_w = g.out_w / 2;
  const long width = layout.width;  // floats from one input row to the next (one channel)
  int lanes[NV];
  Vec weights[kTaps * kTaps][NV];
  Vec bias[NV];
  load_filter_block(n_out, c0, w, b, kTaps * kTaps, lanes, weights, bias);
  for (long ph = 0; ph < pooled_h; ++ph) {
    const float* rows[kTaps + 1];
#pragma GCC unroll 4
    for (int r = 0; r < kTaps + 1; ++r) {
      rows[r] = image + (2 * ph + r) * width;
    }
    for (long pw = 0; pw < pooled_w; ++pw) {
      // acc[i]: pixel i = (dy, dx) of the window, i = 2 dy + dx.
      Vec acc[4][NV] = {};
#pragma GCC unroll 4
      for (int r = 0; r < kTaps + 1; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < kTaps + 1; ++c) {
          const float s = rows[r][2 * pw + c];
#pragma GCC unroll 4
          for (int i = 0; i < 4; ++i) {
            const int ky = r - i / 2;
            const int kx = c - i % 2;
            if (ky < 0 || ky >= kTaps || kx < 0 || kx >= kTaps) {
              continue;
            }
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) {
              acc[i][j] += s * weights[ky * kTaps + kx][j];
            }
          }
        }
      }
      const long at = (ph * pooled_w + pw) * n_out + c0;
      store_pooled_window(acc, bias, relu, lanes, y + at,
                          winners != nullptr ? winners + at : nullptr);
    }
  }
}

}  // namespace

bool in_place_applies(const Conv2DGeometry& g, Activation act) {
  // Patches past kShortGemmMaxK only on an image's few channels (a model's first layer): deeper,
  // the implicit GEMM reads them in place at the library's speed.
  const bool short_or_image = g.patch() <= kShortGemmMaxK || g.in_c <= kLongPatchMaxChannels;
  return g.dilation_h == 1 && g.dilation_w == 1 && short_gemm_applies(g.out_c, g.patch()) &&
         short_or_image && act != Activation::kSoftmax;
}

PaddedLayout padded_layout(const Conv2DGeometry& g) {
  PaddedLayout p{};
  p.height = std::max(g.in_h + g.pad_top, (g.out_h - 1) * g.stride_h + g.k_h);
  p.width = std::max(g.in_w + g.pad_left, (g.out_w - 1) * g.stride_w + g.k_w);
  p.sample_floats = p.height * p.width * g.in_c;
  p.row_stride = g.stride_h * p.width * g.in_c;
  p.col_stride = g.stride_w * g.in_c;
  if (g.patch() > kLongPatchMaxK) {
    return p;  // sizes only: the kernels do not take this convolution
  }
  long kk = 0;
  for (long ky = 0; ky < g.k_h; ++ky) {
    for (long kx = 0; kx < g.k_w; ++kx) {
      for (long c = 0; c < g.in_c; ++c) {
        p.taps[kk++] = (ky * p.width + kx) * g.in_c + c;
      }
    }
  }
  return p;
}

void pad_sample(const Conv2DGeometry& g, const PaddedLayout& layout, const float* x, float* dst) {
  std::fill(dst, dst + layout.sample_floats, 0.0F);
  const long row = g.in_w * g.in_c;
  for (long ih = 0; ih < g.in_h; ++ih) {
    std::copy(x + ih * row, x + (ih + 1) * row,
              dst + ((ih + g.pad_top) * layout.width + g.pad_left) * g.in_c);
  }
}

void in_place_rows(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                   long first_row, long last_row, const float* w, const float* b, Activation act,
                   float* out) {
  const InPlacePatches patches{.image = image + first_row * layout.row_stride,
                               .taps = layout.taps,
                               .rows = last_row - first_row,
                               .cols = g.out_w,
                               .row_stride = layout.row_stride,
                               .col_stride = layout.col_stride};
  conv_short_k(patches, g.out_c, g.patch(), w, out, b, act == Activation::kRelu);
  if (!linear_or_relu(act)) {  // sigmoid, tanh: on the rows just written, still in cache
    activate(act, out, patches.rows * patches.cols, g.out_c);
  }
}

void in_place_weight_gradient(const Conv2DGeometry& g, const PaddedLayout& layout,
                              const float* images, long count, const OutputGradient& gradient,
                              float* dw, float* sums) {
  with_output_gradient(g, gradient, [&](const auto& delta) {
    if (pixels_in_lanes(g)) {
      const float* transposed = transpose_output_gradient(g, count, delta);
      with_constant<kPixelLaneMaxTaps>(g.patch(), [&](auto k) {
        weight_gradient_by_pixels<decltype(k)::value>(g, layout, images, count, transposed, dw,
                                                      sums);
      });
      return;
    }
    for_each_filter_block(g, [&](auto k, auto nv, long c0) {
      weight_gradient<decltype(k)::value, decltype(nv)::value>(g, layout, images, count, delta, c0,
                                                               dw, sums);
    });
  });
}

void in_place_pooled(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                     const float* w, const float* b, Activation act, float* y, float* winners) {
  const bool one_channel_3x3 = g.in_c == 1 && g.k_h == 3 && g.k_w == 3 && g.stride_h == 1 &&
                               g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1;
  for_each_filter_block(g, [&](auto k, auto nv, long c0) {
    if (one_channel_3x3) {
      pooled_sample_3x3<decltype(nv)::value>(g, layout, image, w, b, act == Activation::kRelu, c0,
                                             y, winners);
      return;
    }
    pooled_sample<decltype(k)::value, decltype(nv)::value>(
        g, layout, image, w, b, act == Activation::kRelu, c0, y, winners);
  });
}

}  // namespace runner::kernels
