#include "layers/kernels/conv2d_implicit.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>
#include <tuple>

#include "layers/kernels/bias.hpp"
#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// Output pixels per register block: six rows of four vectors fill AVX-512's accumulators, as in
// point_products.hpp.
constexpr int kBlockRows = 6;
constexpr int kBlockVecs = kVecsPerBlock;

// The taps [first, last) of one kernel axis that land inside an input of `size` for the output
// index `out`.
struct TapRange {
  long first, last;
};
TapRange inside_taps(long out, long stride, long pad, long dilation, long taps, long size) {
  TapRange range{taps, taps};
  for (long k = 0; k < taps; ++k) {
    const long at = out * stride - pad + k * dilation;
    if (at >= 0 && at < size) {
      range.first = std::min(range.first, k);
      range.last = k + 1;
    }
  }
  if (range.first >= range.last) {
    return {0, 0};
  }
  return range;
}

// One block of R pixels (any samples, one group) by NV vectors of filters.
struct PixelRows {
  const float* sample[kBlockRows];
  long origin[kBlockRows];
  float* y[kBlockRows];
};

// Rows of W fetched ahead (two lines each: a block of four vectors is four lines, but a line
// prefetched for the row after next's first half ...).
constexpr long kPrefetchRows = 4;

// One load per vector, not one per multiply-add: GCC otherwise may fold the load into each of
// the R multiply-adds (point_products.cpp). One asm for the whole row, so the row is not
// spilled to the stack.
template <int NV>
inline void keep_in_registers(Vec (&row)[NV]) {
#if defined(__AVX512F__)
  if constexpr (NV == 4) {
    asm("" : "+v"(row[0]), "+v"(row[1]), "+v"(row[2]), "+v"(row[3]));
  } else if constexpr (NV == 3) {
    asm("" : "+v"(row[0]), "+v"(row[1]), "+v"(row[2]));
  } else if constexpr (NV == 2) {
    asm("" : "+v"(row[0]), "+v"(row[1]));
  } else {
    asm("" : "+v"(row[0]));
  }
#else
  (void)row;
#endif
}

// NV vectors from src, held in registers.
template <int NV>
inline void load_row(const float* src, Vec (&row)[NV]) {
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) {
    row[j] = load_full(src + j * kLanes);
  }
  keep_in_registers(row);
}

template <int R, int NV>
void pixel_block(const PixelRows& rows, long y_shift, const std::vector<ImplicitTap>& taps, long c,
                 const float* w, long n, const float* b, bool relu) {
  Vec acc[R][NV] = {};
  for (const ImplicitTap& tap : taps) {
    const float* a[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      a[r] = rows.sample[r] + (rows.origin[r] + tap.x_offset);
    }
    const float* __restrict wt = w + tap.w_offset;
    for (long k = 0; k < c; ++k, wt += n) {
      Vec row[NV];
      load_row(wt, row);
      // W's rows come from L2 (a 3x3 kernel of 64 channels by 64 filters is 147 KB).
      __builtin_prefetch(wt + kPrefetchRows * n);
      __builtin_prefetch(wt + kPrefetchRows * n + 2 * kLanes);
      rank_one_update(acc, row, [&](int r) { return a[r][k]; });
    }
  }
  store_biased_rows<true>(acc, b, relu, kLanes, [&](int r) { return rows.y[r] + y_shift; });
}

}  // namespace

bool implicit_conv_applies(const Conv2DGeometry& g) {
  return g.in_c >= kImplicitForwardMinChannels && g.out_c % kLanes == 0 && g.pixels() > 0;
}

std::vector<ImplicitGroup> implicit_forward_groups(const Conv2DGeometry& g, long first_row,
                                                   long last_row) {
  last_row = last_row < 0 ? g.out_h : last_row;
  // Pixels with the same tap ranges on both axes share a group, in the order of their first
  // pixel (row-major), so the interior usually comes second or first.
  std::map<std::tuple<long, long, long, long>, std::size_t> index;
  std::vector<ImplicitGroup> groups;
  for (long oh = first_row; oh < last_row; ++oh) {
    const TapRange rows = inside_taps(oh, g.stride_h, g.pad_top, g.dilation_h, g.k_h, g.in_h);
    for (long ow = 0; ow < g.out_w; ++ow) {
      const TapRange cols = inside_taps(ow, g.stride_w, g.pad_left, g.dilation_w, g.k_w, g.in_w);
      const auto key = std::make_tuple(rows.first, rows.last, cols.first, cols.last);
      auto [it, added] = index.try_emplace(key, groups.size());
      if (added) {
        ImplicitGroup group;
        for (long ky = rows.first; ky < rows.last; ++ky) {
          for (long kx = cols.first; kx < cols.last; ++kx) {
            group.taps.push_back({(ky * g.dilation_h * g.in_w + kx * g.dilation_w) * g.in_c,
                                  (ky * g.k_w + kx) * g.in_c * g.out_c});
          }
        }
        groups.push_back(std::move(group));
      }
      const long ih = oh * g.stride_h - g.pad_top;
      const long iw = ow * g.stride_w - g.pad_left;
      groups[it->second].pixels.push_back(
          {(ih * g.in_w + iw) * g.in_c, ((oh - first_row) * g.out_w + ow) * g.out_c});
    }
  }
  return groups;
}

namespace {

// dst (count samples) = src's patches times w, as the groups say: the operands of forward and of
// the input gradient alike. k source channels per tap, n destination channels per pixel.
struct ProductShape {
  long k, n;
  long src_sample, dst_sample;  // floats per sample
};

void implicit_products(const std::vector<ImplicitGroup>& groups, const ProductShape& shape,
                       long count, const float* src, const float* w, const float* bias, bool relu,
                       float* dst) {
  const long vecs = shape.n / kLanes;
  for (const ImplicitGroup& group : groups) {
    const auto per_sample = static_cast<long>(group.pixels.size());
    const long total = count * per_sample;
    for (long first = 0; first < total; first += kBlockRows) {
      const long block = std::min<long>(kBlockRows, total - first);
      PixelRows rows{};
      for (long r = 0; r < block; ++r) {
        const long sample = (first + r) / per_sample;
        const ImplicitPixel& pixel =
            group.pixels[static_cast<std::size_t>((first + r) % per_sample)];
        rows.sample[r] = src + sample * shape.src_sample;
        rows.origin[r] = pixel.x_origin;
        rows.y[r] = dst + sample * shape.dst_sample + pixel.y_offset;
      }
      for (long j0 = 0; j0 < vecs; j0 += kBlockVecs) {
        const long block_vecs = std::min<long>(kBlockVecs, vecs - j0);
        // The block's columns start j0 registers into each row. (A copy of `rows` with its
        // pointers moved stalled on store forwarding: 6% of the strided layer's samples.)
        with_constant<kBlockRows>(block, [&](auto r) {
          with_constant<kBlockVecs>(block_vecs, [&](auto nv) {
            pixel_block<decltype(r)::value, decltype(nv)::value>(
                rows, j0 * kLanes, group.taps, shape.k, w + j0 * kLanes, shape.n,
                bias != nullptr ? bias + j0 * kLanes : nullptr, relu);
          });
        });
      }
    }
  }
}

// The kernel taps (ky) of one axis through which input index `in` reaches an output, in order:
// in = out * stride - pad + ky * dilation for an out in [0, out_size).
std::vector<long> reaching_taps(long in, long stride, long pad, long dilation, long taps,
                                long out_size) {
  std::vector<long> found;
  for (long k = 0; k < taps; ++k) {
    const long at = in + pad - k * dilation;
    if (at >= 0 && at % stride == 0 && at / stride < out_size) {
      found.push_back(k);
    }
  }
  return found;
}

}  // namespace

bool implicit_input_gradient_applies(const Conv2DGeometry& g) {
  return g.out_c >= kImplicitMinChannels && g.in_c % kLanes == 0 && g.in_h * g.in_w > 0;
}

std::vector<ImplicitGroup> implicit_input_gradient_groups(const Conv2DGeometry& g) {
  // An input pixel's gradient gathers the output gradients of the pixels whose taps read it:
  // pixels with the same reaching taps on both axes share a group. A pixel's origin is the output
  // its first tap reaches; the others lie a fixed number of outputs before it.
  std::map<std::pair<std::vector<long>, std::vector<long>>, std::size_t> index;
  std::vector<ImplicitGroup> groups;
  for (long ih = 0; ih < g.in_h; ++ih) {
    const auto rows = reaching_taps(ih, g.stride_h, g.pad_top, g.dilation_h, g.k_h, g.out_h);
    for (long iw = 0; iw < g.in_w; ++iw) {
      const auto cols = reaching_taps(iw, g.stride_w, g.pad_left, g.dilation_w, g.k_w, g.out_w);
      auto [it, added] = index.try_emplace(std::make_pair(rows, cols), groups.size());
      if (added) {
        ImplicitGroup group;
        for (const long ky : rows) {
          for (const long kx : cols) {
            const long back_rows = (ky - rows.front()) * g.dilation_h / g.stride_h;
            const long back_cols = (kx - cols.front()) * g.dilation_w / g.stride_w;
            group.taps.push_back({-(back_rows * g.out_w + back_cols) * g.out_c,
                                  (ky * g.k_w + kx) * g.out_c * g.in_c});
          }
        }
        groups.push_back(std::move(group));
      }
      long origin = 0;
      if (!rows.empty() && !cols.empty()) {
        const long oh = (ih + g.pad_top - rows.front() * g.dilation_h) / g.stride_h;
        const long ow = (iw + g.pad_left - cols.front() * g.dilation_w) / g.stride_w;
        origin = (oh * g.out_w + ow) * g.out_c;
      }
      groups[it->second].pixels.push_back({origin, (ih * g.in_w + iw) * g.in_c});
    }
  }
  return groups;
}

const ImplicitPlan& implicit_plan(const Conv2DGeometry& g) {
  using Key = std::array<long, 14>;
  thread_local std::map<Key, ImplicitPlan> plans;
  const Key key{g.in_h, g.in_w,     g.in_c,     g.out_h,   g.out_w,    g.out_c,      g.k_h,
                g.k_w,  g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.dilation_h, g.dilation_w};
  auto [it, added] = plans.try_emplace(key);
  ImplicitPlan& plan = it->second;
  if (added) {
    plan.forward = implicit_forward_groups(g);
    for (long ph = 0; ph < g.out_h / 2; ++ph) {
      plan.row_pairs.push_back(implicit_forward_groups(g, 2 * ph, 2 * ph + 2));
    }
    plan.band_rows = (g.out_h + kImplicitBandsPerSample - 1) / kImplicitBandsPerSample;
    for (long r0 = 0; r0 < g.out_h; r0 += plan.band_rows) {
      plan.bands.push_back(implicit_forward_groups(g, r0, std::min(g.out_h, r0 + plan.band_rows)));
    }
    if (implicit_input_gradient_applies(g)) {
      plan.input_gradient = implicit_input_gradient_groups(g);
    }
  }
  return plan;
}

namespace {

// A pixel of a chunk as the weight gradient reads it: where its taps start in x (tap 0, 0) and
// its output gradient.
struct GradientPixel {
  const float* x;
  const float* delta;
};

// The weight gradient runs every register block over this many of a tap's pixels before the
// next pixels, so their patch values and output gradients are read from L1 by all the blocks
// (about 24-48 KB at 64-128 filters). Over all of a chunk's pixels at once, each block read
// them from L2, and the kernel ran at 55-80% of the FMA peak against 80-92% from L1 (the
// strided model's layers in chunks of 8 and 16 samples, one thread, AVX2: 61-90 -> mostly
// 95-99 GFLOP/s; docs/performance.md). Each gradient still adds its pixels in order, so the
// bits are the same.
constexpr std::size_t kGradientPiecePixels = 64;

// dw's rows [c0, c0 + R) of one tap, vectors [j0, j0 + NV) of filters, += the pixels' patch
// values times their output gradients, pixel by pixel in order.
template <int R, int NV>
void gradient_block(std::span<const GradientPixel> pixels, long x_offset, long delta_offset, long n,
                    float* dw) {
  Vec acc[R][NV];
  load_rows(dw, n, acc);
  for (const GradientPixel& pixel : pixels) {
    const float* __restrict a = pixel.x + x_offset;
    Vec row[NV];
    load_row(pixel.delta + delta_offset, row);
    rank_one_update(acc, row, [&](int r) { return a[r]; });
  }
  store_rows(acc, dw, n);
}

}  // namespace

void implicit_weight_gradient(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                              long count, const float* x, const float* delta, float* dw) {
  const long n = g.out_c;
  const long vecs = n / kLanes;
  const long tap_floats = g.in_c * n;
  // Tap by tap over every pixel that tap reaches (groups in order, then samples, then pixels):
  // each register block runs over the whole chunk at once, instead of group by group (a corner
  // group has one pixel per sample, and the block's accumulators were loaded and stored for it).
  thread_local std::vector<GradientPixel> pixels;  // kept: steady-state steps do not allocate
  for (long tap = 0; tap < g.k_h * g.k_w; ++tap) {
    pixels.clear();
    for (const ImplicitGroup& group : groups) {
      const auto it = std::find_if(group.taps.begin(), group.taps.end(), [&](const ImplicitTap& t) {
        return t.w_offset == tap * tap_floats;
      });
      if (it == group.taps.end()) {
        continue;
      }
      for (long sample = 0; sample < count; ++sample) {
        for (const ImplicitPixel& pixel : group.pixels) {
          pixels.push_back({x + sample * g.in_size() + pixel.x_origin + it->x_offset,
                            delta + sample * g.out_size() + pixel.y_offset});
        }
      }
    }
    float* dw_tap = dw + tap * tap_floats;
    std::fill(dw_tap, dw_tap + tap_floats, 0.0F);
    for (std::size_t p0 = 0; p0 < pixels.size(); p0 += kGradientPiecePixels) {
      const auto piece = std::span<const GradientPixel>(pixels).subspan(
          p0, std::min(kGradientPiecePixels, pixels.size() - p0));
      for (long c0 = 0; c0 < g.in_c; c0 += kBlockRows) {
        const long rows = std::min<long>(kBlockRows, g.in_c - c0);
        for (long j0 = 0; j0 < vecs; j0 += kBlockVecs) {
          const long block_vecs = std::min<long>(kBlockVecs, vecs - j0);
          with_constant<kBlockRows>(rows, [&](auto r) {
            with_constant<kBlockVecs>(block_vecs, [&](auto nv) {
              gradient_block<decltype(r)::value, decltype(nv)::value>(
                  piece, c0, j0 * kLanes, n, dw_tap + c0 * n + j0 * kLanes);
            });
          });
        }
      }
    }
  }
}

void implicit_conv_forward(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                           long count, const float* x, const float* w, const float* b,
                           Activation act, float* y) {
  const bool fused = linear_or_relu(act);
  implicit_products(groups, {g.in_c, g.out_c, g.in_size(), g.out_size()}, count, x, w,
                    fused ? b : nullptr, act == Activation::kRelu, y);
  if (!fused) {  // pixel by pixel: the groups may cover some rows only
    for (long sample = 0; sample < count; ++sample) {
      for (const ImplicitGroup& group : groups) {
        for (const ImplicitPixel& pixel : group.pixels) {
          add_bias_activate(y + sample * g.out_size() + pixel.y_offset, b, act, 1, g.out_c);
        }
      }
    }
  }
}

void transpose_kernel(const Conv2DGeometry& g, const float* w, float* w_transposed) {
  transpose_matrices(g.k_h * g.k_w, g.in_c, g.out_c, w, w_transposed);
}

void implicit_input_gradient(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                             long count, const float* delta, const float* w_transposed, float* dx) {
  implicit_products(groups, {g.out_c, g.in_c, g.out_size(), g.in_size()}, count, delta,
                    w_transposed, nullptr, false, dx);
}

}  // namespace runner::kernels
