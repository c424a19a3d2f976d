#include "layers/kernels/short_gemm.hpp"

#include <algorithm>

#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// Columns [16 j, 16 j + 16) of a row of n floats, zero past n.
inline Vec load_columns(const float* row, long n, int j) {
  return load_lanes(row + j * kLanes, static_cast<int>(std::min<long>(kLanes, n - j * kLanes)));
}

inline void store_columns(const Vec& v, long n, int j, float* row) {
  store_lanes(v, static_cast<int>(std::min<long>(kLanes, n - j * kLanes)), row + j * kLanes);
}

// The epilogue: bias, then ReLU.
inline Vec finish(Vec v, const Vec& bias, bool relu) {
  v += bias;
  return relu ? relu_lanes(v) : v;
}

// Where output pixel r = (i, j) finds its patch: tap kk is at patch(r)[tap[kk]].
struct PatchRows {
  const float* image;
  long cols, row_stride, col_stride;
  [[nodiscard]] const float* operator()(long r) const {
    return image + (r / cols) * row_stride + (r % cols) * col_stride;
  }
};

// The patches of pixels r, r + 1, ... in turn, without a division per pixel (four of them per
// block of rows cost about as much as the block's multiply-adds on a 3x3 kernel).
class PatchWalk {
 public:
  PatchWalk(const PatchRows& rows, long r) : rows_(rows), i_(r / rows.cols), j_(r % rows.cols) {}
  const float* next() {
    const float* p = rows_.image + i_ * rows_.row_stride + j_ * rows_.col_stride;
    if (++j_ == rows_.cols) {
      j_ = 0;
      ++i_;
    }
    return p;
  }

 private:
  const PatchRows& rows_;
  long i_, j_;
};

// NV = vectors per row of C. Four rows at a time give the multiply-adds independent chains.
// K > 0: k is K, known here, so the loops over the taps unroll (GCC still reads the weights
// from the stack frame, as memory operands of the multiply-adds); K = 0: any k.
template <int NV, int K>
void short_k(long m, long n, long k_any, const PatchRows& rows, const long* tap, const float* b,
             float* c, const float* bias, bool relu) {
  const long k = K > 0 ? K : k_any;
  Vec bias_v[NV];
  for (int j = 0; j < NV; ++j) {
    bias_v[j] = bias != nullptr ? load_columns(bias, n, j) : Vec{};
  }
  Vec w[K > 0 ? K : kLongPatchMaxK][NV];
  for (long kk = 0; kk < k; ++kk) {
    for (int j = 0; j < NV; ++j) {
      w[kk][j] = load_columns(b + kk * n, n, j);
    }
  }
  constexpr int kRows = 4;
  PatchWalk walk(rows, 0);
  long r = 0;
  for (; r + kRows <= m; r += kRows) {
    const float* row[kRows];
    for (int i = 0; i < kRows; ++i) {
      row[i] = walk.next();
    }
    constexpr int kBlock = column_block<NV>();  // accumulators that fit the registers
    for (int j0 = 0; j0 < NV; j0 += kBlock) {
      Vec acc[kRows][kBlock] = {};
      for (long kk = 0; kk < k; ++kk) {
        for (int i = 0; i < kRows; ++i) {
          const float s = row[i][tap[kk]];
          for (int j = 0; j < kBlock; ++j) {
            acc[i][j] += s * w[kk][j0 + j];
          }
        }
      }
      for (int i = 0; i < kRows; ++i) {
        for (int j = 0; j < kBlock; ++j) {
          store_columns(finish(acc[i][j], bias_v[j0 + j], relu), n, j0 + j, c + (r + i) * n);
        }
      }
    }
  }
  for (; r < m; ++r) {
    const float* row = walk.next();
    Vec acc[NV] = {};
    for (long kk = 0; kk < k; ++kk) {
      const float s = row[tap[kk]];
      for (int j = 0; j < NV; ++j) {
        acc[j] += s * w[kk][j];
      }
    }
    for (int j = 0; j < NV; ++j) {
      store_columns(finish(acc[j], bias_v[j], relu), n, j, c + r * n);
    }
  }
}

// One-channel input at stride 1 (col_stride == 1), at most a register of filters (LeNet's six):
// a register holds kLanes neighbouring output pixels of one filter, so every lane does useful
// work (a register of six filters used six lanes in eight), and the taps of kLanes pixels are one
// load instead of kLanes broadcasts. Each output still adds its taps in order from zero and then
// the bias, in fused multiply-adds as short_k, so the bits are short_k's. The registers are
// written out transposed, pixel by pixel, through a small buffer.
template <int N, int kBlocks, bool kFull>
void pixel_block(const PatchRows& rows, long r, long first_col, int count, long k, const long* tap,
                 const float* b, const float* bias, bool relu, float* c) {
  const float* patch = rows(r * rows.cols + first_col);
  Vec acc[kBlocks][N] = {};
  for (long kk = 0; kk < k; ++kk) {
    Vec x[kBlocks];
    for (int q = 0; q < kBlocks; ++q) {
      x[q] = load_block<kFull>(patch + tap[kk] + q * kLanes, count);
    }
    for (int f = 0; f < N; ++f) {
      const float weight = b[kk * N + f];
      for (int q = 0; q < kBlocks; ++q) {
        acc[q][f] += x[q] * weight;
      }
    }
  }
  for (int q = 0; q < kBlocks; ++q) {
    float tile[N][kLanes];
    for (int f = 0; f < N; ++f) {
      Vec v = acc[q][f];
      if (bias != nullptr) {
        v += bias[f];
      }
      store_full(relu ? relu_lanes(v) : v, tile[f]);
    }
    float* out = c + (r * rows.cols + first_col + q * kLanes) * N;
    for (int p = 0; p < count; ++p) {
      for (int f = 0; f < N; ++f) {
        out[p * N + f] = tile[f][p];
      }
    }
  }
}

// Two blocks of pixels at a time where their accumulators and inputs fit the registers (16 with
// AVX2, 32 with AVX-512), so each weight is loaded once for both.
template <int N>
void pixels_short_k(long m_rows, const PatchRows& rows, long k, const long* tap, const float* b,
                    float* c, const float* bias, bool relu) {
  constexpr int kRegisters = kLanes == 16 ? 32 : 16;
  constexpr bool kTwoBlocks = 2 * N + 2 <= kRegisters;
  for (long r = 0; r < m_rows; ++r) {
    long col = 0;
    if constexpr (kTwoBlocks) {
      for (; col + 2 * kLanes <= rows.cols; col += 2 * kLanes) {
        pixel_block<N, 2, true>(rows, r, col, kLanes, k, tap, b, bias, relu, c);
      }
    }
    for (; col + kLanes <= rows.cols; col += kLanes) {
      pixel_block<N, 1, true>(rows, r, col, kLanes, k, tap, b, bias, relu, c);
    }
    if (col < rows.cols) {
      pixel_block<N, 1, false>(rows, r, col, static_cast<int>(rows.cols - col), k, tap, b, bias,
                               relu, c);
    }
  }
}

// A 3x3 kernel on one channel (an image model's first layer), stride 1 or 2 across: kPixels
// neighbouring outputs of a row at a time, each input float of their three rows broadcast once
// and added, times the weight of the tap through which it reaches each of them, to those
// outputs. Input columns in order give every output its taps in short_k's order, so the bits
// are short_k's. short_k broadcasts nine floats per output (here 4.5 at stride 1) and has no
// unrolled form past 32 filters. Forward of 28x28x1 at one thread, short_k -> stencil: 32
// filters at stride 1 0.30 -> 0.20 ms (AVX-512) and 0.44-0.46 -> 0.37-0.39 (AVX2); 64 filters
// at stride 2 0.38 -> 0.31-0.33 and 0.75-0.78 -> 0.47-0.53.
constexpr int kStencilTaps = 3;
constexpr int kStencilPixels = 4;

// Whether `tap` is a one-channel 3x3 stencil: tap (ky, kx) at ky * pitch + kx.
bool one_channel_3x3(long k, const long* tap) {
  if (k != kStencilTaps * kStencilTaps) {
    return false;
  }
  const long pitch = tap[kStencilTaps];
  for (long kk = 0; kk < k; ++kk) {
    if (tap[kk] != (kk / kStencilTaps) * pitch + kk % kStencilTaps) {
      return false;
    }
  }
  return true;
}

template <int kStride, int NV>
void stencil_3x3(const InPlacePatches& patches, long n, const float* b, float* c, const float* bias,
                 bool relu, int j0) {
  constexpr int kTaps = kStencilTaps * kStencilTaps;
  const long pitch = patches.taps[kStencilTaps];
  Vec w[kTaps][NV];
  Vec bias_v[NV];
  for (int j = 0; j < NV; ++j) {
    bias_v[j] = bias != nullptr ? load_columns(bias, n, j0 + j) : Vec{};
    for (int kk = 0; kk < kTaps; ++kk) {
      w[kk][j] = load_columns(b + kk * n, n, j0 + j);
    }
  }
  const auto block = [&](auto pixels, const float* const(&rows)[kStencilTaps], float* out) {
    constexpr int kPixels = decltype(pixels)::value;
    constexpr int kColumns = (kPixels - 1) * kStride + kStencilTaps;
    Vec acc[kPixels][NV] = {};
#pragma GCC unroll 3
    for (int ky = 0; ky < kStencilTaps; ++ky) {
#pragma GCC unroll 12
      for (int col = 0; col < kColumns; ++col) {
        const float s = rows[ky][col];
#pragma GCC unroll 4
        for (int p = 0; p < kPixels; ++p) {
          const int kx = col - p * kStride;
          if (kx < 0 || kx >= kStencilTaps) {
            continue;
          }
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) {
            acc[p][j] += s * w[ky * kStencilTaps + kx][j];
          }
        }
      }
    }
#pragma GCC unroll 4
    for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        store_columns(finish(acc[p][j], bias_v[j], relu), n, j0 + j, out + p * n);
      }
    }
  };
  for (long i = 0; i < patches.rows; ++i) {
    const float* first = patches.image + i * patches.row_stride;
    float* out = c + i * patches.cols * n;
    long col = 0;
    const auto at = [&](long pixel, const float*(&rows)[kStencilTaps]) {
#pragma GCC unroll 3
      for (int ky = 0; ky < kStencilTaps; ++ky) {
        rows[ky] = first + ky * pitch + pixel * kStride;
      }
    };
    const float* rows[kStencilTaps];
    for (; col + kStencilPixels <= patches.cols; col += kStencilPixels) {
      at(col, rows);
      block(std::integral_constant<int, kStencilPixels>{}, rows, out + col * n);
    }
    // A pair, then a last single: a lone output's NV chains of nine multiply-adds wait on each
    // other's latency, four times as long per multiply-add as a full block.
    if (col + 2 <= patches.cols) {
      at(col, rows);
      block(std::integral_constant<int, 2>{}, rows, out + col * n);
      col += 2;
    }
    if (col < patches.cols) {
      at(col, rows);
      block(std::integral_constant<int, 1>{}, rows, out + col * n);
    }
  }
}

}  // namespace

bool short_gemm_applies(long n, long k) {
  return k >= 1 && k <= kLongPatchMaxK && n >= 1 && n <= kShortGemmMaxN;
}

void conv_short_k(const InPlacePatches& patches, long n, long k, const float* b, float* c,
                  const float* bias, bool relu) {
  const PatchRows rows{patches.image, patches.cols, patches.row_stride, patches.col_stride};
  const long m = patches.rows * patches.cols;
  const long* taps = patches.taps;
  if (patches.col_stride == 1 && n <= kLanes) {
    with_constant<kLanes>(n, [&](auto filters) {
      pixels_short_k<decltype(filters)::value>(patches.rows, rows, k, taps, b, c, bias, relu);
    });
    return;
  }
  const long vectors = (n + kLanes - 1) / kLanes;
  // Stride 2 with AVX2 and up to 32 filters stays with the unrolled short_k below: the stencil
  // ran it 7% slower there (0.224-0.229 -> 0.244-0.245 ms forward, 28x28x1 -> 32 at batch 128,
  // one thread), while it ran every other case faster (docs/performance.md, 2026-12-06, sixth
  // session).
  const bool unrolled_wins = patches.col_stride == 2 && kLanes == 8 && n <= 32;
  if ((patches.col_stride == 1 || patches.col_stride == 2) && !unrolled_wins &&
      one_channel_3x3(k, taps)) {
    // Blocks of filters whose accumulators fit the registers beside the weights.
    for (long v0 = 0; v0 < vectors; v0 += kVecsPerBlock) {
      with_constant<kVecsPerBlock>(std::min<long>(kVecsPerBlock, vectors - v0), [&](auto nv) {
        constexpr int kNv = decltype(nv)::value;
        const int j0 = static_cast<int>(v0);
        if (patches.col_stride == 1) {
          stencil_3x3<1, kNv>(patches, n, b, c, bias, relu, j0);
        } else {
          stencil_3x3<2, kNv>(patches, n, b, c, bias, relu, j0);
        }
      });
    }
    return;
  }
  with_constant<kMaxVecs>(vectors, [&](auto nv) {
    constexpr int kNv = decltype(nv)::value;
    // A 3x3 kernel on one channel (a first layer) with up to 32 filters, unrolled: 0.245 ->
    // 0.165 ms forward on 28x28x1 -> 32 at stride 2, batch 128, one thread (AVX-512). The same
    // multiply-adds in the same order either way. (Counted in filters, not registers: at "two
    // registers" AVX2's 32 filters, four of its registers, took the loop.)
    if (k == 9 && kNv * kLanes <= 32) {
      short_k<kNv, 9>(m, n, k, rows, taps, b, c, bias, relu);
    } else {
      short_k<kNv, 0>(m, n, k, rows, taps, b, c, bias, relu);
    }
  });
}

}  // namespace runner::kernels
