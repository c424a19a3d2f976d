#include "layers/kernels/image_transform.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "framework/core/parallel.hpp"

namespace runner::kernels {
namespace {

constexpr std::size_t kRowsPerTask = 16;

// Brings a coordinate outside [0, len - 1] back inside by the fill mode (constant leaves it,
// and the reads outside give the fill value). The arithmetic is TensorFlow's, so the same
// pixels are read.
float map_coordinate(FillMode mode, float coord, long len) {
  const auto last = static_cast<float>(len - 1);
  switch (mode) {
    case FillMode::kConstant:
      return coord;
    case FillMode::kNearest:
      return std::clamp(coord, 0.0F, last);
    case FillMode::kReflect: {
      // [abcd] is extended as [dcba|abcd|dcba].
      if (len <= 1) {
        return 0.0F;
      }
      const auto period = static_cast<float>(2 * len);
      if (coord < 0) {
        if (coord < period) {
          coord += period * static_cast<float>(static_cast<long>(-coord / period));
        }
        coord = coord < -static_cast<float>(len) ? coord + period : -coord - 1;
      } else if (coord > last) {
        coord -= period * static_cast<float>(static_cast<long>(coord / period));
        if (coord >= static_cast<float>(len)) {
          coord = period - coord - 1;
        }
      }
      return std::clamp(coord, 0.0F, last);
    }
    case FillMode::kWrap: {
      // [abcd] is extended as [abcd|abcd|abcd].
      if (len <= 1) {
        return 0.0F;
      }
      const auto size = static_cast<float>(len);
      if (coord < 0) {
        coord += size * static_cast<float>(static_cast<long>(-coord / last) + 1);
      } else if (coord > last) {
        coord -= size * static_cast<float>(static_cast<long>(coord / last));
      }
      return std::clamp(coord, 0.0F, last);
    }
  }
  return coord;
}

// Up to four input pixels (index into the image's pixels, or -1 outside) and their weights;
// `outside` is the weight given to the fill value.
struct Taps {
  std::array<long, 4> pixel{-1, -1, -1, -1};
  std::array<float, 4> weight{};
  float outside = 0;
};

// Where output pixel (ox, oy) reads the input, before any fill mapping.
struct Point {
  float x, y;
};
Point source_of(const AffineMap& m, long ox, long oy) {
  const auto fx = static_cast<float>(ox);
  const auto fy = static_cast<float>(oy);
  return {m.a0 * fx + m.a1 * fy + m.a2, m.b0 * fx + m.b1 * fy + m.b2};
}

// Bilinear weights of (x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1) for (x, y), with
// x0 = floor(x) and y0 = floor(y) (TensorFlow's products).
std::array<float, 4> bilinear_weights(float x, float y, float x0, float y0) {
  const float x1 = x0 + 1;
  const float y1 = y0 + 1;
  return {(y1 - y) * (x1 - x), (y1 - y) * (x - x0), (y - y0) * (x1 - x), (y - y0) * (x - x0)};
}

Taps taps_of(const ImageTransformGeometry& g, const AffineMap& m, long ox, long oy) {
  auto [x, y] = source_of(m, ox, oy);
  // Points inside the image, the usual case, need no mapping in any fill mode.
  if (!(x >= 0.0F && x <= static_cast<float>(g.width - 1))) {
    x = map_coordinate(g.fill, x, g.width);
  }
  if (!(y >= 0.0F && y <= static_cast<float>(g.height - 1))) {
    y = map_coordinate(g.fill, y, g.height);
  }
  auto index = [&](float py, float px) {
    const auto iy = static_cast<long>(py);
    const auto ix = static_cast<long>(px);
    return 0 <= iy && iy < g.height && 0 <= ix && ix < g.width ? iy * g.width + ix : -1L;
  };
  Taps t;
  if (g.interpolation == Interpolation::kNearest) {
    t.pixel[0] = index(std::round(y), std::round(x));
    t.weight[0] = 1;
  } else {
    const float x0 = std::floor(x);
    const float y0 = std::floor(y);
    t.pixel = {index(y0, x0), index(y0, x0 + 1), index(y0 + 1, x0), index(y0 + 1, x0 + 1)};
    t.weight = bilinear_weights(x, y, x0, y0);
  }
  for (std::size_t k = 0; k < 4; ++k) {
    if (t.pixel[k] < 0) {
      t.outside += t.weight[k];
      t.weight[k] = 0;
    }
  }
  return t;
}

// The usual case, bilinear reads of four neighbours all inside the image, without the fill
// mapping and per-tap checks: the weights and the order of the sums are taps_of's. Returns
// false (nothing written) for every other point.
bool interior_bilinear(const ImageTransformGeometry& g, const AffineMap& m, long ox, long oy,
                       const float* src, float* dst) {
  const auto [x, y] = source_of(m, ox, oy);
  if (g.interpolation != Interpolation::kBilinear ||
      !(x >= 0.0F && y >= 0.0F && x < static_cast<float>(g.width - 1) &&
        y < static_cast<float>(g.height - 1))) {
    return false;
  }
  const float x0 = std::floor(x);
  const float y0 = std::floor(y);
  const auto [w00, w01, w10, w11] = bilinear_weights(x, y, x0, y0);
  const long c = g.channels;
  const float* top = src + (static_cast<long>(y0) * g.width + static_cast<long>(x0)) * c;
  const float* bottom = top + g.width * c;
  for (long k = 0; k < c; ++k) {
    float v = 0.0F;
    v += w00 * top[k];
    v += w01 * top[k + c];
    v += w10 * bottom[k];
    v += w11 * bottom[k + c];
    dst[k] = v;
  }
  return true;
}

}  // namespace

void transform_images(const ImageTransformGeometry& g, long batch, const AffineMap* maps,
                      const float* x, float* y) {
  const long c = g.channels;
  const long image = g.height * g.width * c;
  parallel_for(0, static_cast<std::size_t>(batch * g.height), kRowsPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto row = static_cast<long>(first); row < static_cast<long>(last); ++row) {
                   const long n = row / g.height;
                   const long oy = row % g.height;
                   const float* src = x + n * image;
                   for (long ox = 0; ox < g.width; ++ox) {
                     float* dst = y + (row * g.width + ox) * c;
                     if (interior_bilinear(g, maps[n], ox, oy, src, dst)) {
                       continue;
                     }
                     const Taps t = taps_of(g, maps[n], ox, oy);
                     for (long k = 0; k < c; ++k) {
                       float v = t.outside * g.fill_value;
                       for (std::size_t j = 0; j < 4; ++j) {
                         if (t.pixel[j] >= 0) {
                           v += t.weight[j] * src[t.pixel[j] * c + k];
                         }
                       }
                       dst[k] = v;
                     }
                   }
                 }
               });
}

void transform_images_backward(const ImageTransformGeometry& g, long batch, const AffineMap* maps,
                               const float* dy, float* dx) {
  const long c = g.channels;
  const long image = g.height * g.width * c;
  // One task per image: the scatter stays inside the image, in a fixed order.
  parallel_for(0, static_cast<std::size_t>(batch), 1, [&](std::size_t first, std::size_t last) {
    for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
      float* grad = dx + n * image;
      std::fill(grad, grad + image, 0.0F);
      for (long oy = 0; oy < g.height; ++oy) {
        for (long ox = 0; ox < g.width; ++ox) {
          const Taps t = taps_of(g, maps[n], ox, oy);
          const float* d = dy + n * image + (oy * g.width + ox) * c;
          for (std::size_t j = 0; j < 4; ++j) {
            if (t.pixel[j] >= 0 && t.weight[j] != 0) {
              float* to = grad + t.pixel[j] * c;
              for (long k = 0; k < c; ++k) {
                to[k] += t.weight[j] * d[k];
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace runner::kernels
