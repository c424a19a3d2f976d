#include "layers/kernels/conv2d_phases.hpp"

#include <algorithm>

#include "framework/core/parallel.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;

long ceil_div(long a, long b) {
  return (a + b - 1) / b;
}

// One pixel's channels, a register at a time (std::copy of a run-time count is a library call
// per pixel).
void copy_pixel(const float* src, long channels, float* dst) {
  for_each_channel_block(channels, [&](auto full, long c0, int lanes) {
    constexpr bool kFull = decltype(full)::value;
    store_block<kFull>(load_block<kFull>(src + c0, lanes), lanes, dst + c0);
  });
}

// Calls fn(pixel, phase_pixel) for each pixel of the batch's phase images, in tasks of samples:
// pixel is the offset in pixels from the batch's start of the pixel the phase pixel holds (-1 for
// the padding of a smaller phase), phase_pixel the offset from the phase batch's start.
template <typename Fn>
void for_each_phase_pixel(const PhaseLayout& p, long batch, const Fn& fn) {
  const long phases = p.d_h * p.d_w;
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   for (long py = 0; py < p.d_h; ++py) {
                     for (long px = 0; px < p.d_w; ++px) {
                       const long image = n * phases + py * p.d_w + px;
                       for (long i = 0; i < p.phase_h; ++i) {
                         for (long j = 0; j < p.phase_w; ++j) {
                           const long y = py + p.d_h * i;
                           const long x = px + p.d_w * j;
                           fn(y < p.h && x < p.w ? (n * p.h + y) * p.w + x : -1,
                              (image * p.phase_h + i) * p.phase_w + j);
                         }
                       }
                     }
                   }
                 }
               });
}
}  // namespace

bool phases_apply(const Conv2DGeometry& g) {
  return (g.dilation_h > 1 || g.dilation_w > 1) && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top % g.dilation_h == 0 && g.pad_left % g.dilation_w == 0;
}

Conv2DGeometry phase_geometry(const Conv2DGeometry& g) {
  Conv2DGeometry p = g;
  p.in_h = ceil_div(g.in_h, g.dilation_h);
  p.in_w = ceil_div(g.in_w, g.dilation_w);
  p.out_h = ceil_div(g.out_h, g.dilation_h);
  p.out_w = ceil_div(g.out_w, g.dilation_w);
  p.pad_top = g.pad_top / g.dilation_h;
  p.pad_left = g.pad_left / g.dilation_w;
  p.dilation_h = 1;
  p.dilation_w = 1;
  return p;
}

PhaseLayout input_phases(const Conv2DGeometry& g) {
  const Conv2DGeometry p = phase_geometry(g);
  return {g.in_h, g.in_w, g.in_c, g.dilation_h, g.dilation_w, p.in_h, p.in_w};
}

PhaseLayout output_phases(const Conv2DGeometry& g) {
  const Conv2DGeometry p = phase_geometry(g);
  return {g.out_h, g.out_w, g.out_c, g.dilation_h, g.dilation_w, p.out_h, p.out_w};
}

void split_phases(const PhaseLayout& p, long batch, const float* src, float* phases) {
  const long c = p.channels;
  for_each_phase_pixel(p, batch, [&](long pixel, long phase_pixel) {
    float* to = phases + phase_pixel * c;
    if (pixel < 0) {
      std::fill(to, to + c, 0.0F);
    } else {
      copy_pixel(src + pixel * c, c, to);
    }
  });
}

void merge_phases(const PhaseLayout& p, long batch, const float* phases, float* dst) {
  const long c = p.channels;
  for_each_phase_pixel(p, batch, [&](long pixel, long phase_pixel) {
    if (pixel >= 0) {
      copy_pixel(phases + phase_pixel * c, c, dst + pixel * c);
    }
  });
}

}  // namespace runner::kernels
