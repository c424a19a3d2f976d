#include "layers/kernels/depthwise_conv2d.hpp"

#include <algorithm>

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

// One output pixel of a depthwise convolution with one filter per channel: each register of
// channels starts from the bias and adds the taps in for_each_tap's order, in registers, up to
// kForwardVecs registers at once so their multiply-adds do not wait on each other. (Added in
// memory tap by tap, the loop ran slower than PyTorch's: 1.9 against 1.5 ms for 14x14x32 at batch
// 64 on one thread; one register at a time, 1.6 ms, waiting on each multiply-add's latency.)
constexpr int kForwardVecs = 4;

template <int NV>
void full_vectors_forward(const DepthwiseGeometry& g, const float* x, const float* w,
                          const float* b, long oy, long ox, long c0, float* y) {
  Vec acc[NV];
  for (int j = 0; j < NV; ++j) {
    acc[j] = b != nullptr ? load_full(b + c0 + j * kLanes) : Vec{};
  }
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    const float* xp = x + pixel * g.in_c + c0;
    const float* wp = w + tap * g.in_c + c0;
    for (int j = 0; j < NV; ++j) {
      acc[j] += load_full(xp + j * kLanes) * load_full(wp + j * kLanes);
    }
  });
  for (int j = 0; j < NV; ++j) {
    store_full(acc[j], y + c0 + j * kLanes);
  }
}

void pixel_forward(const DepthwiseGeometry& g, const float* x, const float* w, const float* b,
                   long oy, long ox, float* y) {
  const long full = g.in_c / kLanes;
  for (long v0 = 0; v0 < full; v0 += kForwardVecs) {
    with_constant<kForwardVecs>(std::min<long>(kForwardVecs, full - v0), [&](auto nv) {
      full_vectors_forward<decltype(nv)::value>(g, x, w, b, oy, ox, v0 * kLanes, y);
    });
  }
  const long c0 = full * kLanes;
  if (c0 == g.in_c) {
    return;
  }
  const int lanes = static_cast<int>(g.in_c - c0);
  Vec acc = b != nullptr ? load_lanes(b + c0, lanes) : Vec{};
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    acc += load_lanes(x + pixel * g.in_c + c0, lanes) * load_lanes(w + tap * g.in_c + c0, lanes);
  });
  store_lanes(acc, lanes, y + c0);
}

// The gradients one output pixel adds (one filter per channel), its output gradient d held in
// registers: db and each tap's dw and dx in the order of the general loops below, a register of
// channels per load and store. (14x14x32 at batch 64: backward 3.2 -> 2.6 ms on one thread.)
struct PixelGradients {
  float* dw;
  float* db;
  float* dx;  // null: no input gradient
};

template <int NV>
void full_vectors_backward(const DepthwiseGeometry& g, const float* x, const float* w,
                           const float* d, long oy, long ox, long c0, const PixelGradients& out) {
  Vec dv[NV];
  for (int j = 0; j < NV; ++j) {
    dv[j] = load_full(d + c0 + j * kLanes);
    store_full(load_full(out.db + c0 + j * kLanes) + dv[j], out.db + c0 + j * kLanes);
  }
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    const float* xp = x + pixel * g.in_c + c0;
    float* dwp = out.dw + tap * g.in_c + c0;
    for (int j = 0; j < NV; ++j) {
      store_full(load_full(dwp + j * kLanes) + load_full(xp + j * kLanes) * dv[j],
                 dwp + j * kLanes);
    }
    if (out.dx != nullptr) {
      const float* wp = w + tap * g.in_c + c0;
      float* dxp = out.dx + pixel * g.in_c + c0;
      for (int j = 0; j < NV; ++j) {
        store_full(load_full(dxp + j * kLanes) + dv[j] * load_full(wp + j * kLanes),
                   dxp + j * kLanes);
      }
    }
  });
}

void pixel_backward(const DepthwiseGeometry& g, const float* x, const float* w, const float* d,
                    long oy, long ox, const PixelGradients& out) {
  const long full = g.in_c / kLanes;
  for (long v0 = 0; v0 < full; v0 += kForwardVecs) {
    with_constant<kForwardVecs>(std::min<long>(kForwardVecs, full - v0), [&](auto nv) {
      full_vectors_backward<decltype(nv)::value>(g, x, w, d, oy, ox, v0 * kLanes, out);
    });
  }
  const long c0 = full * kLanes;
  if (c0 == g.in_c) {
    return;
  }
  const int lanes = static_cast<int>(g.in_c - c0);
  const Vec dv = load_lanes(d + c0, lanes);
  store_lanes(load_lanes(out.db + c0, lanes) + dv, lanes, out.db + c0);
  for_each_tap(g, oy, ox, [&](long tap, long pixel) {
    float* dwp = out.dw + tap * g.in_c + c0;
    store_lanes(load_lanes(dwp, lanes) + load_lanes(x + pixel * g.in_c + c0, lanes) * dv, lanes,
                dwp);
    if (out.dx != nullptr) {
      float* dxp = out.dx + pixel * g.in_c + c0;
      store_lanes(load_lanes(dxp, lanes) + dv * load_lanes(w + tap * g.in_c + c0, lanes), lanes,
                  dxp);
    }
  });
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

}  // namespace

void depthwise_forward(const DepthwiseGeometry& g, Activation act, const DepthwiseForward& t) {
  const long oc = g.out_c();
  const auto rows = static_cast<std::size_t>(t.batch * g.out_h);
  parallel_for(0, rows, kRowsPerTask, [&](std::size_t first, std::size_t last) {
    for (auto row = static_cast<long>(first); row < static_cast<long>(last); ++row) {
      const long n = row / g.out_h;
      const long oy = row % g.out_h;
      const float* x = t.x + n * g.in_size();
      float* y = t.y + row * g.out_w * oc;
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
