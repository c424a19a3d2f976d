#include "layers/kernels/winograd.hpp"

#include <algorithm>
#include <cassert>
#include <vector>

#include "framework/parallel.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/fused_pool.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// Lavin & Gray's matrices: V = Bt d Bt^T, U = G g G^T, Y = At M At^T.
template <int M>
struct Matrices;

template <>
struct Matrices<2> {
  static constexpr int kAlpha = 4;
  static constexpr float kBt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float kG[4][3] = {{1, 0, 0}, {0.5F, 0.5F, 0.5F}, {0.5F, -0.5F, 0.5F}, {0, 0, 1}};
  static constexpr float kAt[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Matrices<4> {
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
    const Vec t = c == 1.0F ? term(i) : (c == -1.0F ? -term(i) : c * term(i));
    acc = started ? acc + t : t;
    started = true;
  }
  return acc;
}

// out = Q in Q^T for Q (R x K) given by q(r, i): `in` is K x K, `out` R x R. Called with the
// constant matrices below, so the unrolled loops see every coefficient.
template <int R, int K, typename Coef>
inline void sandwich(const Coef& q, const Vec* __restrict in, Vec* __restrict out) {
  Vec tmp[R][K];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int j = 0; j < K; ++j) {
      tmp[r][j] = combine<K>([&](int i) { return q(r, i); }, [&](int i) { return in[i * K + j]; });
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int s = 0; s < R; ++s) {
      out[r * R + s] = combine<K>([&](int j) { return q(s, j); }, [&](int j) { return tmp[r][j]; });
    }
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
// while its task runs: one buffer per thread, kept in its core's cache, instead of a
// batch-sized buffer (+3-4% training and inference speed, 51 MB less at batch 256). Each thread
// allocates it in its first chunk; the size depends on the geometry only, so later steps do not.
// Inference puts the transformed input in the second buffer (no backward needs it).
enum class Scratch { kProducts, kInputs };
float* thread_scratch(Scratch which, std::size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[which == Scratch::kProducts ? 0 : 1];
  if (buffer.size() < floats) {
    buffer.resize(floats);
  }
  return buffer.data();
}

// Tile bookkeeping for one geometry and tile size.
struct Tiling {
  long points;  // alpha^2 = (tile + 2)^2
  long tiles_h, tiles_w, per_sample;
  long samples_per_chunk;

  Tiling(const Conv2DGeometry& g, long tile)
      : points((tile + 2) * (tile + 2)),
        tiles_h((g.out_h + tile - 1) / tile),
        tiles_w((g.out_w + tile - 1) / tile),
        per_sample(tiles_h * tiles_w),
        samples_per_chunk(1) {
    // Enough tiles per chunk for the GEMMs to run near full speed; a power of two so that
    // usual batch sizes split evenly. Depends on the geometry only, never on threads.
    while (samples_per_chunk * per_sample < 128 && samples_per_chunk < 64) {
      samples_per_chunk *= 2;
    }
  }
  [[nodiscard]] std::size_t chunks(long batch) const {
    return chunk_count(static_cast<std::size_t>(batch),
                       static_cast<std::size_t>(samples_per_chunk));
  }
};

// One chunk of samples: [n0, n0 + count), `tiles` = count * per_sample.
struct Chunk {
  long n0, count, tiles;
};

template <int M>
class Winograd {
  using W = Matrices<M>;
  static constexpr int kA = W::kAlpha;

 public:
  Winograd(const Conv2DGeometry& g, const Tiling& t) : g_(g), t_(t) {}

  // U[xi][ci][co] from the Keras kernel w[ky][kx][ci][co].
  void transform_kernel(const float* w, float* u) const {
    const long ci_count = g_.in_c;
    const long co_count = g_.out_c;
    parallel_for(0, static_cast<std::size_t>(ci_count), 8,
                 [&](std::size_t first, std::size_t last) {
                   Vec in[3 * 3];
                   Vec out[kA * kA];
                   for (auto ci = static_cast<long>(first); ci < static_cast<long>(last); ++ci) {
                     for (long co = 0; co < co_count; co += kLanes) {
                       const int lanes = static_cast<int>(std::min<long>(kLanes, co_count - co));
                       for (int k = 0; k < 9; ++k) {
                         in[k] = load_lanes(w + (k * ci_count + ci) * co_count + co, lanes);
                       }
                       sandwich<kA, 3, W::kG>(in, out);
                       for (int p = 0; p < kA * kA; ++p) {
                         store_lanes(out[p], lanes, u + (p * ci_count + ci) * co_count + co);
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
                   Vec out[3 * 3];
                   for (auto ci = static_cast<long>(first); ci < static_cast<long>(last); ++ci) {
                     for (long co = 0; co < co_count; co += kLanes) {
                       const int lanes = static_cast<int>(std::min<long>(kLanes, co_count - co));
                       for (int p = 0; p < kA * kA; ++p) {
                         in[p] = load_lanes(du + (p * ci_count + ci) * co_count + co, lanes);
                       }
                       sandwich_t<kA, 3, W::kG>(in, out);
                       for (int k = 0; k < 9; ++k) {
                         add_lanes(out[k], lanes, dw + (k * ci_count + ci) * co_count + co);
                       }
                     }
                   }
                 });
  }

  // A tile's kA * kA Winograd-domain values for channels [c0, c0 + lanes) of a chunk's block,
  // laid out [point][tile][channel] (V, the products and their gradients).
  static void load_points(const float* block, const Chunk& c, long tile, long channels, long c0,
                          int lanes, Vec* points) {
    for (int p = 0; p < kA * kA; ++p) {
      points[p] = load_lanes(block + (p * c.tiles + tile) * channels + c0, lanes);
    }
  }
  static void store_points(const Vec* points, const Chunk& c, long tile, long channels, long c0,
                           int lanes, float* block) {
    for (int p = 0; p < kA * kA; ++p) {
      store_lanes(points[p], lanes, block + (p * c.tiles + tile) * channels + c0);
    }
  }

  // Calls fn(n, th, tw, tile, c0, lanes) for each sample n of the chunk, each tile (th, tw)
  // with its index within the chunk, and each block of up to kLanes of `channels` channels.
  template <typename Fn>
  void for_each_tile_block(const Chunk& c, long channels, const Fn& fn) const {
    for (long n = c.n0; n < c.n0 + c.count; ++n) {
      for (long th = 0; th < t_.tiles_h; ++th) {
        for (long tw = 0; tw < t_.tiles_w; ++tw) {
          const long tile = (n - c.n0) * t_.per_sample + th * t_.tiles_w + tw;
          for (long c0 = 0; c0 < channels; c0 += kLanes) {
            fn(n, th, tw, tile, c0, static_cast<int>(std::min<long>(kLanes, channels - c0)));
          }
        }
      }
    }
  }

  // V[xi][t][c] for the chunk's tiles (v points at the chunk's block).
  void transform_input(const Chunk& c, const float* x, float* v) const {
    const long channels = g_.in_c;
    for_each_tile_block(c, channels, [&](long n, long th, long tw, long tile, long c0, int lanes) {
      const float* xn = x + n * g_.in_size();
      Vec in[kA * kA];
      Vec out[kA * kA];
      for (int a = 0; a < kA; ++a) {
        for (int b = 0; b < kA; ++b) {
          const long ih = th * M - g_.pad_top + a;
          const long iw = tw * M - g_.pad_left + b;
          const bool inside = ih >= 0 && ih < g_.in_h && iw >= 0 && iw < g_.in_w;
          in[a * kA + b] =
              inside ? load_lanes(xn + (ih * g_.in_w + iw) * channels + c0, lanes) : Vec{};
        }
      }
      sandwich<kA, kA, W::kBt>(in, out);
      store_points(out, c, tile, channels, c0, lanes, v);
    });
  }

  // y for the chunk's samples from the products P[xi][t][co]; adds the bias unless null and
  // applies ReLU when `relu` (other activations are applied by the caller afterwards). With
  // Pooling::kMax2x2, y is the pooled tensor and gets each 2x2 block's maximum (M is even, so
  // the blocks are the pooling windows; blocks past the pooled edge are dropped), and `winners`
  // unless null which output of the block won.
  void transform_output(const Chunk& c, const float* prod, const float* bias, bool relu,
                        Pooling pooling, float* y, float* winners) const {
    const long channels = g_.out_c;
    for_each_tile_block(c, channels, [&](long n, long th, long tw, long tile, long c0, int lanes) {
      Vec in[kA * kA];
      Vec out[M * M];
      load_points(prod, c, tile, channels, c0, lanes, in);
      sandwich<M, kA, W::kAt>(in, out);
      const Vec b = bias != nullptr ? load_lanes(bias + c0, lanes) : Vec{};
      for (Vec& value : out) {
        if (bias != nullptr) {
          value += b;
        }
        if (relu) {
          value = relu_lanes(value);
        }
      }
      if (pooling == Pooling::kMax2x2) {
        for_each_window(n, th, tw, c0, [&](int r, int s, long at) {
          const PooledLanes p = max_pool_window(out[r * M + s], out[r * M + s + 1],
                                                out[(r + 1) * M + s], out[(r + 1) * M + s + 1]);
          store_lanes(p.max, lanes, y + at);
          if (winners != nullptr) {
            store_lanes(p.winner, lanes, winners + at);
          }
        });
        return;
      }
      for (int r = 0; r < M; ++r) {
        for (int s = 0; s < M; ++s) {
          const long oh = th * M + r;
          const long ow = tw * M + s;
          if (oh < g_.out_h && ow < g_.out_w) {
            store_lanes(out[r * M + s], lanes,
                        y + n * g_.out_size() + (oh * g_.out_w + ow) * channels + c0);
          }
        }
      }
    });
  }

  // dP[xi][t][co] = At^T delta At for the chunk's tiles (outputs past the edge count as 0).
  // With `relu_y`, delta is dy masked where y <= 0 (ReLU's derivative, fused here), else dy
  // is delta itself. Adds delta's column sums (the bias gradient) to bias_sums unless null.
  // With Pooling::kMax2x2, dy and relu_y are the pooled tensors and `winners` what forward
  // recorded: delta is what the pooling layer's scatter and the activation's derivative give.
  void transform_output_gradient(const Chunk& c, const float* dy, const float* relu_y,
                                 Pooling pooling, const float* winners, float* bias_sums,
                                 float* dprod) const {
    const long channels = g_.out_c;
    for_each_tile_block(c, channels, [&](long n, long th, long tw, long tile, long c0, int lanes) {
      Vec in[M * M] = {};
      if (pooling == Pooling::kMax2x2) {
        for_each_window(n, th, tw, c0, [&](int r, int s, long at) {
          const Vec dpool = load_lanes(dy + at, lanes);
          const Vec pooled = relu_y != nullptr ? load_lanes(relu_y + at, lanes) : Vec{};
          const Vec winner = load_lanes(winners + at, lanes);
          const bool relu = relu_y != nullptr;
          in[r * M + s] = unpool_window_gradient(dpool, pooled, winner, 0, relu);
          in[r * M + s + 1] = unpool_window_gradient(dpool, pooled, winner, 1, relu);
          in[(r + 1) * M + s] = unpool_window_gradient(dpool, pooled, winner, 2, relu);
          in[(r + 1) * M + s + 1] = unpool_window_gradient(dpool, pooled, winner, 3, relu);
        });
      }
      for (int r = 0; r < M; ++r) {
        for (int s = 0; s < M; ++s) {
          const long oh = th * M + r;
          const long ow = tw * M + s;
          if (oh >= g_.out_h || ow >= g_.out_w) {
            continue;
          }
          if (pooling == Pooling::kNone) {
            const long at = n * g_.out_size() + (oh * g_.out_w + ow) * channels + c0;
            Vec d = load_lanes(dy + at, lanes);
            if (relu_y != nullptr) {
              d = load_lanes(relu_y + at, lanes) > 0.0F ? d : Vec{};
            }
            in[r * M + s] = d;
          }
          if (bias_sums != nullptr) {
            add_lanes(in[r * M + s], lanes, bias_sums + c0);
          }
        }
      }
      Vec out[kA * kA];
      sandwich_t<M, kA, W::kAt>(in, out);
      store_points(out, c, tile, channels, c0, lanes, dprod);
    });
  }

  // Calls fn(r, s, at) for each 2x2 pooling window inside tile (th, tw) of sample n that the
  // pooled tensor keeps: (r, s) is its top-left output within the tile, `at` the offset of its
  // pooled value for channel c0.
  template <typename Fn>
  void for_each_window(long n, long th, long tw, long c0, const Fn& fn) const {
    const long pooled_h = g_.out_h / 2;
    const long pooled_w = g_.out_w / 2;
    for (int r = 0; r < M; r += 2) {
      for (int s = 0; s < M; s += 2) {
        const long ph = (th * M + r) / 2;
        const long pw = (tw * M + s) / 2;
        if (ph < pooled_h && pw < pooled_w) {
          fn(r, s, ((n * pooled_h + ph) * pooled_w + pw) * g_.out_c + c0);
        }
      }
    }
  }

  // dx for the chunk's samples from dV[xi][t][ci]: Bt^T dV Bt added over overlapping tiles.
  void add_input_gradient(const Chunk& c, const float* dv, float* dx) const {
    const long channels = g_.in_c;
    std::fill(dx + c.n0 * g_.in_size(), dx + (c.n0 + c.count) * g_.in_size(), 0.0F);
    for_each_tile_block(c, channels, [&](long n, long th, long tw, long tile, long c0, int lanes) {
      Vec in[kA * kA];
      Vec out[kA * kA];
      load_points(dv, c, tile, channels, c0, lanes, in);
      sandwich_t<kA, kA, W::kBt>(in, out);
      for (int a = 0; a < kA; ++a) {
        for (int b = 0; b < kA; ++b) {
          const long ih = th * M - g_.pad_top + a;
          const long iw = tw * M - g_.pad_left + b;
          if (ih >= 0 && ih < g_.in_h && iw >= 0 && iw < g_.in_w) {
            add_lanes(out[a * kA + b], lanes,
                      dx + n * g_.in_size() + (ih * g_.in_w + iw) * channels + c0);
          }
        }
      }
    });
  }

  [[nodiscard]] Chunk chunk(std::size_t index, long batch) const {
    const long n0 = static_cast<long>(index) * t_.samples_per_chunk;
    const long count = std::min(t_.samples_per_chunk, batch - n0);
    return {n0, count, count * t_.per_sample};
  }
  // Offset of a chunk's block in the V workspace.
  [[nodiscard]] long input_offset(const Chunk& c) const {
    return c.n0 * t_.per_sample * t_.points * g_.in_c;
  }

 private:
  const Conv2DGeometry& g_;
  const Tiling& t_;
};

template <int M>
void forward(const Conv2DGeometry& g, long batch, const float* x, const float* w, const float* b,
             Activation act, Pooling pooling, float* winners, float* y, float* u, float* v) {
  const Tiling t(g, M);
  const Winograd<M> wino(g, t);
  wino.transform_kernel(w, u);
  const long ci = g.in_c;
  const long co = g.out_c;
  parallel_for(0, t.chunks(batch), 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t index = first; index < last; ++index) {
      const Chunk c = wino.chunk(index, batch);
      float* vc = v != nullptr ? v + wino.input_offset(c)
                               : thread_scratch(Scratch::kInputs,
                                                static_cast<std::size_t>(c.tiles * t.points * ci));
      float* pc =
          thread_scratch(Scratch::kProducts, static_cast<std::size_t>(c.tiles * t.points * co));
      wino.transform_input(c, x, vc);
      for (long p = 0; p < t.points; ++p) {
        gemm(false, false, as_int(c.tiles), as_int(co), as_int(ci), 1.0F, vc + p * c.tiles * ci,
             as_int(ci), u + p * ci * co, as_int(co), 0.0F, pc + p * c.tiles * co, as_int(co));
      }
      if (act == Activation::kLinear || act == Activation::kRelu) {
        wino.transform_output(c, pc, b, act == Activation::kRelu, pooling, y, winners);
      } else {
        wino.transform_output(c, pc, nullptr, false, Pooling::kNone, y, nullptr);
        add_bias_activate(y + c.n0 * g.out_size(), b, act, c.count * g.pixels(), co);
      }
    }
  });
}

template <int M>
void backward(const Conv2DGeometry& g, long batch, const float* u, float* v, Activation act,
              Pooling pooling, const float* winners, const float* y, const float* dy, float* dw,
              float* db, float* dx, float* delta, float* partials) {
  const Tiling t(g, M);
  const Winograd<M> wino(g, t);
  const long ci = g.in_c;
  const long co = g.out_c;
  const long du_size = t.points * ci * co;
  const long stride = du_size + co;  // one chunk's dU then db
  const std::size_t chunks = t.chunks(batch);
  parallel_for(0, chunks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t index = first; index < last; ++index) {
      const Chunk c = wino.chunk(index, batch);
      const long offset = c.n0 * g.out_size();
      float* vc = v + wino.input_offset(c);
      float* pc =
          thread_scratch(Scratch::kProducts, static_cast<std::size_t>(c.tiles * t.points * co));
      float* part = partials + static_cast<long>(index) * stride;
      std::fill(part + du_size, part + stride, 0.0F);
      if (act == Activation::kLinear || act == Activation::kRelu) {
        // ReLU's derivative and the bias gradient are taken while the tiles are loaded.
        wino.transform_output_gradient(c, dy, act == Activation::kRelu ? y : nullptr, pooling,
                                       winners, part + du_size, pc);
      } else {
        activation_backward(act, y + offset, dy + offset, delta + offset, c.count * g.pixels(), co);
        wino.transform_output_gradient(c, delta, nullptr, Pooling::kNone, nullptr, nullptr, pc);
        add_column_sums(delta + offset, c.count * g.pixels(), co, part + du_size);
      }
      for (long p = 0; p < t.points; ++p) {
        // dU[xi] = V[xi]^T dP[xi]
        gemm(true, false, as_int(ci), as_int(co), as_int(c.tiles), 1.0F, vc + p * c.tiles * ci,
             as_int(ci), pc + p * c.tiles * co, as_int(co), 0.0F, part + p * ci * co, as_int(co));
      }
      if (dx != nullptr) {
        for (long p = 0; p < t.points; ++p) {
          // dV[xi] = dP[xi] U[xi]^T, over V (no longer needed)
          gemm(false, true, as_int(c.tiles), as_int(ci), as_int(co), 1.0F, pc + p * c.tiles * co,
               as_int(co), u + p * ci * co, as_int(co), 0.0F, vc + p * c.tiles * ci, as_int(ci));
        }
        wino.add_input_gradient(c, vc, dx);
      }
    }
  });
  // Add the chunks up in chunk order, then go back to the kernel's domain once.
  sum_chunks_into_first(partials, chunks, static_cast<std::size_t>(stride));
  wino.add_kernel_gradient(partials, dw);
  if (db != nullptr) {
    for (long o = 0; o < co; ++o) {
      db[o] += partials[du_size + o];
    }
  }
}

}  // namespace

bool winograd_applies(const Conv2DGeometry& g) {
  return g.k_h == 3 && g.k_w == 3 && g.stride_h == 1 && g.stride_w == 1;
}

WinogradSizes winograd_sizes(const Conv2DGeometry& g, long tile, long max_batch) {
  const Tiling t(g, tile);
  const auto tiles = static_cast<std::size_t>(max_batch * t.per_sample * t.points);
  return {static_cast<std::size_t>(t.points * g.in_c * g.out_c),
          tiles * static_cast<std::size_t>(g.in_c),
          t.chunks(max_batch) * static_cast<std::size_t>(t.points * g.in_c * g.out_c + g.out_c)};
}

void winograd_forward(const Conv2DGeometry& g, long tile, long batch, const float* x,
                      const float* w, const float* b, Activation act, float* y, float* u, float* v,
                      Pooling pooling, float* winners) {
  assert(winograd_applies(g) && (tile == 2 || tile == 4));
  assert(pooling == Pooling::kNone || act == Activation::kLinear || act == Activation::kRelu);
  if (tile == 2) {
    forward<2>(g, batch, x, w, b, act, pooling, winners, y, u, v);
  } else {
    forward<4>(g, batch, x, w, b, act, pooling, winners, y, u, v);
  }
}

void winograd_backward(const Conv2DGeometry& g, long tile, long batch, const float* u, float* v,
                       Activation act, const float* y, const float* dy, float* dw, float* db,
                       float* dx, float* delta, float* partials, Pooling pooling,
                       const float* winners) {
  assert(winograd_applies(g) && (tile == 2 || tile == 4));
  assert(pooling == Pooling::kNone || act == Activation::kLinear || act == Activation::kRelu);
  if (tile == 2) {
    backward<2>(g, batch, u, v, act, pooling, winners, y, dy, dw, db, dx, delta, partials);
  } else {
    backward<4>(g, batch, u, v, act, pooling, winners, y, dy, dw, db, dx, delta, partials);
  }
}

}  // namespace runner::kernels
