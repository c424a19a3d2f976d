#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstdint>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/pooling.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("AveragePooling2D") {
  TEST_CASE("AveragePooling2D shapes follow Keras") {
    CHECK(make_layer_model("AveragePooling2D", Shape{28, 28, 8}, 1).output_shape() ==
          Shape{14, 14, 8});
    CHECK(make_layer_model("{type: AveragePooling2D, padding: same}", Shape{5, 5, 3}, 1)
              .output_shape() == Shape{3, 3, 3});
    CHECK(make_layer_model("{type: AveragePooling2D, pool_size: 3, strides: 1}", Shape{5, 6, 1}, 1)
              .output_shape() == Shape{3, 4, 1});
  }

  TEST_CASE("AveragePooling2D forward matches PyTorch and TensorFlow's same padding") {
    // Numbers: tests/reference/layers/pooling.py (F.avg_pool2d; 'same' averages valid taps).
    const Tensor x = sine_input(Shape{2, 5, 5, 3});
    Model valid = make_layer_model("AveragePooling2D", Shape{5, 5, 3}, 2);
    check_close(valid.forward(x, Pass{}), reference::kAvgPoolValid, 1e-6F);
    Model same = make_layer_model("{type: AveragePooling2D, padding: same}", Shape{5, 5, 3}, 2);
    check_close(same.forward(x, Pass{}), reference::kAvgPoolSame, 1e-6F);
    Model overlap =
        make_layer_model("{type: AveragePooling2D, pool_size: 3, strides: 1}", Shape{5, 5, 3}, 2);
    check_close(overlap.forward(x, Pass{}), reference::kAvgPoolOverlap, 1e-6F);
  }

  TEST_CASE("AveragePooling2D gradients match finite differences") {
    for (const char* yaml : {"AveragePooling2D",
                             "{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}"}) {
      CAPTURE(yaml);
      Model m = make_layer_model(yaml, Shape{5, 5, 3}, 2);
      CHECK(gradcheck(m, sine_input(Shape{2, 5, 5, 3}), Pass{Mode::kTrain, 0}, 1e-2F)
                .max_input_error < 1e-3);
    }
  }

  // Fewer channels than a register take whole-register loads and overlapping stores except
  // where they would leave the input or the sample's output: the bits must be those of a plain
  // loop (taps in row-major order, then one multiply by 1 / count) everywhere, the last
  // windows of the batch included.
  TEST_CASE("AveragePooling2D on a few channels gives a plain loop's bits") {
    for (const long channels : {1L, 5L, 7L, 9L}) {
      CAPTURE(channels);
      const long side = 7;
      const long batch = 3;
      const Tensor x = sine_input(Shape{batch, side, side, channels});
      Model m =
          make_layer_model("{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}",
                           Shape{side, side, channels}, batch);
      const Tensor y = m.forward(x, Pass{});
      const long out = 4;  // ceil(7 / 2); 'same' pads one before and one after
      long differ = 0;
      for (long n = 0; n < batch; ++n) {
        for (long oh = 0; oh < out; ++oh) {
          for (long ow = 0; ow < out; ++ow) {
            const long h0 = std::max(oh * 2 - 1, 0L);
            const long h1 = std::min(oh * 2 + 2, side);
            const long w0 = std::max(ow * 2 - 1, 0L);
            const long w1 = std::min(ow * 2 + 2, side);
            const float scale = 1.0F / static_cast<float>((h1 - h0) * (w1 - w0));
            for (long c = 0; c < channels; ++c) {
              float sum = 0.0F;
              for (long ih = h0; ih < h1; ++ih) {
                for (long iw = w0; iw < w1; ++iw) {
                  sum += x[static_cast<std::size_t>(((n * side + ih) * side + iw) * channels + c)];
                }
              }
              const auto at = static_cast<std::size_t>(((n * out + oh) * out + ow) * channels + c);
              differ += y[at] == sum * scale ? 0 : 1;
            }
          }
        }
      }
      CHECK(y.size() == static_cast<std::size_t>(batch * out * out * channels));
      CHECK(differ == 0);
    }
  }

  // Windows that tile the input (strides equal to the pool, no padding) take a backward that
  // writes each input pixel once: its bits must be those of a plain loop, 0 + dy * (1 / count),
  // and 0 under no window (the odd last rows and columns).
  TEST_CASE("AveragePooling2D backward on tiling windows gives a plain loop's bits") {
    struct Case {
      const char* yaml;
      long pool, height, width;
    };
    for (const Case& t : {Case{"AveragePooling2D", 2, 7, 9}, Case{"AveragePooling2D", 2, 6, 4},
                          Case{"{type: AveragePooling2D, pool_size: 3}", 3, 8, 10}}) {
      for (const long channels : {1L, 6L, 17L}) {
        CAPTURE(t.yaml);
        CAPTURE(channels);
        const long batch = 5;
        const Shape shape{t.height, t.width, channels};
        Model m = make_layer_model(t.yaml, shape, batch);
        const Tensor x = sine_input(Shape{batch, t.height, t.width, channels});
        const Tensor& y = m.forward(x, Pass{Mode::kTrain, 0});
        Tensor dy = sine_input(y.shape());
        for (std::size_t i = 0; i < dy.size(); i += 7) {
          dy[i] = -0.0F;  // 0 + -0 * scale is +0: the sign of zero counts too
        }
        Tensor dx(x.shape(), 1.0F);
        m.entry(0).layer->backward(x, y, dy, &dx);
        const long out_h = t.height / t.pool;
        const long out_w = t.width / t.pool;
        const float scale = 1.0F / static_cast<float>(t.pool * t.pool);
        long differ = 0;
        for (long n = 0; n < batch; ++n) {
          for (long ih = 0; ih < t.height; ++ih) {
            for (long iw = 0; iw < t.width; ++iw) {
              const long oh = ih / t.pool;
              const long ow = iw / t.pool;
              for (long c = 0; c < channels; ++c) {
                float expected = 0.0F;
                if (oh < out_h && ow < out_w) {
                  const auto at =
                      static_cast<std::size_t>(((n * out_h + oh) * out_w + ow) * channels + c);
                  expected += dy[at] * scale;
                }
                const auto in =
                    static_cast<std::size_t>(((n * t.height + ih) * t.width + iw) * channels + c);
                differ +=
                    std::bit_cast<std::uint32_t>(dx[in]) == std::bit_cast<std::uint32_t>(expected)
                        ? 0
                        : 1;
              }
            }
          }
        }
        CHECK(differ == 0);
      }
    }
  }

  TEST_CASE("AveragePooling2D gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}",
                              sine_input(Shape{33, 9, 9, 4}));
  }

  TEST_CASE("AveragePooling2D survives a checkpoint round trip and refuses a pool too big") {
    check_checkpoint_round_trip("AveragePooling2D", sine_input(Shape{2, 4, 4, 2}));
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: AveragePooling2D, pool_size: 6}", Shape{5, 5, 1}, 1),
        "test:1:1: model.layers[0]: layer 0 'average_pooling2d' (AveragePooling2D): pool 6x6 "
        "does not fit input [5, 5, 1] with padding 'valid'",
        ConfigError);
  }
}

}  // namespace runner::test
