#include "layers/kernels/pool2d.hpp"

#include <algorithm>

#include "framework/core/parallel.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kSamplesPerTask = 4;

// One output pixel: the first valid tap initializes, later taps win only when strictly
// greater (the first maximum wins ties, as in PyTorch). Branch-free over channels, so the
// compiler vectorizes it.
template <bool kArgmax>
void pool_pixel(const Pool2DGeometry& g, const float* __restrict xn, long oh, long ow,
                float* __restrict yo, std::int32_t* __restrict ao) {
  const long c_count = g.channels;
  bool first = true;
  for (long ky = 0; ky < g.pool_h; ++ky) {
    const long ih = oh * g.stride_h - g.pad_top + ky;
    if (ih < 0 || ih >= g.in_h) {
      continue;
    }
    for (long kx = 0; kx < g.pool_w; ++kx) {
      const long iw = ow * g.stride_w - g.pad_left + kx;
      if (iw < 0 || iw >= g.in_w) {
        continue;
      }
      const long base = (ih * g.in_w + iw) * c_count;
      const float* __restrict xv = xn + base;
      const auto base32 = static_cast<std::int32_t>(base);
      if (first) {
        for (long c = 0; c < c_count; ++c) {
          yo[c] = xv[c];
          if constexpr (kArgmax) {
            ao[c] = base32 + static_cast<std::int32_t>(c);
          }
        }
        first = false;
        continue;
      }
      for (long c = 0; c < c_count; ++c) {
        const bool wins = xv[c] > yo[c];
        yo[c] = wins ? xv[c] : yo[c];
        if constexpr (kArgmax) {
          ao[c] = wins ? base32 + static_cast<std::int32_t>(c) : ao[c];
        }
      }
    }
  }
}
// The common case (2x2 windows, stride 2, no padding) with the four taps held in registers.
// Without kArgmax (inference) only the maxima are written.
template <bool kArgmax>
void pool_2x2_sample(const Pool2DGeometry& g, const float* __restrict xn, float* __restrict yn,
                     std::int32_t* __restrict an) {
  const long c_count = g.channels;
  const long row = g.in_w * c_count;
  for (long oh = 0; oh < g.out_h; ++oh) {
    for (long ow = 0; ow < g.out_w; ++ow) {
      const long base = (2 * oh * g.in_w + 2 * ow) * c_count;
      const float* __restrict x00 = xn + base;
      const float* __restrict x01 = x00 + c_count;
      const float* __restrict x10 = x00 + row;
      const float* __restrict x11 = x10 + c_count;
      float* __restrict yo = yn + (oh * g.out_w + ow) * c_count;
      std::int32_t* __restrict ao = kArgmax ? an + (oh * g.out_w + ow) * c_count : nullptr;
      const auto b00 = static_cast<std::int32_t>(base);
      const auto b01 = static_cast<std::int32_t>(base + c_count);
      const auto b10 = static_cast<std::int32_t>(base + row);
      const auto b11 = static_cast<std::int32_t>(base + row + c_count);
      for (long c = 0; c < c_count; ++c) {
        const auto ci = static_cast<std::int32_t>(c);
        float m = x00[c];
        std::int32_t i = b00 + ci;
        const bool w1 = x01[c] > m;
        m = w1 ? x01[c] : m;
        i = w1 ? b01 + ci : i;
        const bool w2 = x10[c] > m;
        m = w2 ? x10[c] : m;
        i = w2 ? b10 + ci : i;
        const bool w3 = x11[c] > m;
        m = w3 ? x11[c] : m;
        i = w3 ? b11 + ci : i;
        yo[c] = m;
        if constexpr (kArgmax) {
          ao[c] = i;
        }
      }
    }
  }
}

// Backward of pool_2x2_sample when the windows tile the input exactly: each input element
// belongs to one window, so it is written once (its window's gradient or zero), with no
// separate zeroing pass.
void route_2x2_sample(const Pool2DGeometry& g, const float* __restrict dyn,
                      const std::int32_t* __restrict an, float* __restrict dxn) {
  const long c_count = g.channels;
  const long row = g.in_w * c_count;
  for (long oh = 0; oh < g.out_h; ++oh) {
    for (long ow = 0; ow < g.out_w; ++ow) {
      const long base = (2 * oh * g.in_w + 2 * ow) * c_count;
      const long o = (oh * g.out_w + ow) * c_count;
      const auto b00 = static_cast<std::int32_t>(base);
      const auto b01 = static_cast<std::int32_t>(base + c_count);
      const auto b10 = static_cast<std::int32_t>(base + row);
      const auto b11 = static_cast<std::int32_t>(base + row + c_count);
      for (long c = 0; c < c_count; ++c) {
        const auto ci = static_cast<std::int32_t>(c);
        const float d = dyn[o + c];
        const std::int32_t a = an[o + c];
        dxn[base + c] = a == b00 + ci ? d : 0.0F;
        dxn[base + c_count + c] = a == b01 + ci ? d : 0.0F;
        dxn[base + row + c] = a == b10 + ci ? d : 0.0F;
        dxn[base + row + c_count + c] = a == b11 + ci ? d : 0.0F;
      }
    }
  }
}

bool is_plain_2x2(const Pool2DGeometry& g) {
  return g.pool_h == 2 && g.pool_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_top == 0 &&
         g.pad_left == 0 && 2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w;
}
}  // namespace

void max_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y,
                        std::int32_t* argmax) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   const float* xn = x + n * g.in_size();
                   if (is_plain_2x2(g)) {
                     if (argmax != nullptr) {
                       pool_2x2_sample<true>(g, xn, y + n * g.out_size(),
                                             argmax + n * g.out_size());
                     } else {
                       pool_2x2_sample<false>(g, xn, y + n * g.out_size(), nullptr);
                     }
                     continue;
                   }
                   for (long oh = 0; oh < g.out_h; ++oh) {
                     for (long ow = 0; ow < g.out_w; ++ow) {
                       const long offset = n * g.out_size() + (oh * g.out_w + ow) * g.channels;
                       if (argmax != nullptr) {
                         pool_pixel<true>(g, xn, oh, ow, y + offset, argmax + offset);
                       } else {
                         pool_pixel<false>(g, xn, oh, ow, y + offset, nullptr);
                       }
                     }
                   }
                 }
               });
}

void max_pool2d_backward(const Pool2DGeometry& g, long batch, const float* dy,
                         const std::int32_t* argmax, float* dx) {
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   float* dxn = dx + n * g.in_size();
                   const float* dyn = dy + n * g.out_size();
                   const std::int32_t* an = argmax + n * g.out_size();
                   if (is_plain_2x2(g) && 2 * g.out_h == g.in_h && 2 * g.out_w == g.in_w) {
                     route_2x2_sample(g, dyn, an, dxn);
                     continue;
                   }
                   std::fill(dxn, dxn + g.in_size(), 0.0F);
                   for (long i = 0; i < g.out_size(); ++i) {
                     dxn[an[i]] += dyn[i];
                   }
                 }
               });
}

namespace {
// The valid rows [first, last) of output row `o` on an axis of `in` inputs.
struct Taps {
  long first, last;
};
Taps taps(long o, long stride, long pad, long window, long in) {
  const long start = o * stride - pad;
  return {std::max(start, 0L), std::min(start + window, in)};
}

// 1 / the number of taps of a window, divided only when that number changes (a division per
// output pixel was a third of a pooling of 6 channels).
class WindowScale {
 public:
  float operator()(const Taps& rows, const Taps& cols) {
    const long count = (rows.last - rows.first) * (cols.last - cols.first);
    if (count != count_) {
      count_ = count;
      scale_ = 1.0F / static_cast<float>(count);
    }
    return scale_;
  }

 private:
  long count_ = 0;
  float scale_ = 0.0F;
};

// Whether a window of fewer channels than a register may be read and written with whole
// registers: the loads' extra lanes (the next pixels' channels) stay inside the input, and the
// store's inside this sample's output, where the next window's store overwrites them (windows
// run in order, each sample in one task). The channels' lanes add the same values in the same
// order as the partial loads, so the results are the same bits; the partial ones cost a third
// of LeNet-5's 6-channel pooling.
bool narrow_window_fits(const Pool2DGeometry& g, const Taps& rows, const Taps& cols,
                        const float* xn, const float* yo, const float* x_end, const float* yn_end) {
  if (g.channels >= kLanes || rows.first >= rows.last || cols.first >= cols.last) {
    return false;
  }
  const float* last_read = xn + ((rows.last - 1) * g.in_w + cols.last - 1) * g.channels;
  return last_read + kLanes <= x_end && yo + kLanes <= yn_end;
}
}  // namespace

// Each output's taps are added in row-major order to zero, then scaled (one register of channels
// at a time: a loop over a few channels, as after LeNet-5's 6-filter convolution, ran scalar at 35
// ns an output pixel).
void avg_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y) {
  const float* x_end = x + batch * g.in_size();
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 WindowScale scales;
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   const float* xn = x + n * g.in_size();
                   const float* yn_end = y + (n + 1) * g.out_size();
                   for (long oh = 0; oh < g.out_h; ++oh) {
                     const Taps rows = taps(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
                     for (long ow = 0; ow < g.out_w; ++ow) {
                       const Taps cols = taps(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
                       float* yo = y + n * g.out_size() + (oh * g.out_w + ow) * g.channels;
                       const float scale = scales(rows, cols);
                       if (narrow_window_fits(g, rows, cols, xn, yo, x_end, yn_end)) {
                         Vec sum{};
                         for (long ih = rows.first; ih < rows.last; ++ih) {
                           for (long iw = cols.first; iw < cols.last; ++iw) {
                             sum += load_full(xn + (ih * g.in_w + iw) * g.channels);
                           }
                         }
                         store_full(sum * scale, yo);
                         continue;
                       }
                       for_each_channel_block(g.channels, [&](auto full, long c0, int lanes) {
                         constexpr bool kFull = decltype(full)::value;
                         Vec sum{};
                         for (long ih = rows.first; ih < rows.last; ++ih) {
                           for (long iw = cols.first; iw < cols.last; ++iw) {
                             sum += load_block<kFull>(xn + (ih * g.in_w + iw) * g.channels + c0,
                                                      lanes);
                           }
                         }
                         store_block<kFull>(sum * scale, lanes, yo + c0);
                       });
                     }
                   }
                 }
               });
}

namespace {

// Windows that tile the input without overlap or padding (strides equal to the pool, Keras'
// default): each input pixel is in one window or none, and every window is full.
bool windows_tile(const Pool2DGeometry& g) {
  return g.stride_h == g.pool_h && g.stride_w == g.pool_w && g.pad_top == 0 && g.pad_left == 0 &&
         g.out_h * g.pool_h <= g.in_h && g.out_w * g.pool_w <= g.in_w;
}

// One sample's dx for tiling windows: each window's first input row written once (0 + dy *
// scale, the bits of the general loop's one addition into zero), copied to the window's other
// rows; what no window covers is zeroed. The general loop zeroed the sample, then added six
// channels at a time: four times the forward's time for LeNet's pooling.
void avg_pool_tiled_backward(const Pool2DGeometry& g, float scale, const float* __restrict dyn,
                             float* __restrict dxn) {
  const long c_count = g.channels;
  const long in_row = g.in_w * c_count;
  const long window_row = g.pool_w * c_count;
  const long covered = g.out_w * window_row;
  for (long oh = 0; oh < g.out_h; ++oh) {
    float* __restrict row = dxn + oh * g.pool_h * in_row;
    const float* __restrict dyo = dyn + oh * g.out_w * c_count;
    for (long ow = 0; ow < g.out_w; ++ow) {
      for (long kx = 0; kx < g.pool_w; ++kx) {
        float* __restrict dxv = row + ow * window_row + kx * c_count;
        for (long c = 0; c < c_count; ++c) {
          dxv[c] = 0.0F + dyo[ow * c_count + c] * scale;
        }
      }
    }
    std::fill(row + covered, row + in_row, 0.0F);
    for (long ky = 1; ky < g.pool_h; ++ky) {
      std::copy(row, row + in_row, row + ky * in_row);
    }
  }
  std::fill(dxn + g.out_h * g.pool_h * in_row, dxn + g.in_size(), 0.0F);
}

}  // namespace

void avg_pool2d_backward(const Pool2DGeometry& g, long batch, const float* dy, float* dx) {
  if (windows_tile(g)) {
    const float scale = WindowScale{}(Taps{0, g.pool_h}, Taps{0, g.pool_w});
    parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
                 [&](std::size_t first, std::size_t last) {
                   for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                     avg_pool_tiled_backward(g, scale, dy + n * g.out_size(), dx + n * g.in_size());
                   }
                 });
    return;
  }
  parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
               [&](std::size_t first, std::size_t last) {
                 WindowScale scales;
                 for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                   float* dxn = dx + n * g.in_size();
                   std::fill(dxn, dxn + g.in_size(), 0.0F);
                   for (long oh = 0; oh < g.out_h; ++oh) {
                     const Taps rows = taps(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
                     for (long ow = 0; ow < g.out_w; ++ow) {
                       const Taps cols = taps(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
                       const float* __restrict dyo =
                           dy + n * g.out_size() + (oh * g.out_w + ow) * g.channels;
                       const float scale = scales(rows, cols);
                       for (long ih = rows.first; ih < rows.last; ++ih) {
                         for (long iw = cols.first; iw < cols.last; ++iw) {
                           float* __restrict dxv = dxn + (ih * g.in_w + iw) * g.channels;
                           for (long c = 0; c < g.channels; ++c) {
                             dxv[c] += dyo[c] * scale;
                           }
                         }
                       }
                     }
                   }
                 }
               });
}

}  // namespace runner::kernels
