#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstring>
#include <initializer_list>
#include <span>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/conv2d_dilation.hpp"
#include "tests/layers/reference_outputs.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// Each layer's weight and input gradients against central differences, on 2 samples of `input`.
void check_finite_differences(std::initializer_list<std::string> yamls, const Shape& input) {
  for (const std::string& yaml : yamls) {
    CAPTURE(yaml);
    Model m = make_layer_model(yaml, input, 2);
    const auto result = gradcheck(m, sine_input(input.with_batch(2)), Pass{Mode::kTrain, 0});
    CHECK(result.max_param_error < 2e-3);
    CHECK(result.max_input_error < 2e-3);
  }
}
}  // namespace

TEST_SUITE("Conv2D") {
  const std::string kSame = "{type: Conv2D, filters: 3, kernel_size: 3, padding: same}";

  TEST_CASE("Conv2D same padding keeps the spatial size and valid shrinks it") {
    Model same = make_layer_model(kSame, Shape{4, 5, 2}, 1);
    CHECK(same.output_shape() == Shape{4, 5, 3});
    CHECK(same.entry(0).slots[0].shape == Shape{3, 3, 2, 3});
    CHECK(same.entry(0).slots[1].shape == Shape{3});
    Model valid = make_layer_model("{type: Conv2D, filters: 8, kernel_size: [3, 2], strides: 2}",
                                   Shape{9, 7, 1}, 1);
    CHECK(valid.output_shape() == Shape{4, 3, 8});
    CHECK(make_layer_model("{type: Conv2D, filters: 1, kernel_size: 3, strides: 2, padding: same}",
                           Shape{5, 6, 1}, 1)
              .output_shape() == Shape{3, 3, 1});
  }

  TEST_CASE("Conv2D rejects a kernel larger than its valid input and names the layer") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Conv2D, filters: 1, kernel_size: 5}", Shape{3, 3, 1}, 1),
        "test:1:1: model.layers[0]: layer 0 'conv2d' (Conv2D): kernel 5x5 does not "
        "fit input [3, 3, 1] with padding 'valid'",
        ConfigError);
  }

  TEST_CASE("Conv2D forward matches PyTorch") {
    // Numbers: tests/reference/layer_forward.py (torch.nn.functional.conv2d).
    const Tensor x = sine_input(Shape{2, 4, 5, 2});
    const std::vector<float> bias{0.1F, -0.2F, 0.3F};
    auto run = [&](const std::string& yaml) {
      Model m = make_layer_model(yaml, Shape{4, 5, 2}, 2);
      set_cosine_weights(m.entry(0).params[0].span());
      std::copy(bias.begin(), bias.end(), m.entry(0).params[1].data);
      return Tensor(m.forward(x, Pass{}));
    };
    check_close(run(kSame), reference::kConvSame);
    check_close(run("{type: Conv2D, filters: 3, kernel_size: 3, strides: 2, activation: relu}"),
                reference::kConvValidStride2Relu);
    check_close(run("{type: Conv2D, filters: 3, kernel_size: 3, strides: 2, padding: same}"),
                reference::kConvSameStride2);
  }

  TEST_CASE("Conv2D with dilation_rate matches PyTorch") {
    // Numbers: tests/reference/layers/conv2d_dilation.py (F.conv2d(dilation=...)).
    const Tensor x = sine_input(Shape{2, 7, 8, 2});
    const std::vector<float> bias{0.1F, -0.2F, 0.3F};
    auto run = [&](const std::string& yaml) {
      Model m = make_layer_model(yaml, Shape{7, 8, 2}, 2);
      set_cosine_weights(m.entry(0).params[0].span());
      std::copy(bias.begin(), bias.end(), m.entry(0).params[1].data);
      return Tensor(m.forward(x, Pass{}));
    };
    const Tensor valid = run("{type: Conv2D, filters: 3, kernel_size: 3, dilation_rate: 2}");
    CHECK(valid.shape() == Shape{2, 3, 4, 3});
    check_close(valid, reference::kConvDilated);
    check_close(run("{type: Conv2D, filters: 3, kernel_size: 3, dilation_rate: [2, 3], padding: "
                    "same}"),
                reference::kConvDilatedSame);
  }

  TEST_CASE("A 1x1 Conv2D reads its input as the patch matrix with right gradients") {
    // 20 input channels: past the in-place kernels, so the GEMM reads x and writes dx directly.
    Model m = make_layer_model("{type: Conv2D, filters: 3, kernel_size: 1, activation: tanh}",
                               Shape{3, 4, 20}, 2);
    const auto result = gradcheck(m, sine_input(Shape{2, 3, 4, 20}), Pass{Mode::kTrain, 0});
    CHECK(result.max_input_error < 2e-3);
    CHECK(result.max_param_error < 2e-3);
    check_thread_independence("{type: Conv2D, filters: 24, kernel_size: 1}",
                              sine_input(Shape{33, 7, 7, 20}));
  }

  TEST_CASE("Conv2D with dilation_rate has right gradients and refuses strides with it") {
    Model m = make_layer_model(
        "{type: Conv2D, filters: 2, kernel_size: 3, dilation_rate: 2, "
        "padding: same}",
        Shape{6, 6, 2}, 2);
    const auto result = gradcheck(m, sine_input(Shape{2, 6, 6, 2}), Pass{Mode::kTrain, 0});
    CHECK(result.max_input_error < 2e-3);
    CHECK(result.max_param_error < 2e-3);
    check_thread_independence("{type: Conv2D, filters: 8, kernel_size: 3, dilation_rate: 2}",
                              sine_input(Shape{33, 9, 9, 8}));
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Conv2D, filters: 2, kernel_size: 3, strides: 2, dilation_rate: 2}",
                         Shape{9, 9, 1}, 1),
        "test:1:71: model.layers[0].dilation_rate: expected 1 when strides > 1 (Keras allows "
        "only one of them)",
        ConfigError);
  }

  TEST_CASE("Conv2D gradients match finite differences") {
    for (const std::string& yaml :
         {kSame,
          std::string("{type: Conv2D, filters: 2, kernel_size: [2, 3], strides: 2, "
                      "activation: tanh}"),
          std::string("{type: Conv2D, filters: 2, kernel_size: 3, use_bias: false, "
                      "activation: sigmoid, padding: same}"),
          // Short patches (<= 27 taps): read in place from padded samples, forward and backward.
          std::string("{type: Conv2D, filters: 3, kernel_size: 2, strides: [1, 2], "
                      "activation: relu}"),
          std::string("{type: Conv2D, filters: 20, kernel_size: [3, 2], padding: same}"),
          // elu and selu: the derivative from the output (Winograd's case below).
          std::string("{type: Conv2D, filters: 3, kernel_size: 2, activation: elu}"),
          // 24 taps, past the 16 the kernel once stopped at (linear: central differences across
          // ReLU's kink miss by 0.3 with this many outputs).
          std::string("{type: Conv2D, filters: 6, kernel_size: [3, 4], padding: same}")}) {
      CAPTURE(yaml);
      Model m = make_layer_model(yaml, Shape{4, 5, 2}, 3);
      const auto result = gradcheck(m, sine_input(Shape{3, 4, 5, 2}), Pass{Mode::kTrain, 0});
      CHECK(result.max_param_error < 2e-3);
      CHECK(result.max_input_error < 2e-3);
    }
  }

  // Long patches on an image's few channels (7x7 on one, 5x5 on RGB: 49 and 75 taps) are read in
  // place too, with the patch length known at run time.
  TEST_CASE("Conv2D stems with long patches have finite-difference gradients") {
    struct Case {
      std::string yaml;
      Shape input;
    };
    for (const Case& c :
         {Case{"{type: Conv2D, filters: 5, kernel_size: 7, strides: 2, padding: same}", {9, 9, 1}},
          Case{"{type: Conv2D, filters: 18, kernel_size: 5, padding: same, activation: tanh}",
               {6, 7, 3}}}) {
      CAPTURE(c.yaml);
      Model m = make_layer_model(c.yaml, c.input, 3);
      const auto result = gradcheck(m, sine_input(Shape{2, c.input[0], c.input[1], c.input[2]}),
                                    Pass{Mode::kTrain, 0});
      CHECK(result.max_param_error < 2e-3);
      CHECK(result.max_input_error < 2e-3);
    }
  }

  // From 8 input channels, 3x3 stride-1 kernels run as Winograd: the same checks on that path.
  TEST_CASE("Conv2D on many channels (the Winograd path) matches direct loops") {
    const Tensor x = sine_input(Shape{3, 5, 7, 9});
    for (const long pad : {0L, 1L}) {
      CAPTURE(pad);
      Model m = make_layer_model(std::string("{type: Conv2D, filters: 17, kernel_size: 3, "
                                             "padding: ") +
                                     (pad == 1 ? "same}" : "valid}"),
                                 Shape{5, 7, 9}, 3);
      const auto params = m.entry(0).params;
      set_cosine_weights(params[0].span());
      set_cosine_weights(params[1].span());
      const Tensor& y = m.forward(x, Pass{});
      const kernels::Conv2DGeometry g{5, 7,   9,  5 - 2 + 2 * pad, 7 - 2 + 2 * pad, 17, 3, 3, 1,
                                      1, pad, pad};
      const auto expected =
          naive_conv(g, 3, std::vector<float>(x.data(), x.data() + x.size()),
                     std::vector<float>(params[0].data, params[0].data + params[0].size()),
                     std::vector<float>(params[1].data, params[1].data + params[1].size()));
      CHECK(worst_difference(std::vector<float>(y.data(), y.data() + y.size()), expected) < 1e-4);
    }
  }

  // Dilated, stride 1, on 8+ channels: Winograd on the phase images (kernels/conv2d_phases.hpp),
  // with phases of unequal sizes (odd sides), unequal dilations, "same" and "valid", 3x3 and 5x5.
  TEST_CASE(
      "Conv2D with dilation_rate on many channels (Winograd on phases) matches direct loops") {
    struct Case {
      long in_h, in_w, k, d_h, d_w;
      bool same;
    };
    for (const Case& c :
         {Case{9, 11, 3, 2, 2, true}, Case{9, 11, 3, 2, 2, false}, Case{10, 13, 3, 2, 3, true},
          Case{12, 11, 5, 2, 2, true}, Case{8, 8, 3, 3, 3, false}}) {
      CAPTURE(c.in_h);
      CAPTURE(c.in_w);
      CAPTURE(c.k);
      CAPTURE(c.d_h);
      CAPTURE(c.d_w);
      CAPTURE(c.same);
      const kernels::Conv2DGeometry g =
          dilated_geometry(c.in_h, c.in_w, 9, 10, c.k, c.d_h, c.d_w, c.same);
      const std::string yaml = fmt::format(
          "{{type: Conv2D, filters: 10, kernel_size: {}, dilation_rate: [{}, {}], padding: {}}}",
          c.k, c.d_h, c.d_w, c.same ? "same" : "valid");
      const Tensor x = sine_input(Shape{3, c.in_h, c.in_w, 9});
      Model m = make_layer_model(yaml, Shape{c.in_h, c.in_w, 9}, 3);
      const auto params = m.entry(0).params;
      set_cosine_weights(params[0].span());
      set_cosine_weights(params[1].span());
      for (const Mode mode : {Mode::kEval, Mode::kTrain}) {
        const Tensor& y = m.forward(x, Pass{mode, 0});
        CHECK(y.shape() == Shape{3, g.out_h, g.out_w, 10});
        const auto expected =
            naive_conv(g, 3, std::vector<float>(x.data(), x.data() + x.size()),
                       std::vector<float>(params[0].data, params[0].data + params[0].size()),
                       std::vector<float>(params[1].data, params[1].data + params[1].size()));
        CHECK(worst_difference(std::vector<float>(y.data(), y.data() + y.size()), expected) < 1e-4);
      }
      // One sample alone (its phases one Winograd chunk, spread over the threads) gives the
      // bits it has in the batch.
      const Tensor& batch_y = m.forward(x, Pass{});
      const std::vector<float> batched(batch_y.data(), batch_y.data() + g.out_size());
      Tensor first(Shape{1, c.in_h, c.in_w, 9});
      std::copy(x.data(), x.data() + first.size(), first.data());
      const Tensor& alone = m.forward(first, Pass{});
      CHECK(bitwise_equal(std::span<const float>(alone.data(), alone.size()), batched));
    }
  }

  TEST_CASE("Conv2D with dilation_rate on many channels (Winograd on phases) has right gradients") {
    check_finite_differences({"{type: Conv2D, filters: 3, kernel_size: 3, dilation_rate: 2, "
                              "padding: same, activation: tanh}",
                              "{type: Conv2D, filters: 4, kernel_size: 3, dilation_rate: [2, 3], "
                              "use_bias: false}"},
                             Shape{7, 8, 8});
    check_thread_independence(
        "{type: Conv2D, filters: 8, kernel_size: 3, dilation_rate: 2, padding: same, "
        "activation: relu}",
        sine_input(Shape{33, 11, 9, 8}));
  }

  // Inference runs the phases a group of samples at a time (the last group short); training
  // splits the whole batch. Both must give the same bits, and the kernel transform computed by
  // the first group must serve the others, then be redone after a weight changes.
  TEST_CASE("Conv2D dilated inference in sample groups gives training forward's bits") {
    const Tensor x = sine_input(Shape{19, 9, 10, 8});
    Model m = make_layer_model(
        "{type: Conv2D, filters: 12, kernel_size: 3, dilation_rate: 2, padding: same, "
        "activation: relu}",
        Shape{9, 10, 8}, 19);
    const std::span<float> w = m.entry(0).params[0].span();
    set_cosine_weights(w);
    auto bits = [](const Tensor& t) { return std::vector<float>(t.data(), t.data() + t.size()); };
    for (int round = 0; round < 3; ++round) {
      CAPTURE(round);
      if (round == 2) {
        w[3] += 0.5F;
      }
      const auto inferred = bits(m.forward(x, Pass{}));
      const auto cached = bits(m.forward(x, Pass{}));  // the kernel transform reused
      const auto trained = bits(m.forward(x, Pass{Mode::kTrain, 0}));
      CHECK(inferred.size() == static_cast<std::size_t>(19 * 9 * 10 * 12));
      CHECK(std::memcmp(inferred.data(), trained.data(), trained.size() * sizeof(float)) == 0);
      CHECK(std::memcmp(cached.data(), trained.data(), trained.size() * sizeof(float)) == 0);
    }
  }

  TEST_CASE("Conv2D on many channels (the Winograd path) has finite-difference gradients") {
    check_finite_differences({"{type: Conv2D, filters: 3, kernel_size: 3, padding: same, "
                              "activation: tanh}",
                              "{type: Conv2D, filters: 4, kernel_size: 3, use_bias: false}",
                              "{type: Conv2D, filters: 4, kernel_size: 3, padding: same, "
                              "activation: elu}",
                              "{type: Conv2D, filters: 16, kernel_size: 2, padding: same, "
                              "activation: tanh}"},
                             Shape{4, 5, 8});
    check_thread_independence(
        "{type: Conv2D, filters: 5, kernel_size: 3, padding: same, activation: relu}",
        sine_input(Shape{33, 6, 7, 8}));
  }

  TEST_CASE("Conv2D (Winograd) infers without keeping its input and refuses a backward after") {
    check_inference_keeps_nothing("{type: Conv2D, filters: 4, kernel_size: 3, padding: same}",
                                  sine_input(Shape{2, 4, 5, 8}));
  }

  TEST_CASE(
      "Conv2D (Winograd) reuses its transformed kernel in inference only while the weights "
      "are the same") {
    // Inference after inference with unchanged weights skips the kernel's transform; a changed
    // weight or a training forward in between must not leave a stale one. Each
    // result is compared with a training-mode forward, which always transforms.
    const Tensor x = sine_input(Shape{2, 6, 6, 16});
    Model m = make_layer_model("{type: Conv2D, filters: 16, kernel_size: 3, padding: same}",
                               Shape{6, 6, 16}, 2);
    const std::span<float> w = m.entry(0).params[0].span();
    set_cosine_weights(w);
    auto bits = [](const Tensor& t) { return std::vector<float>(t.data(), t.data() + t.size()); };
    auto check_fresh = [&](const std::vector<float>& inferred) {
      const auto trained = bits(m.forward(x, Pass{Mode::kTrain, 0}));
      CHECK(std::memcmp(inferred.data(), trained.data(), trained.size() * sizeof(float)) == 0);
    };
    const auto first = bits(m.forward(x, Pass{}));
    check_fresh(first);
    const auto again = bits(m.forward(x, Pass{}));
    CHECK(std::memcmp(first.data(), again.data(), first.size() * sizeof(float)) == 0);
    w[7] += 0.5F;  // a changed weight
    const auto changed = bits(m.forward(x, Pass{}));
    CHECK(std::memcmp(first.data(), changed.data(), first.size() * sizeof(float)) != 0);
    check_fresh(changed);
    (void)m.forward(x, Pass{});  // cached again
    w[5] = -0.0F;                // the same value, other bits
    check_fresh(bits(m.forward(x, Pass{})));
    (void)m.forward(x, Pass{});
    (void)m.forward(x, Pass{Mode::kTrain, 0});  // a training forward overwrites the buffer
    w[9] -= 0.25F;
    check_fresh(bits(m.forward(x, Pass{})));
  }

  TEST_CASE("Conv2D gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence(
        "{type: Conv2D, filters: 5, kernel_size: 3, padding: same, activation: relu}",
        sine_input(Shape{33, 6, 7, 3}));
  }

  TEST_CASE("Conv2D weights survive a checkpoint round trip") {
    check_checkpoint_round_trip(kSame, sine_input(Shape{2, 4, 5, 2}));
  }

  TEST_CASE("Conv2D initializes with glorot_uniform and zero bias") {
    Model m = make_layer_model("{type: Conv2D, filters: 64, kernel_size: 3}", Shape{8, 8, 32}, 1);
    const double limit = std::sqrt(6.0 / (9 * 32 + 9 * 64));
    double sum_sq = 0;
    float top = 0;
    for (float w : m.entry(0).params[0].span()) {
      top = std::max(top, std::abs(w));
      sum_sq += static_cast<double>(w) * w;
    }
    CHECK(top <= limit);
    CHECK(top > 0.99 * limit);
    // Var(U(-l, l)) = l^2 / 3
    CHECK(sum_sq / static_cast<double>(m.entry(0).params[0].size()) ==
          doctest::Approx(limit * limit / 3).epsilon(0.03));
    for (float b : m.entry(0).params[1].span()) {
      CHECK(b == 0.0F);
    }
  }

  TEST_CASE("Conv2D arguments are checked with their position") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Conv2D, filters: 0, kernel_size: 3, padding: full, stride: 2}",
                         Shape{4, 4, 1}, 1),
        "test:1:25: model.layers[0].filters: expected a positive integer, got 0\n"
        "test:1:53: model.layers[0].padding: expected one of valid, same, got 'full'\n"
        "test:1:59: model.layers[0].stride: unknown key 'stride'; did you mean 'strides'? (known "
        "keys: activation, bias_regularizer, dilation_rate, filters, inputs, kernel_regularizer, "
        "kernel_size, name, padding, strides, type, use_bias)",
        ConfigError);
  }
}

}  // namespace runner::test
