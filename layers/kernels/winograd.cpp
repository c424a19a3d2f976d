#include "layers/kernels/winograd.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "framework/core/parallel.hpp"
#include "layers/kernels/batch_norm_lanes.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/conv2d_phases.hpp"
#include "layers/kernels/fused_pool.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/lanes.hpp"
#include "layers/kernels/point_products.hpp"
#include "layers/kernels/thread_scratch.hpp"

namespace runner::kernels {

namespace {

// Lavin & Gray's matrices for F(M x M, K x K): V = Bt d Bt^T, U = G g G^T, Y = At M At^T.
template <int M, int K>
struct Matrices;

template <>
struct Matrices<2, 3> {
  static constexpr int kAlpha = 4;
  static constexpr float kBt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float kG[4][3] = {{1, 0, 0}, {0.5F, 0.5F, 0.5F}, {0.5F, -0.5F, 0.5F}, {0, 0, 1}};
  static constexpr float kAt[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Matrices<4, 3> {
  static constexpr int kAlpha = 6;
  static constexpr float kBt[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                      {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                      {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static constexpr float kG[6][3] = {{1.0F / 4, 0, 0},
                                     {-1.0F / 6, -1.0F / 6, -1.0F / 6},
                                     {-1.0F / 6, 1.0F / 6, -1.0F / 6},
                                     {1.0F / 24, 1.0F / 12, 1.0F / 6},
                                     {1.0F / 24, -1.0F / 12, 1.0F / 6},
                                     {0, 0, 1}};
  static constexpr float kAt[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
};

// F(2x2, 5x5): the same six points (0, 1, -1, 2, -2, infinity) as F(4x4, 3x3), so the same
// input transform; G evaluates the 5-tap kernel at them with F(4x4, 3x3)'s per-point scales, At
// a 2-output tile. (Checked exactly in rational arithmetic against direct correlation.)
template <>
struct Matrices<2, 5> {
  static constexpr int kAlpha = 6;
  static constexpr const float (&kBt)[6][6] = Matrices<4, 3>::kBt;
  static constexpr float kG[6][5] = {{1.0F / 4, 0, 0, 0, 0},
                                     {-1.0F / 6, -1.0F / 6, -1.0F / 6, -1.0F / 6, -1.0F / 6},
                                     {-1.0F / 6, 1.0F / 6, -1.0F / 6, 1.0F / 6, -1.0F / 6},
                                     {1.0F / 24, 1.0F / 12, 1.0F / 6, 1.0F / 3, 2.0F / 3},
                                     {1.0F / 24, -1.0F / 12, 1.0F / 6, -1.0F / 3, 2.0F / 3},
                                     {0, 0, 0, 0, 1}};
  static constexpr float kAt[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
};

// F(4x4, 2x2): points 0, 1, -1, -1/2 and infinity (of the point sets tried, the smallest float
// error against direct correlation in double: 1.6e-5 at most over 2000 random 5x5 tiles, against
// 4.4e-5 for F(4x4,3x3)); rows of Bt scaled to integers, G's rows by the inverse.
template <>
struct Matrices<4, 2> {
  static constexpr int kAlpha = 5;
  static constexpr float kBt[5][5] = {
      {-1, -2, 1, 2, 0}, {0, 1, 3, 2, 0}, {0, -1, -1, 2, 0}, {0, -1, 0, 1, 0}, {0, -1, -2, 1, 2}};
  static constexpr float kG[5][2] = {
      {-1, 0}, {1.0F / 6, 1.0F / 6}, {-0.5F, 0.5F}, {8.0F / 3, -4.0F / 3}, {0, 0.5F}};
  static constexpr float kAt[4][5] = {
      {1, 1, 1, 1, 0}, {0, 1, -1, -0.5F, 0}, {0, 1, 1, 0.25F, 0}, {0, 1, -1, -0.125F, 1}};
};

// Sum of coef(i) * term(i) over the non-zero coefficients. Called with compile-time matrices in
// fully unrolled loops, so zero terms vanish and +1/-1 need no multiply.
template <int N, typename Coef, typename Term>
inline Vec combine(const Coef& coef, const Term& term) {
  Vec acc{};
  bool started = false;
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const float c = coef(i);
    if (c == 0.0F) {
      continue;
    }
    if (started && c != 1.0F && c != -1.0F) {
      acc = multiply_add(c, term(i), acc);
    } else {
      const Vec t = c == 1.0F ? term(i) : (c == -1.0F ? -term(i) : c * term(i));
      acc = started ? acc + t : t;
    }
    started = true;
  }
  return acc;
}

// multiply_add (lanes.hpp) on floats too, for the compile-time check of the factored transforms.
using kernels::multiply_add;
constexpr float multiply_add(float a, float b, float c) {
  return a * b + c;
}

// o[r] = the sum over i < N of q(r, i) * in(i), for r < R.
template <int R, int N, typename Coef, typename In>
inline void apply_rows(const Coef& q, const In& in, Vec* o) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    o[r] = combine<N>([&](int i) { return q(r, i); }, in);
  }
}

// The one-dimensional transforms of a tile's row or column, value i given by in(i): the input
// transform o = Bt d, its adjoint o = Bt^T d (backward's input gradient), the output transform
// o = At m and its adjoint o = At^T g (backward's output gradient). Generic here: each output sums
// its non-zero terms in order (combine).
template <int M, int K>
struct GenericRowTransforms {
  using W = Matrices<M, K>;
  static constexpr int kA = W::kAlpha;
  template <typename In>
  static void input(const In& in, Vec* o) {
    apply_rows<kA, kA>([](int r, int i) { return W::kBt[r][i]; }, in, o);
  }
  template <typename In>
  static void input_adjoint(const In& in, Vec* o) {
    apply_rows<kA, kA>([](int r, int i) { return W::kBt[i][r]; }, in, o);
  }
  template <typename In>
  static void output(const In& in, Vec* o) {
    apply_rows<M, kA>([](int r, int i) { return W::kAt[r][i]; }, in, o);
  }
  template <typename In>
  static void output_adjoint(const In& in, Vec* o) {
    apply_rows<kA, M>([](int r, int i) { return W::kAt[i][r]; }, in, o);
  }
};

template <int M, int K>
struct RowTransforms : GenericRowTransforms<M, K> {};

// F(4x4, 3x3), the reference model's and most 3x3 layers' transform: the rows of Bt and At
// share sums and differences of their inputs (Lavin & Gray's factoring), 14 operations for
// Bt d instead of 22, 10 for At m instead of 14. Another rounding than the generic sums; both
// are checked against direct loops in double (test_winograd_kernel.cpp), and the factoring
// against the matrices at compile time (below). T is Vec, or float for that check.
template <>
struct RowTransforms<4, 3> {
  template <typename T, typename In>
  static constexpr void input(const In& in, T* o) {
    const T d0 = in(0), d1 = in(1), d2 = in(2), d3 = in(3), d4 = in(4), d5 = in(5);
    const T s12 = d1 + d2;
    const T s34 = d3 + d4;
    const T m12 = d1 - d2;
    const T m43 = d4 - d3;
    const T m31 = d3 - d1;
    const T m42 = d4 - d2;
    o[0] = multiply_add(4.0F, d0, multiply_add(-5.0F, d2, d4));
    o[1] = multiply_add(-4.0F, s12, s34);
    o[2] = multiply_add(4.0F, m12, m43);
    o[3] = multiply_add(2.0F, m31, m42);
    o[4] = multiply_add(-2.0F, m31, m42);
    o[5] = multiply_add(4.0F, d1, multiply_add(-5.0F, d3, d5));
  }
  template <typename T, typename In>
  static constexpr void input_adjoint(const In& in, T* o) {
    const T v0 = in(0), v1 = in(1), v2 = in(2), v3 = in(3), v4 = in(4), v5 = in(5);
    const T s12 = v1 + v2;
    const T s34 = v3 + v4;
    const T m21 = v2 - v1;
    const T m43 = v4 - v3;
    o[0] = 4.0F * v0;
    o[1] = multiply_add(4.0F, m21 + v5, 2.0F * m43);
    o[2] = multiply_add(-4.0F, s12, multiply_add(-5.0F, v0, -s34));
    o[3] = multiply_add(-5.0F, v5, multiply_add(-2.0F, m43, -m21));
    o[4] = v0 + s12 + s34;
    o[5] = v5;
  }
  template <typename T, typename In>
  static constexpr void output(const In& in, T* o) {
    const T d0 = in(0), d1 = in(1), d2 = in(2), d3 = in(3), d4 = in(4), d5 = in(5);
    const T s12 = d1 + d2;
    const T s34 = d3 + d4;
    const T m12 = d1 - d2;
    const T m34 = d3 - d4;
    o[0] = d0 + s12 + s34;
    o[1] = multiply_add(2.0F, m34, m12);
    o[2] = multiply_add(4.0F, s34, s12);
    o[3] = multiply_add(8.0F, m34, m12) + d5;
  }
  template <typename T, typename In>
  static constexpr void output_adjoint(const In& in, T* o) {
    const T g0 = in(0), g1 = in(1), g2 = in(2), g3 = in(3);
    const T s02 = g0 + g2;
    const T s13 = g1 + g3;
    const T e0 = multiply_add(4.0F, g2, g0);
    const T e1 = multiply_add(4.0F, g3, g1);
    o[0] = g0;
    o[1] = s02 + s13;
    o[2] = s02 - s13;
    o[3] = multiply_add(2.0F, e1, e0);
    o[4] = multiply_add(-2.0F, e1, e0);
    o[5] = g3;
  }
};

// F(2x2, 5x5) has F(4x4, 3x3)'s points, so its Bt and their factoring.
template <>
struct RowTransforms<2, 5> : GenericRowTransforms<2, 5> {
  template <typename T, typename In>
  static constexpr void input(const In& in, T* o) {
    RowTransforms<4, 3>::input(in, o);
  }
  template <typename T, typename In>
  static constexpr void input_adjoint(const In& in, T* o) {
    RowTransforms<4, 3>::input_adjoint(in, o);
  }
};

// The factored transforms applied to each unit vector give the matrices' columns.
template <int N, int R, typename Transform, typename Coef>
constexpr bool equals_matrix(const Transform& transform, const Coef& coef) {
  for (int i = 0; i < N; ++i) {
    float o[R] = {};
    transform([&](int k) { return k == i ? 1.0F : 0.0F; }, o);
    for (int r = 0; r < R; ++r) {
      if (o[r] != coef(r, i)) {
        return false;
      }
    }
  }
  return true;
}
using F43 = Matrices<4, 3>;
static_assert(equals_matrix<6, 6>([](const auto& in,
                                     float* o) { RowTransforms<4, 3>::input(in, o); },
                                  [](int r, int i) { return F43::kBt[r][i]; }));
static_assert(equals_matrix<6, 6>([](const auto& in,
                                     float* o) { RowTransforms<4, 3>::input_adjoint(in, o); },
                                  [](int r, int i) { return F43::kBt[i][r]; }));
static_assert(equals_matrix<6, 4>([](const auto& in,
                                     float* o) { RowTransforms<4, 3>::output(in, o); },
                                  [](int r, int i) { return F43::kAt[r][i]; }));
static_assert(equals_matrix<4, 6>([](const auto& in,
                                     float* o) { RowTransforms<4, 3>::output_adjoint(in, o); },
                                  [](int r, int i) { return F43::kAt[i][r]; }));
static_assert(equals_matrix<6, 6>([](const auto& in,
                                     float* o) { RowTransforms<2, 5>::input(in, o); },
                                  [](int r, int i) { return Matrices<2, 5>::kBt[r][i]; }));

// One dimension of a tile (its rows or its columns) as the transforms see it: kIn inputs to kIn
// Winograd-domain values, stored at points point(0..kIn-1) of the kA (= kAlpha) points per
// dimension, and kOut outputs back from them. A whole tile of F(M x M, K x K):
template <int M, int K>
struct FullDim {
  static constexpr int kIn = Matrices<M, K>::kAlpha;
  static constexpr int kOut = M;
  static constexpr int point(int i) { return i; }
  template <typename In>
  static void input(const In& in, Vec* o) {
    RowTransforms<M, K>::input(in, o);
  }
  template <typename In>
  static void output(const In& in, Vec* o) {
    RowTransforms<M, K>::output(in, o);
  }
  template <typename In>
  static void input_adjoint(const In& in, Vec* o) {
    RowTransforms<M, K>::input_adjoint(in, o);
  }
  template <typename In>
  static void output_adjoint(const In& in, Vec* o) {
    RowTransforms<M, K>::output_adjoint(in, o);
  }
};

// The last two outputs of a 3x3 convolution's row whose length leaves 1 or 2 past its 4-wide
// tiles (14 of the reference model's second layer), as F(2, 3) on F(4x4,3x3)'s points 0, 1, -1
// and infinity instead of a 6-point tile computing 4 outputs for 2: 4 points of 6, and a tile
// of 4 x 6 or 4 x 4 points instead of 6 x 6. F(4x4,3x3)'s G rows at those points are F(2x2,3x3)'s
// times 1/4, -1/3, -1/3 and 1, so the products read F(4x4,3x3)'s U there, and the input transform
// is F(2x2,3x3)'s Bt with its rows times 4, -3, -3 and 1 (At is F(2x2,3x3)'s). Exact in real
// arithmetic; test_winograd_kernel.cpp checks it against direct loops in double.
struct EdgeDim43 {
  static constexpr int kIn = 4;
  static constexpr int kOut = 2;
  static constexpr int point(int i) { return i == 3 ? 5 : i; }
  // T is Vec, or float for the compile-time checks below.
  template <typename In, typename T>
  static constexpr void input(const In& in, T* o) {
    const T d0 = in(0), d1 = in(1), d2 = in(2), d3 = in(3);
    o[0] = 4.0F * (d0 - d2);
    o[1] = -3.0F * (d1 + d2);
    o[2] = 3.0F * (d1 - d2);
    o[3] = d1 - d3;
  }
  template <typename In, typename T>
  static constexpr void output(const In& in, T* o) {
    const T m0 = in(0), m1 = in(1), m2 = in(2), m3 = in(3);
    o[0] = m0 + m1 + m2;
    o[1] = m1 - m2 - m3;
  }
  // The adjoints (backward): Bt^T and At^T of the two above.
  template <typename In, typename T>
  static constexpr void input_adjoint(const In& in, T* o) {
    const T v0 = in(0), v1 = in(1), v2 = in(2), v3 = in(3);
    o[0] = 4.0F * v0;
    o[1] = multiply_add(3.0F, v2 - v1, v3);
    o[2] = multiply_add(-3.0F, v1 + v2, -4.0F * v0);
    o[3] = -v3;
  }
  template <typename In, typename T>
  static constexpr void output_adjoint(const In& in, T* o) {
    const T g0 = in(0), g1 = in(1);
    o[0] = g0;
    o[1] = g0 + g1;
    o[2] = g0 - g1;
    o[3] = -g1;
  }
};
// The adjoints are the transposes: entry (r, i) of each is entry (i, r) of its transform, the
// transform's output i for the unit input r.
template <typename Transform>
constexpr float unit_response(const Transform& transform, int r, int i) {
  float o[4] = {};
  transform([&](int k) { return k == r ? 1.0F : 0.0F; }, o);
  return o[i];
}
static_assert(equals_matrix<4, 4>([](const auto& in, float* o) { EdgeDim43::input_adjoint(in, o); },
                                  [](int r, int i) {
                                    return unit_response(
                                        [](const auto& in, float* o) { EdgeDim43::input(in, o); },
                                        r, i);
                                  }));
static_assert(equals_matrix<2, 4>(
    [](const auto& in, float* o) { EdgeDim43::output_adjoint(in, o); },
    [](int r, int i) {
      return unit_response([](const auto& in, float* o) { EdgeDim43::output(in, o); }, r, i);
    }));

// out = Q in Q^T for Q (R x K) given by q(r, i): `in` is K x K, `out` R x R. Called with the
// constant matrices below, so the unrolled loops see every coefficient.
template <int R, int K, typename Coef>
inline void sandwich(const Coef& q, const Vec* __restrict in, Vec* __restrict out) {
  Vec down[K][R];  // down[j][r]: Q's row r applied to column j of `in`
#pragma GCC unroll 8
  for (int j = 0; j < K; ++j) {
    apply_rows<R, K>(
        q, [&](int i) { return in[i * K + j]; }, down[j]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    apply_rows<R, K>(
        q, [&](int j) { return down[j][r]; }, out + r * R);
  }
}

// out = P in P^T for P (R x K).
template <int R, int K, const float (&P)[R][K]>
inline void sandwich(const Vec* __restrict in, Vec* __restrict out) {
  sandwich<R, K>([](int r, int i) { return P[r][i]; }, in, out);
}

// out = P^T in P for P (K x R): the adjoint of sandwich.
template <int K, int R, const float (&P)[K][R]>
inline void sandwich_t(const Vec* __restrict in, Vec* __restrict out) {
  sandwich<R, K>([](int r, int i) { return P[i][r]; }, in, out);
}

// The products of one chunk (U*V forward, the output gradient's transform backward) live only
// while its task runs, in the thread's scratch (thread_scratch.hpp), kept in its core's cache,
// instead of a batch-sized buffer (+3-4% training and inference speed, 51 MB less at batch 256).
// Forward puts the transformed input in the second slot unless training keeps it for backward
// (Tiling::keeps_inputs).
constexpr ScratchSlot kProducts = ScratchSlot::kFirst;
constexpr ScratchSlot kInputs = ScratchSlot::kSecond;
// Backward's V of a chunk when forward did not keep it (Tiling::keeps_inputs).
constexpr ScratchSlot kRebuiltInputs = ScratchSlot::kThird;

// Output tiles per task when one chunk's tiles are spread over the threads (forward).
constexpr std::size_t kSpreadTilesPerTask = 4;

// Floats of one point's block of the kernel transform's staging buffer (Winograd::
// transform_kernel_as): 1 KB, 36 KB for a 6x6 tile's points.
constexpr long kKernelBlockFloats = 256;

// Floats of padding after each point's block of V (Winograd::v_stride).
constexpr long kPointPad = 16;

// Tile bookkeeping for one geometry and tile size.
struct Tiling {
  long points;  // alpha^2 = (tile + k - 1)^2
  long tiles_h, tiles_w, per_sample;
  long samples_per_chunk;  // images: a multiple of a sample's phase images

  // g is the convolution of one image (Layout::g), `phases` the images per sample.
  Tiling(const Conv2DGeometry& g, long tile, long phases = 1)
      : points((tile + g.k_h - 1) * (tile + g.k_h - 1)),
        tiles_h((g.out_h + tile - 1) / tile),
        tiles_w((g.out_w + tile - 1) / tile),
        per_sample(tiles_h * tiles_w),
        samples_per_chunk(1) {
    // Enough tiles per chunk for the GEMMs to run near full speed; a power of two so that
    // usual batch sizes split evenly. Depends on the geometry only, never on threads.
    while (samples_per_chunk * per_sample < min_tiles(points) && samples_per_chunk < 64) {
      samples_per_chunk *= 2;
    }
    // Whole samples per chunk: their outputs are one span of the tensor (Winograd::span).
    samples_per_chunk = (samples_per_chunk + phases - 1) / phases * phases;
  }
  // 36-point tiles (F(4x4,3x3), F(2x2,5x5)) carry 2.25x the points of F(2x2,3x3) ones; 64 of them
  // keep more chunks for the threads on small images (ResNet's 7x7 stage: 1.35 against 1.99 ms per
  // step at 128, and 2.4 ms against 3.0 for a 14x14 one; runner_bench --profile, 2 threads, batch
  // 32).
  static long min_tiles(long points) { return points == 16 ? 128 : 64; }
  // Floats of a full chunk's V: each point's block of its tiles' channels, then kPointPad.
  [[nodiscard]] long v_floats_per_chunk(long channels) const {
    return points * (samples_per_chunk * per_sample * channels + kPointPad);
  }
  [[nodiscard]] std::size_t chunks(long batch) const {
    return chunk_count(static_cast<std::size_t>(batch),
                       static_cast<std::size_t>(samples_per_chunk));
  }
  // Backward's chunks per weight-gradient group: the chunks of a group run on one task, in
  // order, into one partial gradient (`partial` floats: points * in_c * out_c), and the partials
  // are then summed. Two when a partial passes kMaxPartialFloats (the wide model's 128 -> 256 layer
  // had eight partials of 4.7 MB per step at batch 32). Then doubled while the step's partials
  // together pass kMaxPartialsFloats and at least kMinGroups groups remain for the threads: a
  // 5x5 layer of 64 -> 64 filters on 16x16 at batch 64 wrote and summed 64 partials of 0.6 MB
  // (backward 12.3 -> 10.2-10.5 ms in 4 groups), ResNet's 14x14x64 -> 64 eight (1.55-1.60 ->
  // 1.33-1.42 ms in 4), the reference's second layer eight of 0.3 MB (0.76 -> 0.67-0.70 ms in
  // 4; runner_layer_bench, 2 threads, batch 32). From the geometry and the batch, never the
  // thread count.
  static constexpr long kMaxPartialFloats = 256 * 1024;
  static constexpr long kMaxPartialsFloats = 512 * 1024;
  static constexpr std::size_t kMinGroups = 4;
  [[nodiscard]] static std::size_t chunks_per_group(long partial, std::size_t chunks) {
    std::size_t per_group = partial > kMaxPartialFloats ? 2 : 1;
    while (2 * per_group * kMinGroups <= chunks &&
           static_cast<long>(chunk_count(chunks, per_group)) * partial > kMaxPartialsFloats) {
      per_group *= 2;
    }
    return per_group;
  }
  // The most groups any batch of up to `chunks` chunks takes (the partials' workspace).
  [[nodiscard]] static std::size_t most_groups(long partial, std::size_t chunks) {
    std::size_t most = 0;
    for (std::size_t c = 1; c <= chunks; ++c) {
      most = std::max(most, chunk_count(c, chunks_per_group(partial, c)));
    }
    return most;
  }
  // Whether training keeps the batch's V from forward for backward (else backward transforms
  // x again, a chunk at a time, into its thread's scratch; the values are the same bits). Kept
  // only while it fits the cores' L2: ResNet's 28x28x32 layers wrote 7.2 MB of V per layer and
  // step, which cost their forward more than the transform costs backward (s1_conv1 at 2
  // threads: forward 2.0-2.9 -> 1.4-2.0 ms, backward unchanged). The reference model's 2.4 MB,
  // recomputed, cost its backward 0.1 ms and gave forward nothing. The limit was 4 MB until
  // ResNet's 14x14x32 -> 64 layer (2.4 MB) showed the same as the 28x28 ones: inside a step
  // whose tensors outgrow the L3, forward wrote V to lines fetched from memory (its input
  // transform 0.10 ms per chunk against 0.03 into a thread's scratch) and backward read it
  // back from there; recomputed, that layer took 0.54 / 1.21 ms (forward / backward) against
  // 0.67 / 1.35 (runner_bench --profile, six alternating pairs). Now the cores' L2, 2 MB.
  static constexpr long kMaxKeptInputFloats = 512 * 1024;
  [[nodiscard]] bool keeps_inputs(const Conv2DGeometry& g, long batch) const {
    return static_cast<long>(chunks(batch)) * v_floats_per_chunk(g.in_c) <= kMaxKeptInputFloats;
  }
};

// A convolution as the kernels below run it: g undilated, on images that are the samples
// themselves or, dilated, their phase images (conv2d_phases.hpp), each read and written where it
// lies in the tensors.
struct Layout {
  Conv2DGeometry g;
  PhaseImages in, out;
  [[nodiscard]] long phases() const { return in.per_sample(); }
};

Layout layout_of(const Conv2DGeometry& g) {
  return {phases_apply(g) ? phase_geometry(g) : g, input_images(g), output_images(g)};
}

// Where the backward pass's output gradient (delta) comes from: dy, masked where relu_y <= 0
// unless relu_y is null (ReLU's derivative, fused here). With Pooling::kMax2x2, dy and relu_y
// are the pooled tensors and `winners` what forward recorded: delta is what the pooling layer's
// scatter and the activation's derivative give. With `normalization` (Pooling::kNone), dy is
// the normalization's output gradient: delta is its input gradient at y (Conv2DBackward).
struct OutputGradient {
  const float* dy = nullptr;
  const float* relu_y = nullptr;
  Pooling pooling = Pooling::kNone;
  const float* winners = nullptr;
  const BatchNormInputGradient* normalization = nullptr;
  const float* y = nullptr;
};

// transform_output_gradient's variants: delta read as it is, or a normalization's input
// gradient without or with its fused ReLU.
constexpr int kNoNormalization = 0;
constexpr int kNormalization = 1;
constexpr int kNormalizationRelu = 2;

// One chunk of images: [n0, n0 + count), `tiles` = count * per_sample (Tiling's).
struct Chunk {
  long n0, count, tiles;
};

// Tile rows [th0, th1) by tile columns [tw0, tw1) of every image: all of its tiles, or one
// class of them (Winograd::for_each_tile_class).
struct TileRange {
  long th0, th1, tw0, tw1;
  [[nodiscard]] long per_sample() const { return (th1 - th0) * (tw1 - tw0); }
};

// Tile `first` of a chunk's tiles in `range` as (sample n, tile row th, tile column tw), then
// the tiles after it in order (next()).
struct TileCursor {
  long n, th, tw;
  TileRange range;
  TileCursor(const Chunk& c, const TileRange& r, long first)
      : n(c.n0 + first / r.per_sample()),
        th(r.th0 + first % r.per_sample() / (r.tw1 - r.tw0)),
        tw(r.tw0 + first % (r.tw1 - r.tw0)),
        range(r) {}
  void next() {
    if (++tw == range.tw1) {
      tw = range.tw0;
      if (++th == range.th1) {
        th = range.th0;
        ++n;
      }
    }
  }
};

// The points of a tile whose rows and columns are RowDim and ColDim (Winograd::
// transform_input_tile), of kA per dimension, in the order its products are computed.
template <int kA, typename RowDim, typename ColDim>
constexpr std::array<int, RowDim::kIn * ColDim::kIn> class_points() {
  std::array<int, RowDim::kIn * ColDim::kIn> points{};
  for (int i = 0; i < RowDim::kIn; ++i) {
    for (int j = 0; j < ColDim::kIn; ++j) {
      points[i * ColDim::kIn + j] = RowDim::point(i) * kA + ColDim::point(j);
    }
  }
  return points;
}

template <int M, int K>
class Winograd {
  using W = Matrices<M, K>;
  using Rows = RowTransforms<M, K>;
  static constexpr int kA = W::kAlpha;

 public:
  Winograd(const Layout& layout, const Tiling& t)
      : g_(layout.g), in_(layout.in), out_(layout.out), t_(t) {}

  // U[xi][ci][co] from the Keras kernel w[ky][kx][ci][co] and, when ut is not null, its
  // transpose Ut[xi][co][ci] (the right operand of backward's dV = dP U^T), each transformed
  // from w: the same operations per element, so Ut is U transposed bit for bit.
  void transform_kernel(const float* w, float* u, float* ut) const {
    transform_kernel_as<false>(w, u);
    if (ut != nullptr) {
      transform_kernel_as<true>(w, ut);
    }
  }

  // dst[xi][r][c] = (G g G^T)[xi] for the kernel g of channels (ci, co) = (r, c), or (c, r) when
  // kTransposed. A block of rows and columns at a time: its kernels are gathered into `taps`,
  // transformed into `stage` a point after another, and each point's block written out as whole
  // rows. Storing each transformed vector straight to its point put 36 stores 16 KB apart (64
  // channels in and out), all in one L1 set; perf annotate put the transform's hottest samples
  // on those stores, and the transform with U's separate transpose took 18% of a 7x7x64 -> 64
  // convolution's samples (runner_layer_bench, perf).
  template <bool kTransposed>
  void transform_kernel_as(const float* w, float* dst) const {
    const long ci_count = g_.in_c;
    const long co_count = g_.out_c;
    const long rows = kTransposed ? co_count : ci_count;
    const long cols = kTransposed ? ci_count : co_count;
    const long col_block = std::min(cols, kKernelBlockFloats);
    const long row_block = kKernelBlockFloats / col_block;
    const long col_blocks = (cols + col_block - 1) / col_block;
    const auto blocks = static_cast<std::size_t>((rows + row_block - 1) / row_block * col_blocks);
    parallel_for(0, blocks, 1, [&](std::size_t first, std::size_t last) {
      alignas(64) float taps[K * K][kKernelBlockFloats];
      alignas(64) float stage[kA * kA][kKernelBlockFloats];
      Vec in[K * K];
      Vec out[kA * kA];
      for (auto index = static_cast<long>(first); index < static_cast<long>(last); ++index) {
        const long r0 = index / col_blocks * row_block;
        const long c0 = index % col_blocks * col_block;
        const long row_count = std::min(row_block, rows - r0);
        const long col_count = std::min(col_block, cols - c0);
        for (int k = 0; k < K * K; ++k) {
          for (long r = 0; r < row_count; ++r) {
            for (long c = 0; c < col_count; ++c) {
              const long ci = kTransposed ? c0 + c : r0 + r;
              const long co = kTransposed ? r0 + r : c0 + c;
              taps[k][r * col_count + c] = w[(k * ci_count + ci) * co_count + co];
            }
          }
        }
        // Element-wise, so the block is transformed as one run of floats.
        const long count = row_count * col_count;
        for (long at = 0; at < count; at += kLanes) {
          const int lanes = static_cast<int>(std::min<long>(kLanes, count - at));
          for (int k = 0; k < K * K; ++k) {
            in[k] = load_lanes(taps[k] + at, lanes);
          }
          sandwich<kA, K, W::kG>(in, out);
          for (int p = 0; p < kA * kA; ++p) {
            store_lanes(out[p], lanes, stage[p] + at);
          }
        }
        // Whole rows (the usual case, at most 256 columns) make each point's block one run:
        // a copy per point, not per row (a 64 x 64 kernel's 288 copies of 256 bytes per block
        // were 7% of a 7x7x64 -> 64 convolution's samples, perf).
        const bool whole_rows = col_count == cols;
        for (int p = 0; p < kA * kA; ++p) {
          float* to = dst + (p * rows + r0) * cols + c0;
          if (whole_rows) {
            std::copy_n(stage[p], count, to);
            continue;
          }
          for (long r = 0; r < row_count; ++r) {
            std::copy_n(stage[p] + r * col_count, col_count, to + r * cols);
          }
        }
      }
    });
  }

  // dw[ky][kx][ci][co] += G^T dU G for the summed Winograd-domain gradient dU.
  void add_kernel_gradient(const float* du, float* dw) const {
    const long ci_count = g_.in_c;
    const long co_count = g_.out_c;
    parallel_for(0, static_cast<std::size_t>(ci_count), 8,
                 [&](std::size_t first, std::size_t last) {
                   Vec in[kA * kA];
                   Vec out[K * K];
                   for (auto ci = static_cast<long>(first); ci < static_cast<long>(last); ++ci) {
                     for (long co = 0; co < co_count; co += kLanes) {
                       const int lanes = static_cast<int>(std::min<long>(kLanes, co_count - co));
                       for (int p = 0; p < kA * kA; ++p) {
                         in[p] = load_lanes(du + (p * ci_count + ci) * co_count + co, lanes);
                       }
                       sandwich_t<kA, K, W::kG>(in, out);
                       for (int k = 0; k < K * K; ++k) {
                         add_lanes(out[k], lanes, dw + (k * ci_count + ci) * co_count + co);
                       }
                     }
                   }
                 });
  }

  // down[j] = transform(column j of a tile's Winograd-domain values at pt), each value loaded
  // where the transform reads it: for the tile's ColDim::kIn columns, its RowDim::kIn values.
  template <bool kFull, int kOut, typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>,
            typename Stride, typename Transform>
  static void transform_columns(const float* pt, Stride point_stride, int lanes,
                                const Transform& transform, Vec (&down)[ColDim::kIn][kOut]) {
#pragma GCC unroll 8
    for (int j = 0; j < ColDim::kIn; ++j) {
      transform(
          [&](int i) {
            return load_block<kFull>(pt + (RowDim::point(i) * kA + ColDim::point(j)) * point_stride,
                                     lanes);
          },
          down[j]);
    }
  }

  // Row `row_point` of a tile's Winograd-domain values at pt: transform across (value j from
  // across(j)), stored to its ColDim::kIn points.
  template <bool kFull, typename ColDim = FullDim<M, K>, typename Stride, typename Transform,
            typename Across>
  static void store_point_row(const Transform& transform, const Across& across, int row_point,
                              float* pt, Stride point_stride, int lanes) {
    Vec out[ColDim::kIn];
    transform(across, out);
#pragma GCC unroll 8
    for (int s = 0; s < ColDim::kIn; ++s) {
      store_block<kFull>(out[s], lanes, pt + (row_point * kA + ColDim::point(s)) * point_stride);
    }
  }

  // The four transforms below run per 16-channel block (full blocks with plain vector moves, see
  // for_each_channel_block) and read every size into locals first. Each is two passes of
  // RowTransforms, down the tile's columns, then across its rows; values of the Winograd domain
  // ([point][tile][channel]: point xi at pt + xi * point_stride) are read or written where the
  // passes need them. (Loading a tile's kA * kA values first kept them all live, more than the
  // registers: a third of the input gradient's time went to the stack.)

  // V[xi][t][c] for the chunk's tiles (v points at the chunk's block). The channel blocks are
  // the innermost loop: each tile writes all its channels of a point at once, whole cache lines.
  // (With the blocks outermost, every line of V was written a block at a time, a chunk apart;
  // V's points lie a multiple of 4 KB apart, so the 36 lines of a tile competed for one L1 set
  // and were fetched again for every block: the transform took as long as the products on an
  // AVX2 host.)
  void transform_input(const Chunk& c, const float* x, float* v) const {
    transform_input_range(c, all_tiles(), x, v, v_stride(c));
  }

  // The same for the chunk's tiles in `range`, in TileCursor's order from v (their points
  // point_stride floats apart), RowDim and ColDim as transform_input_tile's.
  template <typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>>
  void transform_input_range(const Chunk& c, const TileRange& range, const float* x, float* v,
                             long point_stride) const {
    float* vt = v;
    for (long n = c.n0; n < c.n0 + c.count; ++n) {
      const PhaseImages::Image image = in_.image(n);
      for (long th = range.th0; th < range.th1; ++th) {
        for (long tw = range.tw0; tw < range.tw1; ++tw, vt += g_.in_c) {
          for_each_channel_block(g_.in_c, [&](auto full, long c0, int lanes) {
            transform_input_tile<decltype(full)::value, RowDim, ColDim>(x, image, th, tw, vt,
                                                                        point_stride, c0, lanes);
          });
        }
      }
    }
  }

  // One tile's channel block [c0, c0 + lanes) into V (the tile's values of point 0 at vt). A
  // tile inside the image goes a row of V at a time: row r of Bt down each input column (its
  // loads straight from x), then across. That keeps a dozen values live; all kA columns
  // transformed first (kA * kA values, and tiles side by side sharing kA - M of them) outgrew the
  // registers, and a quarter of the transform's time went to the stack. Each output is the same
  // sum either way, so tiles on the padding, which transform whole columns with zeros for the
  // padding, round the same. RowDim and ColDim: the tile's rows and columns (FullDim, or
  // EdgeDim43 for a last tile of two outputs).
  template <bool kFull, typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>>
  void transform_input_tile(const float* x, const PhaseImages::Image& image, long th, long tw,
                            float* vt, long point_stride, long c0, int lanes) const {
    constexpr int kRows = RowDim::kIn;
    constexpr int kCols = ColDim::kIn;
    const long in_h = image.rows;
    const long in_w = image.cols;
    const long row_stride = in_.row_stride();
    const long col_stride = in_.col_stride();
    const float* xn = x + image.origin + c0;
    const float* rows[kRows];
    const long left = tw * M - g_.pad_left;
    bool inside = left >= 0 && left + kCols <= in_w;
#pragma GCC unroll 8
    for (int a = 0; a < kRows; ++a) {
      const long ih = th * M - g_.pad_top + a;
      rows[a] = ih >= 0 && ih < in_h ? xn + ih * row_stride : nullptr;
      inside = inside && rows[a] != nullptr;
    }
    float* vc = vt + c0;
    auto store_row = [&](int r, const Vec* down) {
      store_point_row<kFull, ColDim>([](const auto& in, Vec* o) { ColDim::input(in, o); },
                                     [&](int j) { return down[j]; }, RowDim::point(r), vc,
                                     point_stride, lanes);
    };
    if (inside) {
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        // Only row r of each column's transform is kept; the compiler drops the others.
        Vec down[kCols];
#pragma GCC unroll 8
        for (int j = 0; j < kCols; ++j) {
          Vec column[kRows];
          RowDim::input(
              [&](int a) { return load_block<kFull>(rows[a] + (left + j) * col_stride, lanes); },
              column);
          down[j] = column[r];
        }
        store_row(r, down);
      }
      return;
    }
    // columns[r][j]: row r of Bt applied to input column j of the tile.
    Vec columns[kRows][kCols];
#pragma GCC unroll 8
    for (int j = 0; j < kCols; ++j) {
      const bool column_inside = left + j >= 0 && left + j < in_w;
      Vec column[kRows];
      RowDim::input(
          [&](int a) {
            return rows[a] != nullptr && column_inside
                       ? load_block<kFull>(rows[a] + (left + j) * col_stride, lanes)
                       : Vec{};
          },
          column);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        columns[r][j] = column[r];
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      store_row(r, columns[r]);
    }
  }

  // y for tiles [first, first + count) of the chunk from their products P[xi][t][co], the
  // point xi's block `point_stride` floats after xi - 1's; adds the bias unless null and
  // applies ReLU when `relu` (other activations are applied by the caller afterwards). With
  // Pooling::kMax2x2, y is the pooled tensor and gets each 2x2 block's maximum (M is even, so
  // the blocks are the pooling windows; blocks past the pooled edge are dropped), and `winners`
  // unless null which output of the block won.
  // The tiles are the chunk's tiles in `range`, in TileCursor's order: all_tiles(), or a class
  // of for_each_tile_class with its RowDim and ColDim (as transform_input_tile's).
  template <typename Stride, typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>>
  void transform_output(const Chunk& c, long first, long count, const float* prod,
                        Stride point_stride, const float* bias, bool relu, Pooling pooling,
                        float* y, float* winners, TileRange range) const {
    // Tile `first` is (n, th, tw); the loop steps through the following ones in order. The
    // channel blocks are inside (as in transform_input): a tile reads its products' cache lines
    // once, not once per block.
    TileCursor tile(c, range, first);
    for (long i = 0; i < count; ++i, tile.next()) {
      const float* pt = prod + i * g_.out_c;
      const PhaseImages::Image image = out_.image(tile.n);
      for_each_channel_block(g_.out_c, [&](auto full, long c0, int lanes) {
        transform_output_tile<decltype(full)::value, Stride, RowDim, ColDim>(
            tile, image, pt + c0, point_stride, bias, relu, pooling, y, winners, c0, lanes);
      });
    }
  }

  // One tile's channel block [c0, c0 + lanes), its products at pt (point xi's at
  // pt + xi * point_stride). At down each column of products (read from memory as the
  // transform needs them), then across two output rows at a time (a row of pooling windows).
  // Loading the tile's kA * kA products first kept them all live, more than the registers
  // (AVX2 has 16), and the transform ran on values spilled to the stack. RowDim and ColDim as
  // transform_input_tile's.
  template <bool kFull, typename Stride, typename RowDim = FullDim<M, K>,
            typename ColDim = FullDim<M, K>>
  void transform_output_tile(const TileCursor& tile, const PhaseImages::Image& image,
                             const float* pt, Stride point_stride, const float* bias, bool relu,
                             Pooling pooling, float* y, float* winners, long c0, int lanes) const {
    constexpr int kRows = RowDim::kOut;
    constexpr int kCols = ColDim::kOut;
    static_assert(kRows % 2 == 0 && kCols % 2 == 0, "output rows go in pairs");
    const long out_h = image.rows;
    const long out_w = image.cols;
    const long row_stride = out_.row_stride();
    const long col_stride = out_.col_stride();
    const long n = tile.n;
    const long th = tile.th;
    const long tw = tile.tw;
    const Vec b = bias != nullptr ? load_block<kFull>(bias + c0, lanes) : Vec{};
    // down[j][r]: row r of At applied to column j of the products.
    Vec down[ColDim::kIn][kRows];
    transform_columns<kFull, kRows, RowDim, ColDim>(
        pt, point_stride, lanes, [](const auto& in, Vec* o) { RowDim::output(in, o); }, down);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; r += 2) {
      Vec out[2][kCols];
#pragma GCC unroll 2
      for (int q = 0; q < 2; ++q) {
        ColDim::output([&](int j) { return down[j][r + q]; }, out[q]);
#pragma GCC unroll 8
        for (Vec& value : out[q]) {
          if (bias != nullptr) {
            value += b;
          }
          value = relu ? relu_lanes(value) : value;
        }
      }
      if (pooling == Pooling::kMax2x2) {
        for_each_window_in_row<kCols>(n, th, tw, c0, r, [&](int s, long at) {
          const PooledLanes pooled =
              max_pool_window(out[0][s], out[0][s + 1], out[1][s], out[1][s + 1]);
          store_block<kFull>(pooled.max, lanes, y + at);
          if (winners != nullptr) {
            store_block<kFull>(pooled.winner, lanes, winners + at);
          }
        });
        continue;
      }
#pragma GCC unroll 2
      for (int q = 0; q < 2; ++q) {
#pragma GCC unroll 8
        for (int s = 0; s < kCols; ++s) {
          const long oh = th * M + r + q;
          const long ow = tw * M + s;
          if (oh < out_h && ow < out_w) {
            store_block<kFull>(out[q][s], lanes,
                               y + image.origin + oh * row_stride + ow * col_stride + c0);
          }
        }
      }
    }
  }

  // dP[xi][t][co] = At^T delta At for the chunk's tiles (outputs past the edge count as 0),
  // delta from `src` (OutputGradient). Adds delta's column sums (the bias gradient) to
  // bias_sums unless null. `range`, RowDim and ColDim as transform_output's.
  template <typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>>
  void transform_output_gradient(const Chunk& c, long first, long count, const OutputGradient& src,
                                 float* bias_sums, float* dprod, long point_stride,
                                 TileRange range) const {
    for_each_channel_block(g_.out_c, [&](auto full, long c0, int lanes) {
      constexpr bool kFull = decltype(full)::value;
      const BatchNormInputGradient* norm = src.normalization;
      if (norm == nullptr) {
        transform_output_gradient_block<kFull, kNoNormalization, RowDim, ColDim>(
            c, first, count, src, bias_sums, dprod, point_stride, c0, lanes, range);
      } else if (norm->relu_scale == nullptr) {
        transform_output_gradient_block<kFull, kNormalization, RowDim, ColDim>(
            c, first, count, src, bias_sums, dprod, point_stride, c0, lanes, range);
      } else {
        transform_output_gradient_block<kFull, kNormalizationRelu, RowDim, ColDim>(
            c, first, count, src, bias_sums, dprod, point_stride, c0, lanes, range);
      }
    });
  }

  template <bool kFull, int kNorm, typename RowDim, typename ColDim>
  void transform_output_gradient_block(const Chunk& c, long first, long count,
                                       const OutputGradient& src, float* bias_sums, float* dprod,
                                       long point_stride, long c0, int lanes,
                                       TileRange range) const {
    constexpr int kRows = RowDim::kOut;
    constexpr int kCols = ColDim::kOut;
    const long channels = g_.out_c;
    const long row_stride = out_.row_stride();
    const long col_stride = out_.col_stride();
    const float* dy = src.dy;
    const float* relu_y = src.relu_y;
    const float* winners = src.winners;
    const Pooling pooling = src.pooling;
    const bool relu = relu_y != nullptr;
    // The normalization's per-channel coefficients for this block (unused without one).
    BatchNormGradientLanes<Vec> k{};
    if constexpr (kNorm != kNoNormalization) {
      const BatchNormInputGradient& norm = *src.normalization;
      dy = norm.dy;
      k = load_gradient_lanes<kFull, kNorm == kNormalizationRelu>(norm, c0, lanes);
    }
    Vec sums = bias_sums != nullptr ? load_block<kFull>(bias_sums + c0, lanes) : Vec{};
    float* pt = dprod + c0;
    TileCursor tile(c, range, first);
    for (long i = 0; i < count; ++i, tile.next(), pt += channels) {
      const long n = tile.n;
      const long th = tile.th;
      const long tw = tile.tw;
      const PhaseImages::Image image = out_.image(n);
      const long out_h = image.rows;
      const long out_w = image.cols;
      Vec in[kRows * kCols] = {};
      if (pooling == Pooling::kMax2x2) {
        for_each_window<kRows, kCols>(n, th, tw, c0, [&](int r, int s, long at) {
          const Vec dpool = load_block<kFull>(dy + at, lanes);
          const Vec pooled = relu ? load_block<kFull>(relu_y + at, lanes) : Vec{};
          const Vec winner = load_block<kFull>(winners + at, lanes);
          in[r * kCols + s] = unpool_window_gradient(dpool, pooled, winner, 0, relu);
          in[r * kCols + s + 1] = unpool_window_gradient(dpool, pooled, winner, 1, relu);
          in[(r + 1) * kCols + s] = unpool_window_gradient(dpool, pooled, winner, 2, relu);
          in[(r + 1) * kCols + s + 1] = unpool_window_gradient(dpool, pooled, winner, 3, relu);
        });
      }
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (int s = 0; s < kCols; ++s) {
          const long oh = th * M + r;
          const long ow = tw * M + s;
          if (oh >= out_h || ow >= out_w) {
            continue;
          }
          if (pooling == Pooling::kNone) {
            const long at = image.origin + oh * row_stride + ow * col_stride + c0;
            Vec d = load_block<kFull>(dy + at, lanes);
            if constexpr (kNorm != kNoNormalization) {
              // y is the normalization's input.
              const Vec x = load_block<kFull>(src.y + at, lanes);
              d = batch_norm_input_gradient<kNorm == kNormalizationRelu>(d, x, k);
            }
            if (relu) {
              d = load_block<kFull>(relu_y + at, lanes) > 0.0F ? d : Vec{};
            }
            in[r * kCols + s] = d;
          }
          sums += in[r * kCols + s];
        }
      }
      // At^T delta At: At^T down each column of delta, then across each row, into the points.
      Vec down[kCols][RowDim::kIn];
#pragma GCC unroll 8
      for (int j = 0; j < kCols; ++j) {
        RowDim::output_adjoint([&](int i_row) { return in[i_row * kCols + j]; }, down[j]);
      }
#pragma GCC unroll 8
      for (int r = 0; r < RowDim::kIn; ++r) {
        store_point_row<kFull, ColDim>(
            [](const auto& row, Vec* o) { ColDim::output_adjoint(row, o); },
            [&](int j) { return down[j][r]; }, RowDim::point(r), pt, point_stride, lanes);
      }
    }
    if (bias_sums != nullptr) {
      store_block<kFull>(sums, lanes, bias_sums + c0);
    }
  }

  // Calls fn(r, s, at) for each 2x2 pooling window inside tile (th, tw) of sample n that the
  // pooled tensor keeps: (r, s) is its top-left output within the tile, `at` the offset of its
  // pooled value for channel c0.
  template <int kRows = M, int kCols = M, typename Fn>
  void for_each_window(long n, long th, long tw, long c0, const Fn& fn) const {
#pragma GCC unroll 8
    for (int r = 0; r < kRows; r += 2) {
      for_each_window_in_row<kCols>(n, th, tw, c0, r, [&](int s, long at) { fn(r, s, at); });
    }
  }

  // The same for the windows whose top row is the tile's output row r (even): fn(s, at), for the
  // tile's first kCols columns.
  template <int kCols = M, typename Fn>
  void for_each_window_in_row(long n, long th, long tw, long c0, int r, const Fn& fn) const {
    const long pooled_h = g_.out_h / 2;
    const long pooled_w = g_.out_w / 2;
    const long ph = (th * M + r) / 2;
    if (ph >= pooled_h) {
      return;
    }
#pragma GCC unroll 8
    for (int s = 0; s < kCols; s += 2) {
      const long pw = (tw * M + s) / 2;
      if (pw < pooled_w) {
        fn(s, ((n * pooled_h + ph) * pooled_w + pw) * g_.out_c + c0);
      }
    }
  }

  // dx for tiles [first, first + count) of the chunk from their dV[xi][t][ci] (point xi's block
  // `point_stride` floats after xi - 1's): Bt^T dV Bt summed over overlapping tiles. The chunk's
  // tiles come in order (image, tile row, tile column), so a value is first reached by the tile
  // whose first kA - M rows and columns do not overlap the tile above or to the left: that tile
  // stores it (plus 0, which makes -0 the +0 that 0 + -0 gave) and later ones add to it. Every
  // input of an image is some tile's (the tiles cover the output, padding only shrinks the input),
  // so dx needs no zeroing pass first (3.2 MB per 28x28x32 layer at batch 32).
  // `range`, RowDim and ColDim as transform_output's; the classes of for_each_tile_class, one
  // after another, keep that order for each value.
  template <typename Stride, typename RowDim = FullDim<M, K>, typename ColDim = FullDim<M, K>>
  void add_input_gradient(const Chunk& c, long first, long count, const float* dv,
                          Stride point_stride, float* dx, TileRange range) const {
    for_each_channel_block(g_.in_c, [&](auto full, long c0, int lanes) {
      add_input_gradient_block<decltype(full)::value, Stride, RowDim, ColDim>(
          c, first, count, dv, point_stride, dx, c0, lanes, range);
    });
  }

  template <bool kFull, typename Stride, typename RowDim, typename ColDim>
  void add_input_gradient_block(const Chunk& c, long first, long count, const float* dv,
                                Stride point_stride, float* dx, long c0, int lanes,
                                TileRange range) const {
    constexpr int kRows = RowDim::kIn;
    constexpr int kCols = ColDim::kIn;
    const long channels = g_.in_c;
    const long pad_top = g_.pad_top;
    const long pad_left = g_.pad_left;
    const long row_stride = in_.row_stride();
    const long col_stride = in_.col_stride();
    const float* pt = dv + c0;
    TileCursor tile(c, range, first);
    for (long i = 0; i < count; ++i, tile.next(), pt += channels) {
      const PhaseImages::Image image = in_.image(tile.n);
      const long in_h = image.rows;
      const long in_w = image.cols;
      const long th = tile.th;
      const long tw = tile.tw;
      float* dxn = dx + image.origin + c0;
      // Bt^T dV Bt: Bt^T down each column of dV (read from memory), then across each row, into
      // row a of the tile's inputs.
      Vec down[kCols][kRows];
      transform_columns<kFull, kRows, RowDim, ColDim>(
          pt, point_stride, lanes, [](const auto& in, Vec* o) { RowDim::input_adjoint(in, o); },
          down);
#pragma GCC unroll 8
      for (int a = 0; a < kRows; ++a) {
        const long ih = th * M - pad_top + a;
        if (ih < 0 || ih >= in_h) {
          continue;
        }
        Vec row[kCols];
        ColDim::input_adjoint([&](int j) { return down[j][a]; }, row);
        const bool row_is_new = th == 0 || a >= kRows - RowDim::kOut;
#pragma GCC unroll 8
        for (int b = 0; b < kCols; ++b) {
          const long iw = tw * M - pad_left + b;
          if (iw < 0 || iw >= in_w) {
            continue;
          }
          const Vec value = row[b];
          float* at = dxn + ih * row_stride + iw * col_stride;
          if (row_is_new && (tw == 0 || b >= kCols - ColDim::kOut)) {
            store_block<kFull>(value + 0.0F, lanes, at);
          } else {
            add_block<kFull>(value, lanes, at);
          }
        }
      }
    }
  }

  // Whether F(4x4,3x3) on `size` outputs leaves 1 or 2 past its last whole tile (EdgeDim43).
  static bool has_edge_tile(long size) {
    return size % 4 == 1 || size % 4 == 2;
  }

  [[nodiscard]] TileRange all_tiles() const {
    return {0, t_.tiles_h, 0, t_.tiles_w};
  }

  // Whether forward and backward split the tiles into classes (for_each_tile_class):
  // F(4x4,3x3) on images (or phase images, the largest's size) of at least 4x4 outputs with 1 or
  // 2 outputs past the last whole 4-wide tile of a row or column (the reference model's 14x14),
  // with both channel counts taken by the point-product kernels. Whole tiles are then the first
  // class: its products cover every point.
  [[nodiscard]] bool splits_tiles() const {
    return M == 4 && K == 3 && g_.out_h >= 4 && g_.out_w >= 4 &&
           (has_edge_tile(g_.out_h) || has_edge_tile(g_.out_w)) && point_products_apply(g_.in_c) &&
           point_products_apply(g_.out_c);
  }

  // V of the chunk's tiles as forward lays it out (for_each_chunk_class).
  void transform_input_as_forward(const Chunk& c, const float* x, float* v) const {
    for_each_chunk_class(
        c, [&]<typename RowDim, typename ColDim>(const TileRange& range, long /*tiles*/,
                                                 long v_offset, const auto& /*points*/) {
          transform_input_range<RowDim, ColDim>(c, range, x, v + v_offset, v_stride(c));
        });
  }

  // fn.template operator()<RowDim, ColDim>(range, tiles, v_offset, points) for each class of the
  // chunk's tiles, in the order forward lays out their V: the chunk's `tiles` tiles of `range`,
  // whose V starts v_offset floats into the chunk's, with their points (point_products' count or
  // list). When splits_tiles(), the classes of for_each_tile_class with the listed points of
  // each; else all tiles as one class with every point.
  template <typename Fn>
  void for_each_chunk_class(const Chunk& c, const Fn& fn) const {
    if (!splits_tiles()) {
      using Full = FullDim<M, K>;
      fn.template operator()<Full, Full>(all_tiles(), c.tiles, 0L, long{kA * kA});
      return;
    }
    long v_offset = 0;
    for_each_tile_class([&]<typename RowDim, typename ColDim>(const TileRange& range) {
      static constexpr auto kPoints = class_points<kA, RowDim, ColDim>();
      const long tiles = c.count * range.per_sample();
      fn.template operator()<RowDim, ColDim>(range, tiles, v_offset, kPoints);
      v_offset += tiles * g_.in_c;
    });
  }

  // fn.template operator()<RowDim, ColDim>(range) for each class of tiles that transform alike
  // (splits_tiles): the whole tiles, then those of the last tile column, of the last tile row,
  // and the corner, each with EdgeDim43 where it has at most 2 outputs. Classes with no tiles
  // are skipped.
  template <typename Fn>
  void for_each_tile_class(const Fn& fn) const {
    if constexpr (M == 4 && K == 3) {
      using Full = FullDim<M, K>;
      const long th_edge = has_edge_tile(g_.out_h) ? t_.tiles_h - 1 : t_.tiles_h;
      const long tw_edge = has_edge_tile(g_.out_w) ? t_.tiles_w - 1 : t_.tiles_w;
      const auto run = [&]<typename RowDim, typename ColDim>(TileRange range) {
        if (range.per_sample() > 0) {
          fn.template operator()<RowDim, ColDim>(range);
        }
      };
      run.template operator()<Full, Full>({0, th_edge, 0, tw_edge});
      run.template operator()<Full, EdgeDim43>({0, th_edge, tw_edge, t_.tiles_w});
      run.template operator()<EdgeDim43, Full>({th_edge, t_.tiles_h, 0, tw_edge});
      run.template operator()<EdgeDim43, EdgeDim43>({th_edge, t_.tiles_h, tw_edge, t_.tiles_w});
    } else {
      (void)fn;
      assert(false && "edge tiles are F(4x4,3x3)'s");
    }
  }

  [[nodiscard]] Chunk chunk(std::size_t index, long batch) const {
    const long n0 = static_cast<long>(index) * t_.samples_per_chunk;
    const long count = std::min(t_.samples_per_chunk, batch - n0);
    return {n0, count, count * t_.per_sample};
  }
  // Floats from one point of a chunk's V to the next: the chunk's tiles, then a cache line of
  // padding. Without it the points lie a multiple of 4 KB apart whenever tiles * channels is a
  // multiple of 1024 (64 tiles of 32 or 64 channels), and a tile's 36 values of one channel
  // block fall into the same L1 set.
  [[nodiscard]] long v_stride(const Chunk& c) const {
    return c.tiles * g_.in_c + kPointPad;
  }
  // Offset of a chunk's block in the V workspace (chunks before it are full).
  [[nodiscard]] long input_offset(const Chunk& c) const {
    return c.n0 / t_.samples_per_chunk * t_.v_floats_per_chunk(g_.in_c);
  }
  // A chunk's whole samples in a tensor of `images`: from `offset` floats, `pixels` pixels.
  struct Span {
    long offset, pixels;
  };
  [[nodiscard]] static Span span(const Chunk& c, const PhaseImages& images) {
    const long phases = images.per_sample();
    return {c.n0 / phases * images.sample_floats(), c.count / phases * images.h * images.w};
  }
  [[nodiscard]] Span output_span(const Chunk& c) const {
    return span(c, out_);
  }

 private:
  const Conv2DGeometry& g_;
  const PhaseImages& in_;
  const PhaseImages& out_;
  const Tiling& t_;
};

// Calls fn(stride) with the point stride of point_products' output for `channels` columns
// (kPointProductRows * channels, channels as point_products_apply). For the channel counts most
// models use (16, 32, 64) the stride is a compile-time constant: the transforms that read it then
// address a tile's kA * kA values by displacements, with no register each (36 of them did not
// fit the integer registers). Other counts, and every count in the sanitizer build
// (RUNNER_RUNTIME_PRODUCT_STRIDE, CMakeLists.txt), take it at run time: each constant is one more
// copy of the transforms, and all eight multiples of 8 made this file the longest compile of the
// release build (GCC 12 for AVX2, -march=znver3: 110 s alone, 66 with these three).
// Tiles with an edge dimension (EdgeDim43) read fewer points and always take it at run time.
template <typename RowDim, typename ColDim, typename Fn>
void with_class_product_stride(long channels, const Fn& fn) {
  assert(point_products_apply(channels));  // so a multiple of 8 up to 64
#ifdef RUNNER_RUNTIME_PRODUCT_STRIDE
  constexpr bool kRuntimeStride = true;
#else
  constexpr bool kRuntimeStride =
      std::is_same_v<RowDim, EdgeDim43> || std::is_same_v<ColDim, EdgeDim43>;
#endif
  if constexpr (!kRuntimeStride) {
    switch (channels) {
      case 16:
        return fn(std::integral_constant<long, kPointProductRows * 16>{});
      case 32:
        return fn(std::integral_constant<long, kPointProductRows * 32>{});
      case 64:
        return fn(std::integral_constant<long, kPointProductRows * 64>{});
      default:
        break;
    }
  }
  fn(kPointProductRows * channels);
}

template <int M, int K>
void forward(const Layout& layout, Conv2DEpilogue epilogue, const Conv2DForward& tensors, float* u,
             float* v, bool u_ready) {
  // Locals, not structured bindings: clang 14 cannot capture those in the lambdas below.
  const Conv2DGeometry& g = layout.g;
  const Activation act = epilogue.act;
  const Pooling pooling = epilogue.pooling;
  const long batch = tensors.batch * layout.phases();  // images
  const float* x = tensors.x;
  const float* w = tensors.w;
  const float* b = tensors.b;
  float* y = tensors.y;
  float* winners = tensors.winners;
  const Tiling t(g, M, layout.phases());
  const Winograd<M, K> wino(layout, t);
  assert(!u_ready || v == nullptr);
  if (!u_ready) {
    // Training (v) also writes U's transpose for backward.
    const bool transposed = v != nullptr && point_products_apply(g.in_c);
    wino.transform_kernel(w, u, transposed ? u + t.points * g.in_c * g.out_c : nullptr);
  }
  const long ci = g.in_c;
  const long co = g.out_c;
  const bool fused = point_products_apply(co);
  // Bias, ReLU and pooling in the output transform; other activations and the affine after it.
  const bool own_epilogue = linear_or_relu(act);
  const ChannelAffine* affine = epilogue.affine;
  const std::size_t chunks = t.chunks(batch);
  // A single chunk (a batch of one, the latency case) spreads its point GEMMs and its output
  // tiles over the threads instead: each is computed as in a chunk run whole, so the bits are
  // the same. (The few-filter path's tile groups are cheap enough to stay on one thread.)
  const bool spread = chunks == 1;
  // Training keeps V for backward when it is small (Tiling::keeps_inputs).
  const bool keep_inputs = v != nullptr && t.keeps_inputs(g, batch);
  auto run_chunk = [&](std::size_t index) {
    const Chunk c = wino.chunk(index, batch);
    float* vc = keep_inputs ? v + wino.input_offset(c)
                            : thread_scratch(kInputs,
                                             static_cast<std::size_t>(t.points * wino.v_stride(c)));
    if (fused) {
      // A few tiles at a time from the products to the output (point_products.hpp), the bias
      // added there; another activation than ReLU then goes over the chunk's outputs in cache:
      // the bits of a linear layer before an Activation layer.
      constexpr long kRows = kPointProductRows;
      float* pg = thread_scratch(kProducts, static_cast<std::size_t>(kRows * t.points * co));
      // The chunk's `tiles` tiles of `range` from their V at vt, `points` (a count or a list).
      auto to_output = [&]<typename RowDim, typename ColDim>(const TileRange& range, long tiles,
                                                             const float* vt, const auto& points) {
        for (long t0 = 0; t0 < tiles; t0 += kRows) {
          const long rows = std::min(kRows, tiles - t0);
          point_products(points, rows, ci, co, vt + t0 * ci, wino.v_stride(c), u, pg, kRows * co);
          with_class_product_stride<RowDim, ColDim>(co, [&](auto stride) {
            wino.template transform_output<decltype(stride), RowDim, ColDim>(
                c, t0, rows, pg, stride, b, act == Activation::kRelu, pooling, y, winners, range);
          });
        }
      };
      // Each class of tiles (Winograd::for_each_chunk_class) with the products of its points.
      wino.for_each_chunk_class(
          c, [&]<typename RowDim, typename ColDim>(const TileRange& range, long tiles,
                                                   long v_offset, const auto& points) {
            float* vt = vc + v_offset;
            wino.template transform_input_range<RowDim, ColDim>(c, range, x, vt, wino.v_stride(c));
            to_output.template operator()<RowDim, ColDim>(range, tiles, vt, points);
          });
      if (!own_epilogue) {
        const auto outputs_of_chunk = wino.output_span(c);
        activate(act, y + outputs_of_chunk.offset, outputs_of_chunk.pixels, co);
      }
    } else {
      wino.transform_input(c, x, vc);
      float* pc = thread_scratch(kProducts, static_cast<std::size_t>(c.tiles * t.points * co));
      auto point_gemms = [&](std::size_t first, std::size_t last) {
        for (auto p = static_cast<long>(first); p < static_cast<long>(last); ++p) {
          gemm(false, false, as_int(c.tiles), as_int(co), as_int(ci), 1.0F,
               vc + p * wino.v_stride(c), as_int(ci), u + p * ci * co, as_int(co), 0.0F,
               pc + p * c.tiles * co, as_int(co));
        }
      };
      auto outputs = [&](std::size_t first, std::size_t last) {
        const auto t0 = static_cast<long>(first);
        const auto count = static_cast<long>(last - first);
        wino.transform_output(c, t0, count, pc + t0 * co, c.tiles * co, own_epilogue ? b : nullptr,
                              act == Activation::kRelu, own_epilogue ? pooling : Pooling::kNone, y,
                              own_epilogue ? winners : nullptr, wino.all_tiles());
      };
      const auto points = static_cast<std::size_t>(t.points);
      const auto tiles = static_cast<std::size_t>(c.tiles);
      if (spread) {
        // Isolated: while it waits, this thread takes only these tasks, none that would reuse
        // its scratch buffers (vc, pc) mid-use.
        tbb::this_task_arena::isolate([&] {
          parallel_for(0, points, 1, point_gemms);
          parallel_for(0, tiles, kSpreadTilesPerTask, outputs);
        });
      } else {
        point_gemms(0, points);
        outputs(0, tiles);
      }
      if (!own_epilogue) {
        const auto outputs_of_chunk = wino.output_span(c);
        add_bias_activate(y + outputs_of_chunk.offset, b, act, outputs_of_chunk.pixels, co);
      }
    }
    if (affine != nullptr) {  // the chunk's outputs, still in cache
      const auto outputs_of_chunk = wino.output_span(c);
      float* yc = y + outputs_of_chunk.offset;
      channel_affine_rows(outputs_of_chunk.pixels, co, affine->rows_from(outputs_of_chunk.offset),
                          yc, yc);
    }
  };
  if (spread) {
    run_chunk(0);
    return;
  }
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t index = first; index < last; ++index) {
      run_chunk(index);
    }
  });
}

template <int M, int K>
void backward(const Layout& layout, Conv2DEpilogue epilogue, const Conv2DBackward& tensors,
              const WinogradWorkspace& ws) {
  const Conv2DGeometry& g = layout.g;
  const Activation act = epilogue.act;
  const Pooling pooling = epilogue.pooling;
  const long batch = tensors.batch * layout.phases();  // images
  const float* y = tensors.y;
  const float* dy = tensors.dy;
  const float* winners = tensors.winners;
  float* dw = tensors.dw;
  float* db = tensors.db;
  float* dx = tensors.dx;
  const float* u = ws.u;
  float* v = ws.v;
  float* delta = ws.delta;
  float* partials = ws.partials;
  const Tiling t(g, M, layout.phases());
  const Winograd<M, K> wino(layout, t);
  const long ci = g.in_c;
  const long co = g.out_c;
  // The grouped path needs both kernels' widths: co for dU, ci for dV (when dx is wanted).
  const bool grouped = point_products_apply(co) && (dx == nullptr || point_products_apply(ci));
  const float* ut = u + t.points * ci * co;  // written by forward
  const long du_size = t.points * ci * co;
  const long stride = du_size + co;  // one chunk's dU then db
  const std::size_t chunks = t.chunks(batch);
  const std::size_t per_group = Tiling::chunks_per_group(du_size, chunks);
  const bool keeps_inputs = t.keeps_inputs(g, batch);
  const std::size_t groups = chunk_count(chunks, per_group);
  parallel_for(0, groups, 1, [&](std::size_t first_group, std::size_t last_group) {
    for (std::size_t index = first_group * per_group;
         index < std::min(chunks, last_group * per_group); ++index) {
      const Chunk c = wino.chunk(index, batch);
      const auto outputs_of_chunk = wino.output_span(c);
      const long offset = outputs_of_chunk.offset;
      float* vc = v + wino.input_offset(c);
      if (!keeps_inputs) {
        vc = thread_scratch(kRebuiltInputs, static_cast<std::size_t>(t.points * wino.v_stride(c)));
        wino.transform_input_as_forward(c, tensors.x, vc);
      }
      // The group's partial: the first chunk of a group starts it, the others add to it.
      const bool starts_group = index % per_group == 0;
      float* part = partials + static_cast<long>(index / per_group) * stride;
      if (starts_group) {
        std::fill(part + du_size, part + stride, 0.0F);
      }
      const bool own_activation = linear_or_relu(act);
      if (!own_activation) {
        // Another activation than ReLU: its derivative over the chunk's outputs first (in cache
        // for what follows), the bias gradient then summed by the transform as on the linear
        // path: the bits of a linear layer before an Activation layer.
        activation_backward(act, y + offset, dy + offset, delta + offset, outputs_of_chunk.pixels,
                            co);
      }
      const OutputGradient source =
          own_activation ? OutputGradient{.dy = dy,
                                          .relu_y = act == Activation::kRelu ? y : nullptr,
                                          .pooling = pooling,
                                          .winners = winners,
                                          .normalization = tensors.normalization,
                                          .y = y}
                         : OutputGradient{.dy = delta};
      if (grouped) {
        // kGroup tiles at a time from the output gradient to dU and dx, their dP in cache:
        // dU += V^T dP (point_gradient_products), dV = dP U^T six tiles at a time
        // (point_products) into the input transform's adjoint.
        constexpr long kGroup = 2 * kPointProductRows;
        constexpr long kRows = kPointProductRows;
        float* dpg = thread_scratch(kProducts, static_cast<std::size_t>(kGroup * t.points * co));
        float* dvg = thread_scratch(kInputs, static_cast<std::size_t>(kRows * t.points * ci));
        // The chunk's `tiles` tiles of `range` (V at vt), `points` (a count or a list); the
        // first class's products start the group's partial.
        auto from_output = [&]<typename RowDim, typename ColDim>(
                               const TileRange& range, long tiles, const float* vt,
                               const auto& points, bool first_class) {
          for (long t0 = 0; t0 < tiles; t0 += kGroup) {
            const long rows = std::min(kGroup, tiles - t0);
            wino.template transform_output_gradient<RowDim, ColDim>(
                c, t0, rows, source, part + du_size, dpg, kGroup * co, range);
            // The group's first products start its partial: no zeroing pass over it first (up
            // to 590 KB per chunk, about 14 MB per step of the ResNet's training).
            const Accumulate mode =
                starts_group && first_class && t0 == 0 ? Accumulate::kFromZero : Accumulate::kAdd;
            point_gradient_products(points, rows, ci, co, vt + t0 * ci, wino.v_stride(c), dpg,
                                    kGroup * co, part, mode);
            if (dx == nullptr) {
              continue;
            }
            for (long s0 = 0; s0 < rows; s0 += kRows) {
              const long six = std::min(kRows, rows - s0);
              point_products(points, six, co, ci, dpg + s0 * co, kGroup * co, ut, dvg, kRows * ci);
              with_class_product_stride<RowDim, ColDim>(ci, [&](auto dv_stride) {
                wino.template add_input_gradient<decltype(dv_stride), RowDim, ColDim>(
                    c, t0 + s0, six, dvg, dv_stride, dx, range);
              });
            }
          }
        };
        bool first_class = true;
        wino.for_each_chunk_class(
            c, [&]<typename RowDim, typename ColDim>(const TileRange& range, long tiles,
                                                     long v_offset, const auto& points) {
              from_output.template operator()<RowDim, ColDim>(range, tiles, vc + v_offset, points,
                                                              first_class);
              first_class = false;
            });
        continue;
      }
      float* pc = thread_scratch(kProducts, static_cast<std::size_t>(c.tiles * t.points * co));
      // ReLU's derivative and the bias gradient are taken while the tiles are loaded.
      wino.transform_output_gradient(c, 0, c.tiles, source, part + du_size, pc, c.tiles * co,
                                     wino.all_tiles());
      for (long p = 0; p < t.points; ++p) {
        // dU[xi] = V[xi]^T dP[xi]
        gemm(true, false, as_int(ci), as_int(co), as_int(c.tiles), 1.0F, vc + p * wino.v_stride(c),
             as_int(ci), pc + p * c.tiles * co, as_int(co), starts_group ? 0.0F : 1.0F,
             part + p * ci * co, as_int(co));
      }
      if (dx != nullptr) {
        for (long p = 0; p < t.points; ++p) {
          // dV[xi] = dP[xi] U[xi]^T, over V (no longer needed)
          gemm(false, true, as_int(c.tiles), as_int(ci), as_int(co), 1.0F, pc + p * c.tiles * co,
               as_int(co), u + p * ci * co, as_int(co), 0.0F, vc + p * wino.v_stride(c),
               as_int(ci));
        }
        wino.add_input_gradient(c, 0, c.tiles, vc, wino.v_stride(c), dx, wino.all_tiles());
      }
    }
  });
  // Add the chunks up in chunk order, then go back to the kernel's domain once.
  sum_chunks_into_first(partials, groups, static_cast<std::size_t>(stride));
  wino.add_kernel_gradient(partials, dw);
  if (db != nullptr) {
    for (long o = 0; o < co; ++o) {
      db[o] += partials[du_size + o];
    }
  }
}

// Calls fn.template operator()<M, K>() for the transform the layout and tile take.
template <typename Fn>
void with_transform(const Layout& layout, long tile, const Fn& fn) {
  const Conv2DGeometry& g = layout.g;
  assert(winograd_applies(g) && (tile == 2 || (tile == 4 && g.k_h <= 3)));
  if (g.k_h == 5) {
    fn.template operator()<2, 5>();
  } else if (g.k_h == 2) {
    assert(tile == 4);
    fn.template operator()<4, 2>();
  } else if (tile == 2) {
    fn.template operator()<2, 3>();
  } else {
    fn.template operator()<4, 3>();
  }
}

// The pooling windows of a fused pooling are 2x2 blocks of an output tile: of an image, never of
// a sample when the images are phases.
void check_epilogue(const Layout& layout, Conv2DEpilogue epilogue) {
  assert(epilogue.valid());
  if (epilogue.pooling != Pooling::kNone && layout.phases() > 1) {
    throw std::logic_error("winograd: no fused pooling after a dilated convolution");
  }
}

}  // namespace

bool winograd_applies(const Conv2DGeometry& g) {
  const Conv2DGeometry p = layout_of(g).g;  // a dilated g's phase images, when they apply
  return (p.k_h == 2 || p.k_h == 3 || p.k_h == 5) && p.k_w == p.k_h && p.stride_h == 1 &&
         p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1;
}

long winograd_tile(const Conv2DGeometry& g) {
  if (g.k_h == 5) {
    return 2;  // F(4x4, 5x5) would need 8x8 tiles and points to +-4: too inexact
  }
  if (g.k_h == 2) {
    return 4;  // F(4x4, 2x2) only
  }
  const Layout layout = layout_of(g);
  const auto products = [&](long tile) {
    const Tiling t(layout.g, tile, layout.phases());
    return t.per_sample * t.points;
  };
  return products(4) < products(2) ? 4 : 2;
}

bool winograd_keeps_inputs(const Conv2DGeometry& g, long tile, long batch) {
  const Layout layout = layout_of(g);
  return Tiling(layout.g, tile, layout.phases()).keeps_inputs(layout.g, batch * layout.phases());
}

WinogradSizes winograd_sizes(const Conv2DGeometry& g, long tile, long max_batch) {
  const Layout layout = layout_of(g);
  const Tiling t(layout.g, tile, layout.phases());
  const std::size_t chunks = t.chunks(max_batch * layout.phases());
  const long kernel_floats = t.points * g.in_c * g.out_c;  // U, and one partial of dU
  return {static_cast<std::size_t>(2 * kernel_floats),
          chunks * static_cast<std::size_t>(t.v_floats_per_chunk(g.in_c)),
          Tiling::most_groups(kernel_floats, chunks) *
              static_cast<std::size_t>(kernel_floats + g.out_c)};
}

void winograd_forward(const Conv2DGeometry& g, long tile, Conv2DEpilogue epilogue,
                      const Conv2DForward& tensors, float* u, float* v, bool u_ready) {
  const Layout layout = layout_of(g);
  check_epilogue(layout, epilogue);
  with_transform(layout, tile,
                 [&]<int M, int K>() { forward<M, K>(layout, epilogue, tensors, u, v, u_ready); });
}

void winograd_backward(const Conv2DGeometry& g, long tile, Conv2DEpilogue epilogue,
                       const Conv2DBackward& tensors, const WinogradWorkspace& ws) {
  const Layout layout = layout_of(g);
  check_epilogue(layout, epilogue);
  if (tensors.normalization != nullptr &&
      (epilogue.pooling != Pooling::kNone || !linear_or_relu(epilogue.act))) {
    throw std::logic_error(
        "winograd_backward: a normalization's gradient needs no pooling and "
        "a linear or ReLU activation");
  }
  with_transform(layout, tile,
                 [&]<int M, int K>() { backward<M, K>(layout, epilogue, tensors, ws); });
}

}  // namespace runner::kernels
