#include "layers/kernels/batch_norm.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "framework/core/parallel.hpp"
#include "layers/kernels/batch_norm_lanes.hpp"
#include "layers/kernels/lanes.hpp"
#include "layers/kernels/thread_scratch.hpp"

namespace runner::kernels {

namespace {
// Rows per chunk of the column sums; fixed, so the summation order never depends on threads.
constexpr std::size_t kRowsPerChunk = 256;

std::size_t chunks_of(const BatchNormGeometry& g) {
  return chunk_count(static_cast<std::size_t>(g.rows), kRowsPerChunk);
}

// Doubles in one register (8 with AVX-512), and the floats that widen into one.
constexpr int kDoubleLanes = kLanes / 2;
using VecD = double __attribute__((vector_size(kDoubleLanes * sizeof(double))));
using HalfVec = float __attribute__((vector_size(kDoubleLanes * sizeof(float))));

// A value of type V (a lane or a register of them) from the S values at p: the term functions
// below are written once for a lane (float, double) and for a register (HalfVec, VecD).
template <typename V, typename S>
inline V load_as(const S* p) {
  if constexpr (std::is_same_v<V, S>) {
    return *p;
  } else {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
}

template <typename D>
inline void store_doubles(const D& v, double* p) {
  std::memcpy(p, &v, sizeof(D));
}

template <typename D>
using FloatsOf = std::conditional_t<std::is_same_v<D, double>, float, HalfVec>;

template <typename D>
inline D widen(const FloatsOf<D>& f) {
  if constexpr (std::is_same_v<D, double>) {
    return static_cast<double>(f);
  } else {
    return __builtin_convertvector(f, VecD);
  }
}

// The sums of one chunk's rows for NB registers of channels from c0, the accumulators held in
// registers across the rows (summed in memory, each row's add waited for the last one's store:
// 12.5% of ResNet's training step on an AMD Zen 5 host). Row by row, in order, as the scalar
// loop for the channels left over: every channel's sum is the same whichever loop takes it.
template <int NB, typename Fn>
void column_block_sums(long r_begin, long r_end, long channels, long c0, double* a, double* b,
                       const Fn& fn) {
  VecD sum_a[NB] = {};
  VecD sum_b[NB] = {};
  for (long r = r_begin; r < r_end; ++r) {
    for (int j = 0; j < NB; ++j) {
      const long c = c0 + j * kDoubleLanes;
      VecD term_a;
      VecD term_b;
      fn(r * channels + c, c, term_a, term_b);
      sum_a[j] += term_a;
      sum_b[j] += term_b;
    }
  }
  for (int j = 0; j < NB; ++j) {
    store_doubles(sum_a[j], a + c0 + j * kDoubleLanes);
    store_doubles(sum_b[j], b + c0 + j * kDoubleLanes);
  }
}

// Two column sums over the rows in one pass: per fixed chunk of rows in parallel into scratch,
// then the chunks in order. fn(at, c, term_a, term_b) writes both terms of the value at flat
// index `at` (channel c), for one double or a VecD of consecutive channels. `scratch` holds
// 2 * channels doubles per chunk.
template <typename Fn>
void paired_column_sums(const BatchNormGeometry& g, double* scratch, double* out_a, double* out_b,
                        const Fn& fn) {
  const std::size_t chunks = chunks_of(g);
  const auto c_count = static_cast<std::size_t>(g.channels);
  // Blocks of 8 registers (64 channels with AVX-512) keep 16 accumulators: half the registers.
  constexpr int kWidest = kLanes == 16 ? 8 : 4;
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t k = first; k < last; ++k) {
      double* a = scratch + 2 * k * c_count;
      double* b = a + c_count;
      const auto r_begin = static_cast<long>(k * kRowsPerChunk);
      const long r_end = std::min(g.rows, static_cast<long>((k + 1) * kRowsPerChunk));
      long c0 = 0;
      for (; c0 + kWidest * kDoubleLanes <= g.channels; c0 += kWidest * kDoubleLanes) {
        column_block_sums<kWidest>(r_begin, r_end, g.channels, c0, a, b, fn);
      }
      if (c0 + 4 * kDoubleLanes <= g.channels && kWidest > 4) {
        column_block_sums<4>(r_begin, r_end, g.channels, c0, a, b, fn);
        c0 += 4 * kDoubleLanes;
      }
      for (; c0 + kDoubleLanes <= g.channels; c0 += kDoubleLanes) {
        column_block_sums<1>(r_begin, r_end, g.channels, c0, a, b, fn);
      }
      if (c0 == g.channels) {
        continue;
      }
      std::fill(a + c0, a + g.channels, 0.0);
      std::fill(b + c0, b + g.channels, 0.0);
      for (long r = r_begin; r < r_end; ++r) {
        for (long c = c0; c < g.channels; ++c) {
          double term_a = 0;
          double term_b = 0;
          fn(r * g.channels + c, c, term_a, term_b);
          a[c] += term_a;
          b[c] += term_b;
        }
      }
    }
  });
  std::fill(out_a, out_a + c_count, 0.0);
  std::fill(out_b, out_b + c_count, 0.0);
  for (std::size_t k = 0; k < chunks; ++k) {
    for (std::size_t c = 0; c < c_count; ++c) {
      out_a[c] += scratch[2 * k * c_count + c];
      out_b[c] += scratch[(2 * k + 1) * c_count + c];
    }
  }
}
}  // namespace

std::size_t batch_norm_scratch_size(const BatchNormGeometry& g) {
  return (2 * chunks_of(g) + 3) * static_cast<std::size_t>(g.channels);
}

void batch_norm_statistics(const BatchNormGeometry& g, const float* x, float* mean, float* var,
                           double* scratch) {
  const auto c_count = static_cast<std::size_t>(g.channels);
  double* sums = scratch + 2 * chunks_of(g) * c_count;
  double* squares = sums + c_count;
  double* shift = squares + c_count;
  const auto n = static_cast<double>(g.rows);
  // One pass over x (the tensor is read once instead of twice: on a memory-bound host each pass
  // over a 28x28x32 batch of 32 cost 0.1 ms), summing d = x - shift and d^2 in double. The shift
  // is the first row, a value of the batch: d is then of the order of the deviations, so
  // E[d^2] - E[d]^2 does not cancel as E[x^2] - E[x]^2 would for a large mean.
  for (std::size_t c = 0; c < c_count; ++c) {
    shift[c] = static_cast<double>(x[c]);
  }
  const double* __restrict shift_c = shift;
  paired_column_sums(g, scratch, sums, squares,
                     [&]<typename D>(long at, long c, D& term_d, D& term_d2) {
                       const D d = widen<D>(load_as<FloatsOf<D>>(x + at)) - load_as<D>(shift_c + c);
                       term_d = d;
                       term_d2 = d * d;
                     });
  for (std::size_t c = 0; c < c_count; ++c) {
    const double mean_d = sums[c] / n;
    mean[c] = static_cast<float>(shift[c] + mean_d);
    var[c] = static_cast<float>(std::max(0.0, squares[c] / n - mean_d * mean_d));
  }
}

namespace {
// One value: y = x * scale + shift, then ReLU's max(0, .) (+0 for -0 and NaN, as the ReLU
// kernel). Both loops below compute exactly this, so in place and apart agree bit for bit.
template <bool kRelu>
inline float affine_value(float x, float scale, float shift) {
  const float v = affine_input(x, scale, shift);
  return kRelu ? (v > 0.0F ? v : 0.0F) : v;
}

template <bool kRelu>
void affine_apart(long rows, long channels, const float* __restrict scale,
                  const float* __restrict shift, const float* __restrict x, float* __restrict y) {
  for (long r = 0; r < rows; ++r) {
    for (long c = 0; c < channels; ++c) {
      y[r * channels + c] = affine_value<kRelu>(x[r * channels + c], scale[c], shift[c]);
    }
  }
}

// x is y (a convolution's output normalized where it lies): one pointer, so restrict holds.
template <bool kRelu>
void affine_in_place(long rows, long channels, const float* __restrict scale,
                     const float* __restrict shift, float* __restrict y) {
  for (long r = 0; r < rows; ++r) {
    for (long c = 0; c < channels; ++c) {
      y[r * channels + c] = affine_value<kRelu>(y[r * channels + c], scale[c], shift[c]);
    }
  }
}

// A fused Add's value, then its ReLU's with kRelu: y + addend as the merge kernel sums two
// inputs (addition commutes bitwise), max(0, .) as its ReLU.
template <bool kRelu>
inline float sum_value(float y, float addend) {
  const float v = y + addend;
  return kRelu ? (v > 0.0F ? v : 0.0F) : v;
}

template <bool kRelu>
void add_in_place(std::size_t n, const float* __restrict addend, float* __restrict y) {
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = sum_value<kRelu>(y[i], addend[i]);
  }
}

// The affine and the sum in one pass (a residual block's convolution output in cache): the
// values of the two passes apart.
template <bool kRelu, bool kSumRelu>
void affine_sum_in_place(long rows, long channels, const float* __restrict scale,
                         const float* __restrict shift, const float* __restrict addend,
                         float* __restrict y) {
  for (long r = 0; r < rows; ++r) {
    for (long c = 0; c < channels; ++c) {
      const long i = r * channels + c;
      y[i] = sum_value<kSumRelu>(affine_value<kRelu>(y[i], scale[c], shift[c]), addend[i]);
    }
  }
}

// The pass of both when the affine is in place and no other activation comes between them.
void affine_sum_rows(long rows, long channels, const ChannelAffine& affine, float* y) {
  auto run = [&]<bool kRelu, bool kSumRelu>() {
    affine_sum_in_place<kRelu, kSumRelu>(rows, channels, affine.scale, affine.shift, affine.addend,
                                         y);
  };
  if (affine.relu) {
    affine.sum_relu ? run.template operator()<true, true>()
                    : run.template operator()<true, false>();
  } else {
    affine.sum_relu ? run.template operator()<false, true>()
                    : run.template operator()<false, false>();
  }
}
}  // namespace

void channel_affine_rows(long rows, long channels, const ChannelAffine& affine, const float* x,
                         float* y) {
  const auto n = static_cast<std::size_t>(rows * channels);
  const bool sums = affine.addend != nullptr;
  if (affine.scale == nullptr) {
    if (x != y) {
      std::copy_n(x, n, y);
    }
  } else if (sums && x == y && affine.then.fn == Pointwise::kLinear) {
    affine_sum_rows(rows, channels, affine, y);
    return;
  } else if (x == y) {
    (affine.relu ? affine_in_place<true> : affine_in_place<false>)(rows, channels, affine.scale,
                                                                   affine.shift, y);
  } else {
    (affine.relu ? affine_apart<true> : affine_apart<false>)(rows, channels, affine.scale,
                                                             affine.shift, x, y);
  }
  if (affine.scale != nullptr && affine.then.fn != Pointwise::kLinear) {
    pointwise_forward_here(affine.then, y, y, n);
  }
  if (sums) {
    (affine.sum_relu ? add_in_place<true> : add_in_place<false>)(n, affine.addend, y);
  }
}

void fused_activation_gradient(const BatchNormGeometry& g, const ChannelAffine& affine,
                               const float* x, const float* y, const float* dy, float* dz) {
  const ChannelAffine normalization{.scale = affine.scale, .shift = affine.shift};
  // gelu's and swish's derivatives need z; the others' follow from y alone (the same bits).
  const bool needs_z = affine.then.fn == Pointwise::kGelu || affine.then.fn == Pointwise::kSwish;
  parallel_for(
      0, static_cast<std::size_t>(g.rows), kRowsPerChunk, [&](std::size_t first, std::size_t last) {
        const auto offset = static_cast<long>(first) * g.channels;
        const long rows = static_cast<long>(last - first);
        const auto n = static_cast<std::size_t>(rows * g.channels);
        if (!needs_z) {
          pointwise_backward_from_output_here(affine.then, y + offset, dy + offset, dz + offset, n);
          return;
        }
        // z as forward computed it (x to another buffer: the same variant).
        float* z = thread_scratch(ScratchSlot::kFirst, n);
        channel_affine_rows(rows, g.channels, normalization, x + offset, z);
        pointwise_backward_here(affine.then, z, y + offset, dy + offset, dz + offset, n);
      });
}

void batch_norm_apply(const BatchNormGeometry& g, const float* x, const ChannelAffine& affine,
                      float* y) {
  parallel_for(0, static_cast<std::size_t>(g.rows), kRowsPerChunk,
               [&](std::size_t first, std::size_t last) {
                 const auto offset = static_cast<long>(first) * g.channels;
                 channel_affine_rows(static_cast<long>(last - first), g.channels,
                                     affine.rows_from(offset), x + offset, y + offset);
               });
}

namespace {
// Rows of dx (batch_norm_input_gradient_rows; below).
template <bool kRelu>
void input_gradient_rows(const BatchNormInputGradient& norm_in, long channels, long first_row,
                         long row_count, const float* x, bool x_relu, float* dx);

// batch_norm_backward for a fused ReLU (kRelu) or none. The two are separate loops: a test for
// the ReLU inside one loop kept GCC from vectorizing it (it may not load through a pointer before
// knowing it is not null), and the ReLU case ran 5x slower than the plain one (ResNet's
// normalizations, 28x28x32 at batch 32: 5.8 against 1.0 ms per backward step).
template <bool kRelu>
void batch_norm_backward_impl(const BatchNormGeometry& g, const BatchNormBackward& t,
                              double* scratch) {
  const auto c_count = static_cast<std::size_t>(g.channels);
  const long channels = g.channels;
  const float* __restrict x = t.x;
  const float* __restrict dy = t.dy;
  const float* __restrict relu_scale = kRelu ? t.relu->scale : nullptr;
  const float* __restrict relu_shift = kRelu ? t.relu->shift : nullptr;
  const float* __restrict mean = t.mean;
  const float* __restrict inv_std = t.inv_std;
  double* sum_dy = scratch + 2 * chunks_of(g) * c_count;
  double* sum_dy_xhat = sum_dy + c_count;
  // The per-channel values of the sums' pass, for one float or a HalfVec of channels.
  auto lanes_at = [=]<typename F>(std::type_identity<F>, long c) {
    BatchNormGradientLanes<F> k{};
    if constexpr (kRelu) {
      k.relu_scale = load_as<F>(relu_scale + c);
      k.relu_shift = load_as<F>(relu_shift + c);
    }
    k.mean = load_as<F>(mean + c);
    k.inv_std = load_as<F>(inv_std + c);
    return k;
  };
  paired_column_sums(g, scratch, sum_dy, sum_dy_xhat,
                     [=]<typename D>(long at, long c, D& term_dy, D& term_dy_xhat) {
                       using F = FloatsOf<D>;
                       const auto k = lanes_at(std::type_identity<F>{}, c);
                       const F xv = load_as<F>(x + at);
                       const F xhat = normalized_input(xv, k);
                       const D d =
                           widen<D>(batch_norm_output_gradient<kRelu>(load_as<F>(dy + at), xv, k));
                       term_dy = d;
                       term_dy_xhat = d * widen<D>(xhat);
                     });
  for (std::size_t c = 0; c < c_count; ++c) {
    if (t.dgamma != nullptr) {
      t.dgamma[c] += static_cast<float>(sum_dy_xhat[c]);
    }
    if (t.dbeta != nullptr) {
      t.dbeta[c] += static_cast<float>(sum_dy[c]);
    }
  }
  if (t.dx == nullptr && t.dx_coefficients == nullptr) {
    return;
  }
  // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)): per-channel coefficients,
  // rounded to float once, for the layer before (BatchNormInputGradient) or the rows below.
  float* __restrict coefficients = t.dx_coefficients;
  const auto n = static_cast<double>(g.rows);
  for (std::size_t c = 0; c < c_count; ++c) {
    coefficients[c] = static_cast<float>(sum_dy[c] / n);
    coefficients[c_count + c] = static_cast<float>(sum_dy_xhat[c] / n);
    coefficients[2 * c_count + c] = (t.gamma != nullptr ? t.gamma[c] : 1.0F) * t.inv_std[c];
  }
  if (t.dx == nullptr) {
    return;
  }
  // The rows a convolution before evaluates when it takes dx over: the same code, the same bits.
  const BatchNormInputGradient norm{.dy = dy,
                                    .relu_scale = relu_scale,
                                    .relu_shift = relu_shift,
                                    .mean = mean,
                                    .inv_std = inv_std,
                                    .mean_dy = coefficients,
                                    .mean_dy_xhat = coefficients + c_count,
                                    .factor = coefficients + 2 * c_count};
  float* dx = t.dx;
  parallel_for(0, static_cast<std::size_t>(g.rows), kRowsPerChunk,
               [=](std::size_t first, std::size_t last) {
                 const auto row = static_cast<long>(first);
                 input_gradient_rows<kRelu>(norm, channels, row, static_cast<long>(last) - row, x,
                                            false, dx + row * channels);
               });
}

template <bool kRelu>
void input_gradient_rows(const BatchNormInputGradient& norm_in, long channels, long first_row,
                         long row_count, const float* x, bool x_relu, float* dx) {
  // A copy whose address never escapes: the stores to dx (through a may_alias vector type) could
  // otherwise change the pointers, and every register of dx loaded all seven of them again.
  const BatchNormInputGradient norm = norm_in;
  for (long r = first_row; r < first_row + row_count; ++r) {
    for_each_channel_block(channels, [&](auto full, long c0, int lanes) {
      constexpr bool kFull = decltype(full)::value;
      // The per-element code of Winograd's output-gradient transform too: the same bits.
      const auto k = load_gradient_lanes<kFull, kRelu>(norm, c0, lanes);
      const long at = r * channels + c0;
      const Vec xv = load_block<kFull>(x + at, lanes);
      Vec d = batch_norm_input_gradient<kRelu>(load_block<kFull>(norm.dy + at, lanes), xv, k);
      if (x_relu) {
        d = xv > 0.0F ? d : Vec{};
      }
      store_block<kFull>(d, lanes, dx + (r - first_row) * channels + c0);
    });
  }
}
}  // namespace

void batch_norm_input_gradient_rows(const BatchNormInputGradient& norm, long channels,
                                    long first_row, long row_count, const float* x, bool x_relu,
                                    float* dx) {
  if (norm.relu_scale != nullptr) {
    input_gradient_rows<true>(norm, channels, first_row, row_count, x, x_relu, dx);
  } else {
    input_gradient_rows<false>(norm, channels, first_row, row_count, x, x_relu, dx);
  }
}

void batch_norm_backward(const BatchNormGeometry& g, const BatchNormBackward& t, double* scratch) {
  if (t.relu != nullptr) {
    batch_norm_backward_impl<true>(g, t, scratch);
  } else {
    batch_norm_backward_impl<false>(g, t, scratch);
  }
}

}  // namespace runner::kernels
