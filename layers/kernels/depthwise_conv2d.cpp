#include "layers/kernels/depthwise_conv2d.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "framework/core/parallel.hpp"
#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {
namespace {

// Forward tasks are output rows (any split gives the same bits: no sums cross rows). Backward
// chunks are samples, each with its own weight-gradient partials.
constexpr std::size_t kRowsPerTask = 8;
constexpr long kSamplesPerChunk = 4;

// Calls fn(tap, pixel) for each tap of output pixel (oy, ox) that reads inside the image (the
// rest read zero padding): tap = ky * k_w + kx, pixel = iy * in_w + ix.
template <typename Fn>
void for_each_tap(const DepthwiseGeometry& g, long oy, long ox, const Fn& fn) {
  for (long ky = 0; ky < g.k_h; ++ky) {
    const long iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) {
      continue;
    }
    for (long kx = 0; kx < g.k_w; ++kx) {
      const long ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
      if (ix >= 0 && ix < g.in_w) {
        fn(ky * g.k_w + kx, iy * g.in_w + ix);
      }
    }
  }
}

// acc[c * m + j] += x[c] * w[c * m + j] over all output channels of one tap.
void tap_forward(const float* __restrict x, const float* __restrict w, float* __restrict acc,
                 long channels, long multiplier) {
  if (multiplier == 1) {
    for (long c = 0; c < channels; ++c) {
      acc[c] += x[c] * w[c];
    }
    return;
  }
  for (long c = 0; c < channels; ++c) {
    for (long j = 0; j < multiplier; ++j) {
      acc[c * multiplier + j] += x[c] * w[c * multiplier + j];
    }
  }
}

// One output pixel of a depthwise convolution with one filter per channel, NV registers of
// channels from c0: each starts from the bias and adds the taps in for_each_tap's order, in
// registers. (Added in memory tap by tap, the loop ran slower than PyTorch's: 1.9 against 1.5 ms
// for 14x14x32 at batch 64 on one thread; one register at a time, 1.6 ms, waiting on each
// multiply-add's latency.)
template <int NV, bool kFull>
void vectors_forward(const DepthwiseGeometry& g, const float* x, const float* w, const float* b,
                     long oy, long ox, long c0, int lanes, float* y) {
  Vec acc[NV];
  for (int j = 0; j < NV; ++j) {
    acc[j] = b != nullptr ? load_block<kFull>(b + c0 + j * kLanes, lanes) : Vec{};
  }
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    const float* xp = x + pixel * g.in_c + c0;
    const float* wp = w + tap * g.in_c + c0;
    for (int j = 0; j < NV; ++j) {
      acc[j] +=
          load_block<kFull>(xp + j * kLanes, lanes) * load_block<kFull>(wp + j * kLanes, lanes);
    }
  });
  for (int j = 0; j < NV; ++j) {
    store_block<kFull>(acc[j], lanes, y + c0 + j * kLanes);
  }
}

void pixel_forward(const DepthwiseGeometry& g, const float* x, const float* w, const float* b,
                   long oy, long ox, float* y) {
  for_each_register_group(g.in_c, [&](auto nv, auto full, long c0, int lanes) {
    vectors_forward<decltype(nv)::value, decltype(full)::value>(g, x, w, b, oy, ox, c0, lanes, y);
  });
}

// The gradients one output pixel adds (one filter per channel), NV registers of its output
// gradient d from c0 held in registers: db and each tap's dw and dx in the order of the general
// loops below, a register of channels per load and store. (14x14x32 at batch 64: backward 3.2 ->
// 2.6 ms on one thread.)
struct PixelGradients {
  float* dw;
  float* db;
  float* dx;  // null: no input gradient
};

template <int NV, bool kFull>
void vectors_backward(const DepthwiseGeometry& g, const float* x, const float* w, const float* d,
                      long oy, long ox, long c0, int lanes, const PixelGradients& out) {
  Vec dv[NV];
  for (int j = 0; j < NV; ++j) {
    dv[j] = load_block<kFull>(d + c0 + j * kLanes, lanes);
    float* dbp = out.db + c0 + j * kLanes;
    store_block<kFull>(load_block<kFull>(dbp, lanes) + dv[j], lanes, dbp);
  }
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    const float* xp = x + pixel * g.in_c + c0;
    float* dwp = out.dw + tap * g.in_c + c0;
    for (int j = 0; j < NV; ++j) {
      store_block<kFull>(load_block<kFull>(dwp + j * kLanes, lanes) +
                             load_block<kFull>(xp + j * kLanes, lanes) * dv[j],
                         lanes, dwp + j * kLanes);
    }
    if (out.dx != nullptr) {
      const float* wp = w + tap * g.in_c + c0;
      float* dxp = out.dx + pixel * g.in_c + c0;
      for (int j = 0; j < NV; ++j) {
        store_block<kFull>(load_block<kFull>(dxp + j * kLanes, lanes) +
                               dv[j] * load_block<kFull>(wp + j * kLanes, lanes),
                           lanes, dxp + j * kLanes);
      }
    }
  });
}

void pixel_backward(const DepthwiseGeometry& g, const float* x, const float* w, const float* d,
                    long oy, long ox, const PixelGradients& out) {
  for_each_register_group(g.in_c, [&](auto nv, auto full, long c0, int lanes) {
    vectors_backward<decltype(nv)::value, decltype(full)::value>(g, x, w, d, oy, ox, c0, lanes,
                                                                 out);
  });
}

// A sample's gradients for a 3x3 kernel with one filter per channel, NV registers of channels
// (from c0) at a time, the nine taps in registers. First dw and db: each output pixel, in raster
// order, adds its gradient times the nine inputs it read, so every dw[tap][c] sums its pixels in
// pixel_backward's order. With stride 1, dx is then gathered: each input pixel sums the outputs
// that read it, from the largest tap down, which is the raster order of those outputs,
// pixel_backward's order of scattering them; strided, it is scattered as there. The bits are
// pixel_backward's; each dw (and with stride 1, dx) float is stored once instead of once per tap
// of every pixel. Backward at batch 64 on two threads (runner_layer_bench): 14x14x32 1.26 ->
// 0.81 ms, 14x14x64 3.24 -> 2.38 ms; strided 14x14x64 about 5% faster (gathered, 10% slower).
constexpr int kRegisterTaps = 3;
// Stride 1 takes two registers of channels per pass over the sample: the pass's index arithmetic
// and bounds checks cost as much as its multiply-adds, and a pair halves the passes. Backward at
// batch 64 on two threads (runner_layer_bench, Zen 4): 14x14x32 0.154-0.200 -> 0.114-0.133 ms,
// 14x14x64 0.56-0.69 -> 0.40-0.47; AVX2 code there 14x14x32 0.26-0.33 -> 0.19-0.23 ms, though
// its 18 accumulators spill from AVX2's 16 registers. Four registers were slower on both. A
// strided pass scatters dx with the nine taps' weights in registers too: one register at a time.
constexpr int kPairedVecs = 2;

// For each input row (column) i and tap k, the output row (column) that reads i through k, or
// -1: rows[i * kRegisterTaps + k].
struct TapSources {
  std::vector<long> rows, cols;
  explicit TapSources(const DepthwiseGeometry& g)
      : rows(sources_of(g.in_h, g.pad_top, g.dilation_h, g.stride_h, g.out_h)),
        cols(sources_of(g.in_w, g.pad_left, g.dilation_w, g.stride_w, g.out_w)) {}

  static std::vector<long> sources_of(long in, long pad, long dilation, long stride, long out) {
    std::vector<long> s(static_cast<std::size_t>(in * kRegisterTaps), -1);
    for (long i = 0; i < in; ++i) {
      for (long k = 0; k < kRegisterTaps; ++k) {
        const long t = i + pad - k * dilation;
        if (t >= 0 && t % stride == 0 && t / stride < out) {
          s[static_cast<std::size_t>(i * kRegisterTaps + k)] = t / stride;
        }
      }
    }
    return s;
  }
};

template <bool kFull, bool kScatter, int NV>
void register_taps_backward(const DepthwiseGeometry& g, const TapSources& sources, const float* x,
                            const float* w, const float* d, long c0, int lanes,
                            const PixelGradients& out) {
  constexpr int kTaps = kRegisterTaps * kRegisterTaps;
  // Register j of a block: channels c0 + j * kLanes on (NV > 1 only with full registers).
  const auto load = [&](const float* p) { return load_block<kFull>(p, lanes); };
  const auto store = [&](const Vec& v, float* p) { store_block<kFull>(v, lanes, p); };
  Vec acc[kTaps][NV];
  Vec bias[NV];
  for (int j = 0; j < NV; ++j) {
    for (int tap = 0; tap < kTaps; ++tap) {
      acc[tap][j] = load(out.dw + tap * g.in_c + c0 + j * kLanes);
    }
    bias[j] = load(out.db + c0 + j * kLanes);
  }
  // Strided (kScatter): most input pixels have one or two readers, so dx is scattered (zeroed
  // by the caller) in this loop; stride 1: gathered below.
  Vec wv[kTaps][NV];
  auto load_weights = [&] {
    for (int tap = 0; tap < kTaps; ++tap) {
      for (int j = 0; j < NV; ++j) {
        wv[tap][j] = load(w + tap * g.in_c + c0 + j * kLanes);
      }
    }
  };
  if constexpr (kScatter) {
    load_weights();
  }
  // Offsets of the taps from a window's first input (the interior pixels' loop below).
  long tap_offsets[kTaps];
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
    for (int kx = 0; kx < kRegisterTaps; ++kx) {
      tap_offsets[ky * kRegisterTaps + kx] =
          (ky * g.dilation_h * g.in_w + kx * g.dilation_w) * g.in_c;
    }
  }
  const long span_h = (kRegisterTaps - 1) * g.dilation_h;
  const long span_w = (kRegisterTaps - 1) * g.dilation_w;
  for (long oy = 0; oy < g.out_h; ++oy) {
    const long iy0 = oy * g.stride_h - g.pad_top;
    const bool inside_rows = iy0 >= 0 && iy0 + span_h < g.in_h;
    for (long ox = 0; ox < g.out_w; ++ox) {
      const long ix0 = ox * g.stride_w - g.pad_left;
      Vec dv[NV];
      for (int j = 0; j < NV; ++j) {
        dv[j] = load(d + (oy * g.out_w + ox) * g.in_c + c0 + j * kLanes);
        bias[j] += dv[j];
      }
      // One input's products with the pixel's gradient, at `at` floats into x for tap `tap`.
      const auto add_tap = [&](int tap, long at) {
        for (int j = 0; j < NV; ++j) {
          acc[tap][j] += load(x + at + j * kLanes) * dv[j];
          if constexpr (kScatter) {
            float* dxp = out.dx + at + j * kLanes;
            store(load(dxp) + dv[j] * wv[tap][j], dxp);
          }
        }
      };
      if (inside_rows && ix0 >= 0 && ix0 + span_w < g.in_w) {
        // Every tap inside the image: no bounds to check, the same sums in the same order.
        const long first = (iy0 * g.in_w + ix0) * g.in_c + c0;
#pragma GCC unroll 9
        for (int tap = 0; tap < kTaps; ++tap) {
          add_tap(tap, first + tap_offsets[tap]);
        }
        continue;
      }
#pragma GCC unroll 3
      for (int ky = 0; ky < kRegisterTaps; ++ky) {
        const long iy = iy0 + ky * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) {
          continue;
        }
#pragma GCC unroll 3
        for (int kx = 0; kx < kRegisterTaps; ++kx) {
          const long ix = ix0 + kx * g.dilation_w;
          if (ix >= 0 && ix < g.in_w) {
            add_tap(ky * kRegisterTaps + kx, (iy * g.in_w + ix) * g.in_c + c0);
          }
        }
      }
    }
  }
  for (int j = 0; j < NV; ++j) {
    for (int tap = 0; tap < kTaps; ++tap) {
      store(acc[tap][j], out.dw + tap * g.in_c + c0 + j * kLanes);
    }
    store(bias[j], out.db + c0 + j * kLanes);
  }
  if (out.dx == nullptr || kScatter) {
    return;
  }
  load_weights();
  // Offsets of the outputs that read an input pixel through each tap from the one that reads it
  // through tap (0, 0) (the interior pixels' loop below).
  long source_offsets[kTaps];
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
    for (int kx = 0; kx < kRegisterTaps; ++kx) {
      source_offsets[ky * kRegisterTaps + kx] =
          -(ky * g.dilation_h * g.out_w + kx * g.dilation_w) * g.in_c;
    }
  }
  const auto all_read = [](const long* readers) {
    return readers[0] >= 0 && readers[1] >= 0 && readers[2] >= 0;
  };
  for (long iy = 0; iy < g.in_h; ++iy) {
    const long* rows = sources.rows.data() + iy * kRegisterTaps;
    const bool read_by_all_rows = all_read(rows);
    for (long ix = 0; ix < g.in_w; ++ix) {
      const long* cols = sources.cols.data() + ix * kRegisterTaps;
      Vec sum[NV] = {};
      float* dxp = out.dx + (iy * g.in_w + ix) * g.in_c + c0;
      if (read_by_all_rows && all_read(cols)) {
        // Every tap reads it: no sources to check, the same sums in the same order.
        const float* first = d + (rows[0] * g.out_w + cols[0]) * g.in_c + c0;
#pragma GCC unroll 9
        for (int tap = kTaps - 1; tap >= 0; --tap) {
          for (int j = 0; j < NV; ++j) {
            sum[j] += load(first + source_offsets[tap] + j * kLanes) * wv[tap][j];
          }
        }
        for (int j = 0; j < NV; ++j) {
          store(sum[j], dxp + j * kLanes);
        }
        continue;
      }
#pragma GCC unroll 3
      for (int ky = kRegisterTaps - 1; ky >= 0; --ky) {
        const long oy = rows[ky];
        if (oy < 0) {
          continue;
        }
#pragma GCC unroll 3
        for (int kx = kRegisterTaps - 1; kx >= 0; --kx) {
          const long ox = cols[kx];
          if (ox >= 0) {
            for (int j = 0; j < NV; ++j) {
              sum[j] += load(d + (oy * g.out_w + ox) * g.in_c + c0 + j * kLanes) *
                        wv[ky * kRegisterTaps + kx][j];
            }
          }
        }
      }
      for (int j = 0; j < NV; ++j) {
        store(sum[j], dxp + j * kLanes);
      }
    }
  }
}

bool gathers_input_gradient(const DepthwiseGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1;
}

bool register_taps_apply(const DepthwiseGeometry& g) {
  return g.multiplier == 1 && g.k_h == kRegisterTaps && g.k_w == kRegisterTaps;
}

// One tap's share of the gradients: dw += x * d, dx += sum over the channel's filters of d * w.
void tap_backward(const float* __restrict x, const float* __restrict w, const float* __restrict d,
                  float* __restrict dw, float* __restrict dx, long channels, long multiplier) {
  if (multiplier == 1) {
    for (long c = 0; c < channels; ++c) {
      dw[c] += x[c] * d[c];
    }
    if (dx != nullptr) {
      for (long c = 0; c < channels; ++c) {
        dx[c] += d[c] * w[c];
      }
    }
    return;
  }
  for (long c = 0; c < channels; ++c) {
    float sum = 0.0F;
    for (long j = 0; j < multiplier; ++j) {
      dw[c * multiplier + j] += x[c] * d[c * multiplier + j];
      sum += d[c * multiplier + j] * w[c * multiplier + j];
    }
    if (dx != nullptr) {
      dx[c] += sum;
    }
  }
}

// Output columns [first, last) of a 3x3 depthwise convolution whose three column taps all land
// inside the input's width (the others skip the taps in the padding one by one).
struct ColumnRange {
  long first, last;
};
ColumnRange full_columns(const DepthwiseGeometry& g) {
  long first = 0;
  while (first < g.out_w && first * g.stride_w - g.pad_left < 0) {
    ++first;
  }
  long last = g.out_w;
  while (last > first &&
         (last - 1) * g.stride_w - g.pad_left + (kRegisterTaps - 1) * g.dilation_w >= g.in_w) {
    --last;
  }
  return {first, last};
}

// Output pixels kPixels at a time per register of channels: the nine weights stay in registers
// and each pixel has its own accumulator, so a tap's multiply-add waits on nothing (pixel by
// pixel, each tap reloaded its weight and waited on the one before: 46 cycles per register of
// output, 14x14x32 at batch 64).
constexpr int kRegisterPixels = 4;

// The nine weights of one register of channels from c0, wv[ky][kx], into the row kernels' locals.
template <bool kFull>
inline void load_tap_weights(const float* w, long in_c, long c0, int lanes,
                             Vec (&wv)[kRegisterTaps][kRegisterTaps]) {
#pragma GCC unroll 3
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
#pragma GCC unroll 3
    for (int kx = 0; kx < kRegisterTaps; ++kx) {
      wv[ky][kx] = load_block<kFull>(w + (ky * kRegisterTaps + kx) * in_c + c0, lanes);
    }
  }
}

// One register of channels from c0 over output row oy (`cols` its full columns): each output
// starts from the bias and adds the taps inside the image in for_each_tap's order, the bits of
// vectors_forward.
template <bool kFull>
void register_taps_row(const DepthwiseGeometry& g, const float* x, const float* w, const float* b,
                       long oy, ColumnRange cols, long c0, int lanes, float* y) {
  const long iy0 = oy * g.stride_h - g.pad_top;
  bool inside[kRegisterTaps];
#pragma GCC unroll 3
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
    const long iy = iy0 + ky * g.dilation_h;
    inside[ky] = iy >= 0 && iy < g.in_h;
  }
  Vec wv[kRegisterTaps][kRegisterTaps];
  load_tap_weights<kFull>(w, g.in_c, c0, lanes, wv);
  const Vec bias = b != nullptr ? load_block<kFull>(b + c0, lanes) : Vec{};
  const long pixel_step = g.stride_w * g.in_c;
  const long tap_step = g.dilation_w * g.in_c;
  // kCheck: an edge column, whose taps outside the width are skipped (one pixel).
  auto pixels = [&](auto count, auto check, long ox) {
    constexpr int kCount = decltype(count)::value;
    constexpr bool kCheck = decltype(check)::value;
    Vec acc[kCount];
#pragma GCC unroll 4
    for (int p = 0; p < kCount; ++p) {
      acc[p] = bias;
    }
#pragma GCC unroll 3
    for (int ky = 0; ky < kRegisterTaps; ++ky) {
      if (!inside[ky]) {
        continue;
      }
      // An offset, not a pointer: at an edge column the first tap's may lie before x.
      const long row =
          ((iy0 + ky * g.dilation_h) * g.in_w + ox * g.stride_w - g.pad_left) * g.in_c + c0;
#pragma GCC unroll 3
      for (int kx = 0; kx < kRegisterTaps; ++kx) {
        if constexpr (kCheck) {
          const long ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
          if (ix < 0 || ix >= g.in_w) {
            continue;
          }
        }
#pragma GCC unroll 4
        for (int p = 0; p < kCount; ++p) {
          acc[p] +=
              load_block<kFull>(x + (row + p * pixel_step + kx * tap_step), lanes) * wv[ky][kx];
        }
      }
    }
#pragma GCC unroll 4
    for (int p = 0; p < kCount; ++p) {
      store_block<kFull>(acc[p], lanes, y + (ox + p) * g.in_c + c0);
    }
  };
  using One = std::integral_constant<int, 1>;
  for (long ox = 0; ox < cols.first; ++ox) {
    pixels(One{}, std::true_type{}, ox);
  }
  long ox = cols.first;
  for (; ox + kRegisterPixels <= cols.last; ox += kRegisterPixels) {
    pixels(std::integral_constant<int, kRegisterPixels>{}, std::false_type{}, ox);
  }
  for (; ox < cols.last; ++ox) {
    pixels(One{}, std::false_type{}, ox);
  }
  for (ox = cols.last; ox < g.out_w; ++ox) {
    pixels(One{}, std::true_type{}, ox);
  }
}

// With dilation 1 across and stride 1 or 2 across, the rows take this path: kStreamPixels outputs
// at a time, each input column loaded once per kernel row and used by every output of the block
// that reads it (register_taps_row loads each tap of each output on its own, and its run-time
// strides cost an address computation per multiply-add: 0.7 multiply-adds per cycle, 14x14x32 at
// batch 8, AVX2). An output still adds its taps in for_each_tap's order: within a kernel row, a
// later column is a later tap for every output. Nine weights and kStreamPixels accumulators fill
// AVX2's 16 registers at 4 and leave AVX-512's 32 room for 8.
constexpr int kStreamPixels = kLanes == 16 ? 8 : 4;

bool streams_rows(const DepthwiseGeometry& g) {
  return g.dilation_w == 1 && (g.stride_w == 1 || g.stride_w == 2);
}

// kPixels outputs from the input columns at rows[ky] (kernel row ky, null when it lies in the
// padding), in_c floats apart, into y (in_c floats apart).
template <bool kFull, int kStride, int kPixels>
inline void stream_pixels(const float* const (&rows)[kRegisterTaps], long in_c,
                          const Vec (&wv)[kRegisterTaps][kRegisterTaps], const Vec& bias, int lanes,
                          float* y) {
  constexpr int kColumns = (kPixels - 1) * kStride + kRegisterTaps;
  Vec acc[kPixels];
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) {
    acc[p] = bias;
  }
#pragma GCC unroll 3
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
    if (rows[ky] == nullptr) {
      continue;
    }
#pragma GCC unroll 17
    for (int j = 0; j < kColumns; ++j) {
      const Vec v = load_block<kFull>(rows[ky] + j * in_c, lanes);
#pragma GCC unroll 3
      for (int kx = 0; kx < kRegisterTaps; ++kx) {
        const int t = j - kx;
        if (t >= 0 && t % kStride == 0 && t / kStride < kPixels) {
          acc[t / kStride] += v * wv[ky][kx];
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) {
    store_block<kFull>(acc[p], lanes, y + p * in_c);
  }
}

// One register of channels from c0 over output row oy: the full columns in blocks, the edge
// columns pixel by pixel; kernel rows in the padding skipped.
template <bool kFull, int kStride>
void stream_row(const DepthwiseGeometry& g, const float* x, const float* w, const float* b, long oy,
                ColumnRange cols, long c0, int lanes, float* y) {
  const long in_c = g.in_c;
  Vec wv[kRegisterTaps][kRegisterTaps];
  load_tap_weights<kFull>(w, in_c, c0, lanes, wv);
  const Vec bias = b != nullptr ? load_block<kFull>(b + c0, lanes) : Vec{};
  // Offsets, not pointers, until a block's columns are known to lie inside the image.
  const long iy0 = oy * g.stride_h - g.pad_top;
  long row_starts[kRegisterTaps];
  bool inside[kRegisterTaps];
#pragma GCC unroll 3
  for (int ky = 0; ky < kRegisterTaps; ++ky) {
    const long iy = iy0 + ky * g.dilation_h;
    inside[ky] = iy >= 0 && iy < g.in_h;
    row_starts[ky] = (iy * g.in_w - g.pad_left) * in_c + c0;
  }
  const auto block = [&](auto pixels, long ox) {
    constexpr int kPixels = decltype(pixels)::value;
    const float* rows[kRegisterTaps];
#pragma GCC unroll 3
    for (int ky = 0; ky < kRegisterTaps; ++ky) {
      rows[ky] = inside[ky] ? x + (row_starts[ky] + ox * kStride * in_c) : nullptr;
    }
    stream_pixels<kFull, kStride, kPixels>(rows, in_c, wv, bias, lanes, y + ox * in_c + c0);
  };
  // An edge column: its taps outside the width skipped, as vectors_forward skips them.
  const auto edge = [&](long ox) {
    Vec acc = bias;
#pragma GCC unroll 3
    for (int ky = 0; ky < kRegisterTaps; ++ky) {
#pragma GCC unroll 3
      for (int kx = 0; kx < kRegisterTaps; ++kx) {
        const long ix = ox * kStride - g.pad_left + kx;
        if (inside[ky] && ix >= 0 && ix < g.in_w) {
          acc += load_block<kFull>(x + (row_starts[ky] + (ox * kStride + kx) * in_c), lanes) *
                 wv[ky][kx];
        }
      }
    }
    store_block<kFull>(acc, lanes, y + ox * in_c + c0);
  };
  for (long ox = 0; ox < cols.first; ++ox) {
    edge(ox);
  }
  long ox = cols.first;
  for (; ox + kStreamPixels <= cols.last; ox += kStreamPixels) {
    block(std::integral_constant<int, kStreamPixels>{}, ox);
  }
  if constexpr (kStreamPixels > 4) {
    if (ox + 4 <= cols.last) {
      block(std::integral_constant<int, 4>{}, ox);
      ox += 4;
    }
  }
  if (ox + 2 <= cols.last) {
    block(std::integral_constant<int, 2>{}, ox);
    ox += 2;
  }
  if (ox < cols.last) {
    block(std::integral_constant<int, 1>{}, ox);
    ++ox;
  }
  for (; ox < g.out_w; ++ox) {
    edge(ox);
  }
}

// One output row of a 3x3 depthwise convolution with one filter per channel, register by
// register of channels.
void register_taps_forward_row(const DepthwiseGeometry& g, ColumnRange cols, const float* x,
                               const float* w, const float* b, long oy, float* y) {
  const bool stream = streams_rows(g);
  for_each_channel_block(g.in_c, [&](auto full, long c0, int lanes) {
    constexpr bool kFull = decltype(full)::value;
    if (!stream) {
      register_taps_row<kFull>(g, x, w, b, oy, cols, c0, lanes, y);
    } else if (g.stride_w == 1) {
      stream_row<kFull, 1>(g, x, w, b, oy, cols, c0, lanes, y);
    } else {
      stream_row<kFull, 2>(g, x, w, b, oy, cols, c0, lanes, y);
    }
  });
}

}  // namespace

void depthwise_forward(const DepthwiseGeometry& g, Activation act, const DepthwiseForward& t) {
  const long oc = g.out_c();
  const auto rows = static_cast<std::size_t>(t.batch * g.out_h);
  const bool register_taps = register_taps_apply(g);
  const ColumnRange cols = register_taps ? full_columns(g) : ColumnRange{0, 0};
  parallel_for(0, rows, kRowsPerTask, [&](std::size_t first, std::size_t last) {
    for (auto row = static_cast<long>(first); row < static_cast<long>(last); ++row) {
      const long n = row / g.out_h;
      const long oy = row % g.out_h;
      const float* x = t.x + n * g.in_size();
      float* y = t.y + row * g.out_w * oc;
      if (register_taps) {
        register_taps_forward_row(g, cols, x, t.w, t.b, oy, y);
        activate(act, y, g.out_w, oc);
        continue;
      }
      for (long ox = 0; ox < g.out_w; ++ox) {
        if (g.multiplier == 1) {
          pixel_forward(g, x, t.w, t.b, oy, ox, y + ox * oc);
          continue;
        }
        float* acc = y + ox * oc;
        if (t.b != nullptr) {
          std::copy(t.b, t.b + oc, acc);
        } else {
          std::fill(acc, acc + oc, 0.0F);
        }
        for_each_tap(g, oy, ox, [&](long tap, long pixel) {
          tap_forward(x + pixel * g.in_c, t.w + tap * oc, acc, g.in_c, g.multiplier);
        });
      }
      activate(act, y, g.out_w, oc);
    }
  });
}

std::size_t depthwise_partials_size(const DepthwiseGeometry& g, long max_batch) {
  const auto chunks = chunk_count(static_cast<std::size_t>(max_batch), kSamplesPerChunk);
  return chunks * static_cast<std::size_t>((g.taps() + 1) * g.out_c());
}

void depthwise_backward(const DepthwiseGeometry& g, Activation act, const DepthwiseBackward& t,
                        const DepthwiseWorkspace& ws) {
  const long oc = g.out_c();
  const long weights = g.taps() * oc;
  const auto block = static_cast<std::size_t>(weights + oc);  // dw then db, per chunk
  const auto chunks = chunk_count(static_cast<std::size_t>(t.batch), kSamplesPerChunk);
  const TapSources sources(g);
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t chunk = first; chunk < last; ++chunk) {
      float* dw = ws.partials + chunk * block;
      float* db = dw + weights;
      std::fill(dw, dw + block, 0.0F);
      const long n0 = static_cast<long>(chunk) * kSamplesPerChunk;
      const long n1 = std::min(t.batch, n0 + kSamplesPerChunk);
      for (long n = n0; n < n1; ++n) {
        const float* x = t.x + n * g.in_size();
        // A linear activation passes the gradient through: read dy itself.
        const float* delta = t.dy + n * g.out_size();
        if (act != Activation::kLinear) {
          float* scratch = ws.delta + n * g.out_size();
          activation_backward(act, t.y + n * g.out_size(), delta, scratch, g.out_h * g.out_w, oc);
          delta = scratch;
        }
        float* dx = t.dx != nullptr ? t.dx + n * g.in_size() : nullptr;
        if (register_taps_apply(g)) {
          const bool scatter = dx != nullptr && !gathers_input_gradient(g);
          if (scatter) {
            std::fill(dx, dx + g.in_size(), 0.0F);
          }
          const PixelGradients out{.dw = dw, .db = db, .dx = dx};
          const auto pass = [&](auto scattered) {
            return [&](auto nv, auto full, long c0, int lanes) {
              register_taps_backward<decltype(full)::value, decltype(scattered)::value,
                                     decltype(nv)::value>(g, sources, x, t.w, delta, c0, lanes,
                                                          out);
            };
          };
          if (scatter) {
            for_each_register_group<1>(g.in_c, pass(std::true_type{}));
          } else {
            for_each_register_group<kPairedVecs>(g.in_c, pass(std::false_type{}));
          }
          continue;
        }
        if (dx != nullptr) {
          std::fill(dx, dx + g.in_size(), 0.0F);
        }
        for (long oy = 0; oy < g.out_h; ++oy) {
          for (long ox = 0; ox < g.out_w; ++ox) {
            const float* d = delta + (oy * g.out_w + ox) * oc;
            if (g.multiplier == 1) {
              pixel_backward(g, x, t.w, d, oy, ox, {.dw = dw, .db = db, .dx = dx});
              continue;
            }
            for (long j = 0; j < oc; ++j) {
              db[j] += d[j];
            }
            for_each_tap(g, oy, ox, [&](long tap, long pixel) {
              float* dx_pixel = dx != nullptr ? dx + pixel * g.in_c : nullptr;
              tap_backward(x + pixel * g.in_c, t.w + tap * oc, d, dw + tap * oc, dx_pixel, g.in_c,
                           g.multiplier);
            });
          }
        }
      }
    }
  });
  add_chunk_gradients(ws.partials, chunks, static_cast<std::size_t>(weights),
                      static_cast<std::size_t>(oc), t.dw, t.db);
}

}  // namespace runner::kernels
