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

// NV = vectors per row of C. Four rows at a time give the multiply-adds independent chains.
template <int NV>
void short_k(long m, long n, long k, const PatchRows& rows, const long* tap, const float* b,
             float* c, const float* bias, bool relu) {
  Vec bias_v[NV];
  for (int j = 0; j < NV; ++j) {
    bias_v[j] = bias != nullptr ? load_columns(bias, n, j) : Vec{};
  }
  Vec w[kShortGemmMaxK][NV];
  for (long kk = 0; kk < k; ++kk) {
    for (int j = 0; j < NV; ++j) {
      w[kk][j] = load_columns(b + kk * n, n, j);
    }
  }
  constexpr int kRows = 4;
  long r = 0;
  for (; r + kRows <= m; r += kRows) {
    const float* row[kRows];
    for (int i = 0; i < kRows; ++i) {
      row[i] = rows(r + i);
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
    const float* row = rows(r);
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

}  // namespace

bool short_gemm_applies(long n, long k) {
  return k >= 1 && k <= kShortGemmMaxK && n >= 1 && n <= kShortGemmMaxN;
}

void conv_short_k(const InPlacePatches& patches, long n, long k, const float* b, float* c,
                  const float* bias, bool relu) {
  const PatchRows rows{patches.image, patches.cols, patches.row_stride, patches.col_stride};
  const long m = patches.rows * patches.cols;
  const long* taps = patches.taps;
  with_constant<kMaxVecs>((n + kLanes - 1) / kLanes, [&](auto nv) {
    short_k<decltype(nv)::value>(m, n, k, rows, taps, b, c, bias, relu);
  });
}

}  // namespace runner::kernels
