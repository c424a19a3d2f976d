// Winograd on a dilated convolution reads and writes its phase images where they lie in the
// tensors (kernels/conv2d_phases.hpp): bitwise what the undilated kernel gives on phase images
// copied out of the samples and back.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "layers/kernels/conv2d_phases.hpp"
#include "layers/kernels/winograd.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"
#include "tests/support/winograd_run.hpp"

namespace runner::test {

namespace {

struct Case {
  long batch, in_h, in_w, in_c, out_c, k, d_h, d_w;
  bool same;
};

// The phase batch of `batch` samples of h x w x channels: phase images of phase_h x phase_w,
// zeros past a smaller phase's edge (what the convolution's padding reads there).
struct PhaseCopy {
  long h, w, channels, d_h, d_w, phase_h, phase_w;

  // Calls fn(sample float offset or -1, phase batch float offset) per pixel.
  template <typename Fn>
  void for_each_pixel(long batch, const Fn& fn) const {
    for (long n = 0; n < batch; ++n) {
      for (long py = 0; py < d_h; ++py) {
        for (long px = 0; px < d_w; ++px) {
          const long image = (n * d_h + py) * d_w + px;
          for (long i = 0; i < phase_h; ++i) {
            for (long j = 0; j < phase_w; ++j) {
              const long y = py + d_h * i;
              const long x = px + d_w * j;
              fn(y < h && x < w ? ((n * h + y) * w + x) * channels : -1,
                 ((image * phase_h + i) * phase_w + j) * channels);
            }
          }
        }
      }
    }
  }
  [[nodiscard]] std::vector<float> split(long batch, const std::vector<float>& src) const {
    std::vector<float> phases(
        static_cast<std::size_t>(batch * d_h * d_w * phase_h * phase_w * channels));
    for_each_pixel(batch, [&](long at, long phase_at) {
      for (long k = 0; k < channels; ++k) {
        phases[static_cast<std::size_t>(phase_at + k)] =
            at < 0 ? 0.0F : src[static_cast<std::size_t>(at + k)];
      }
    });
    return phases;
  }
  [[nodiscard]] std::vector<float> merge(long batch, const std::vector<float>& phases) const {
    std::vector<float> dst(static_cast<std::size_t>(batch * h * w * channels));
    for_each_pixel(batch, [&](long at, long phase_at) {
      for (long k = 0; at >= 0 && k < channels; ++k) {
        dst[static_cast<std::size_t>(at + k)] = phases[static_cast<std::size_t>(phase_at + k)];
      }
    });
    return dst;
  }
};

}  // namespace

TEST_SUITE("winograd kernel") {
  // Odd sides (phases of unequal sizes), unequal dilations, 3x3 and 5x5 ("same" and "valid") and
  // 2x2 ("valid": "same" pads d / 2, not a multiple of d),
  // channels past a register's 16, a batch that V is rebuilt for (28x28x32 at 4); ReLU and
  // linear take the output gradient in the tile transform, tanh in a pass over the chunk's
  // samples.
  TEST_CASE("Winograd on a dilated convolution equals the undilated kernel on copied phases") {
    const Case cases[] = {{3, 9, 11, 9, 10, 3, 2, 2, true},    {2, 10, 13, 16, 32, 3, 2, 3, true},
                          {2, 12, 11, 9, 17, 5, 2, 2, true},   {9, 8, 8, 8, 16, 3, 3, 3, false},
                          {64, 28, 28, 32, 32, 3, 2, 2, true}, {5, 14, 14, 24, 48, 3, 2, 2, true},
                          {3, 9, 11, 9, 10, 2, 2, 3, false},   {4, 12, 12, 16, 32, 2, 2, 2, false}};
    for (const Case& c : cases) {
      for (const auto act :
           {kernels::Activation::kRelu, kernels::Activation::kLinear, kernels::Activation::kTanh}) {
        CAPTURE(c.in_h);
        CAPTURE(c.in_w);
        CAPTURE(c.k);
        CAPTURE(c.d_h);
        CAPTURE(c.d_w);
        CAPTURE(kernels::activation_name(act));
        const kernels::Conv2DGeometry g =
            dilated_geometry(c.in_h, c.in_w, c.in_c, c.out_c, c.k, c.d_h, c.d_w, c.same);
        REQUIRE(kernels::winograd_applies(g));
        const kernels::Conv2DGeometry p = kernels::phase_geometry(g);
        const long phases = kernels::phases_per_sample(g);
        const PhaseCopy input{g.in_h, g.in_w, g.in_c, c.d_h, c.d_w, p.in_h, p.in_w};
        const PhaseCopy output{g.out_h, g.out_w, g.out_c, c.d_h, c.d_w, p.out_h, p.out_w};
        const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
        const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
        const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
        const auto dy = pattern(static_cast<std::size_t>(c.batch * g.out_size()), 0.71);

        const WinogradBuffers in_place =
            run_winograd(g, kernels::winograd_tile(g), c.batch, act, x, w, b, dy);
        const WinogradBuffers copied =
            run_winograd(p, kernels::winograd_tile(p), c.batch * phases, act,
                         input.split(c.batch, x), w, b, output.split(c.batch, dy));
        CHECK(bitwise_equal(in_place.y, output.merge(c.batch, copied.y)));
        // Backward works chunk by chunk (the weight gradient's sums, the input gradient's groups
        // of tiles), and chunks hold whole samples (Tiling): the phase batch's chunks when a
        // power of two of images is a multiple of the phases. tanh's bias gradient sums the
        // samples' pixels in their own order.
        const bool same_chunks = phases == 4;
        const bool same_bias_order = same_chunks && act != kernels::Activation::kTanh;
        const auto dx = input.merge(c.batch, copied.dx);
        if (same_chunks) {
          CHECK(bitwise_equal(in_place.dx, dx));
          CHECK(bitwise_equal(in_place.dw, copied.dw));
        }
        if (same_bias_order) {
          CHECK(bitwise_equal(in_place.db, copied.db));
        }
        CHECK(max_abs_difference(in_place.dx, dx) < 1e-4);
        CHECK(max_abs_difference(in_place.dw, copied.dw) < 1e-4);
        CHECK(max_abs_difference(in_place.db, copied.db) < 1e-4);
      }
    }
  }
}

}  // namespace runner::test
