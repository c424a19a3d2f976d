#include "layers/kernels/dense_small.hpp"

#include <algorithm>

#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {
namespace {

// Rows per register block: six rows of four registers fill AVX-512's accumulators, as in
// point_products.hpp.
constexpr int kBlockRows = 6;

// Rows [0, R) by registers [0, NV) of y from k rank-one updates, one input at a time; kFull false
// means one register of `lanes` columns (the row's last, partial one). The bias is added after
// the products, as a GEMM and then a bias pass would.
template <int R, int NV, bool kFull>
void few_inputs_block(const DenseProduct& p, long stride, const float* x, const float* w,
                      const float* b, int lanes, bool relu, float* y) {
  Vec acc[R][NV] = {};
  for (long kk = 0; kk < p.k; ++kk) {
    Vec row[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      row[j] = load_block<kFull>(w + kk * stride + j * kLanes, lanes);
    }
    rank_one_update(acc, row, [&](int r) { return x[r * p.k + kk]; });
  }
  store_biased_rows<kFull>(acc, b, relu, lanes, [&](int r) { return y + r * stride; });
}

// The sum of a register's lanes, in lane order.
float lane_sum(const Vec& v) {
  float s = 0.0F;
  for (int i = 0; i < kLanes; ++i) {
    s += v[i];
  }
  return s;
}

// y = act(x w + b) with w's and y's rows `stride` floats apart (p.n for a whole layer).
void register_rows(const DenseProduct& p, long stride, Activation act) {
  const bool relu = act == Activation::kRelu;
  const long full_vecs = p.n / kLanes;
  const int tail = static_cast<int>(p.n - full_vecs * kLanes);
  // Calls fn(R, rows' x, rows' y) per block of rows.
  const auto for_each_row_block = [&](const auto& fn) {
    for (long r0 = 0; r0 < p.rows; r0 += kBlockRows) {
      with_constant<kBlockRows>(std::min<long>(kBlockRows, p.rows - r0),
                                [&](auto r) { fn(r, p.x + r0 * p.k, p.y + r0 * stride); });
    }
  };
  const auto bias = [&](long c0) { return p.b != nullptr ? p.b + c0 : nullptr; };
  // Column blocks outside, rows inside: a block's k x 64 slice of w stays in L1 (few inputs) or
  // L2 (a column block) for all rows.
  for (long j0 = 0; j0 < full_vecs; j0 += kVecsPerBlock) {
    const long c0 = j0 * kLanes;
    with_constant<kVecsPerBlock>(std::min<long>(kVecsPerBlock, full_vecs - j0), [&](auto nv) {
      for_each_row_block([&](auto r, const float* x, float* y) {
        few_inputs_block<decltype(r)::value, decltype(nv)::value, true>(
            p, stride, x, p.w + c0, bias(c0), kLanes, relu, y + c0);
      });
    });
  }
  if (tail > 0) {
    const long c0 = full_vecs * kLanes;
    for_each_row_block([&](auto r, const float* x, float* y) {
      few_inputs_block<decltype(r)::value, 1, false>(p, stride, x, p.w + c0, bias(c0), tail, relu,
                                                     y + c0);
    });
  }
  if (linear_or_relu(act)) {
    return;
  }
  if (stride == p.n) {
    activate(act, p.y, p.rows, p.n);
    return;
  }
  for (long r = 0; r < p.rows; ++r) {
    activate(act, p.y + r * stride, 1, p.n);
  }
}

}  // namespace

bool dense_few_inputs_apply(long k, long n) {
  return k >= 1 && k <= kFewInputsMaxK && n >= kLanes;
}

void dense_few_inputs(const DenseProduct& p, Activation act) {
  register_rows(p, p.n, act);
}

bool dense_column_block_applies(long k) {
  // AVX-512 only: with AVX2's blocks of six rows by two registers the library's kernel was the
  // faster one (the MLP's inference 303-306K img/s with it, 254-272K with this; AVX2 code on the
  // Zen 4 host).
  return kLanes == 16 && k >= 1 && k <= kColumnBlockMaxK;
}

void dense_column_block(const DenseProduct& p, long row_stride, Activation act) {
  register_rows(p, row_stride, act);
}

bool dense_few_units_apply(long k, long n) {
  return k >= 1 && n >= 1 && n <= kFewUnitsMaxN;
}

void dense_few_units(const DenseProduct& p, Activation act) {
  const bool relu = act == Activation::kRelu;
  // Four accumulators per dot product, so the multiply-adds do not wait on each other; they are
  // added in a fixed order.
  constexpr int kChains = 4;
  for (long r = 0; r < p.rows; ++r) {
    const float* x = p.x + r * p.k;
    for (long j = 0; j < p.n; ++j) {
      const float* w = p.w + j * p.k;
      Vec acc[kChains] = {};
      long c0 = 0;
      for (; c0 + kChains * kLanes <= p.k; c0 += kChains * kLanes) {
#pragma GCC unroll 4
        for (int c = 0; c < kChains; ++c) {
          acc[c] += load_full(x + c0 + c * kLanes) * load_full(w + c0 + c * kLanes);
        }
      }
      for (int c = 0; c0 < p.k; c0 += kLanes, ++c) {
        const int lanes = static_cast<int>(std::min<long>(kLanes, p.k - c0));
        acc[c] += load_lanes(x + c0, lanes) * load_lanes(w + c0, lanes);
      }
      float v = lane_sum((acc[0] + acc[1]) + (acc[2] + acc[3]));
      if (p.b != nullptr) {
        v += p.b[j];
      }
      p.y[r * p.n + j] = relu ? std::max(v, 0.0F) : v;
    }
  }
  if (!linear_or_relu(act)) {
    activate(act, p.y, p.rows, p.n);
  }
}

}  // namespace runner::kernels
