#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "framework/core/errors.hpp"
#include "layers/deferred_input_gradient.hpp"
#include "layers/kernels/batch_norm.hpp"
#include "tests/layers/reference/batch_normalization.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
const std::string kBatchNorm = "{type: BatchNormalization, momentum: 0.9}";

// 2 sin(0.37 i) + 0.5, as tests/reference/layers/batch_normalization.py uses.
Tensor shifted_input(const Shape& shape) {
  Tensor x = sine_input(shape);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = 2.0F * x[i] + 0.5F;
  }
  return x;
}

std::vector<float> values(const TensorView& v) {
  return {v.data, v.data + v.shape.elements()};
}

void check_values(const std::vector<float>& actual, const std::vector<float>& expected,
                  float tolerance) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(actual[i] == doctest::Approx(expected[i]).epsilon(tolerance).scale(1.0));
  }
}

const std::string kReluLayer = "{type: Activation, activation: relu}";

// A layer, then BatchNormalization, then an activation layer (empty: none), then Flatten.
struct FusedNormalization {
  std::string layer;
  Shape input;
  std::string activation;
};

// Inference bits of c at `batch`, with fusion on or off: moving statistics from two training
// passes, gamma and beta of both signs. The first layer fuses the normalization in inference only.
std::vector<float> normalized_inference(const FusedNormalization& c, long batch, bool fusion) {
  std::vector<YAML::Node> layers{load_yaml_string(c.layer, "t"), load_yaml_string(kBatchNorm, "t")};
  if (!c.activation.empty()) {
    layers.push_back(load_yaml_string(c.activation, "t"));
  }
  layers.push_back(load_yaml_string("{type: Flatten}", "t"));
  Model m = build_layers(layers, c.input, 7, "t");
  m.prepare(batch);
  m.set_fusion(fusion);
  CHECK(m.fuses_next(0, Mode::kEval) == fusion);
  CHECK_FALSE(m.fuses_next(0, Mode::kTrain));
  const Tensor x = shifted_input(c.input.with_batch(batch));
  (void)m.forward(x, Pass{Mode::kTrain, 0});
  (void)m.forward(x, Pass{Mode::kTrain, 1});
  const TensorView gamma = m.entry(1).params[0];
  const TensorView beta = m.entry(1).params[1];
  for (long i = 0; i < gamma.shape.elements(); ++i) {
    gamma.data[i] = 0.5F + 0.3F * static_cast<float>(i % 5) - 0.4F * static_cast<float>(i % 2);
    beta.data[i] = 0.2F * static_cast<float>(i % 3) - 0.25F;
  }
  const Tensor& y = m.forward(x, Pass{Mode::kEval, 0});
  return {y.data(), y.data() + y.size()};
}

// The fused inference gives the unfused bits (and a fused ReLU was applied).
void check_fused_normalization(const FusedNormalization& c, long batch) {
  INFO(c.layer, " then ", c.activation);
  const auto fused = normalized_inference(c, batch, true);
  CHECK(bitwise_equal(fused, normalized_inference(c, batch, false)));
  if (c.activation == kReluLayer) {  // zeros, and no negative value
    CHECK(std::count(fused.begin(), fused.end(), 0.0F) > 0);
    CHECK(*std::min_element(fused.begin(), fused.end()) >= 0.0F);
  }
}
}  // namespace

TEST_SUITE("BatchNormalization") {
  TEST_CASE("BatchNormalization has Keras' four weights of which two are not trainable") {
    Model m = make_layer_model("BatchNormalization", Shape{5, 5, 8}, 1);
    const auto& slots = m.entry(0).slots;
    REQUIRE(slots.size() == 4);
    CHECK(slots[0].name == "gamma");
    CHECK(slots[1].name == "beta");
    CHECK(slots[2].name == "moving_mean");
    CHECK_FALSE(slots[2].trainable);
    CHECK(slots[3].name == "moving_variance");
    CHECK(m.parameter_count() == 32);
    CHECK(m.trainable_count() == 16);
    CHECK(m.summary().find("Non-trainable params: 16") != std::string::npos);
    CHECK(make_layer_model("{type: BatchNormalization, center: false, scale: false}", Shape{4}, 1)
              .trainable_count() == 0);
  }

  TEST_CASE("BatchNormalization on images matches PyTorch in training and inference") {
    // Numbers: tests/reference/layers/batch_normalization.py (torch.nn.BatchNorm2d).
    const Tensor x = shifted_input(Shape{4, 3, 3, 2});
    Model m = make_layer_model(kBatchNorm, Shape{3, 3, 2}, 4);
    const PassResult r = run_pass(kBatchNorm, x, 1, Mode::kTrain);
    check_values(r.output, reference::kBatchNormImageTrain, 1e-5F);
    check_values(r.grad_input, reference::kBatchNormImageGradInput, 1e-4F);
    check_values({r.grads.begin(), r.grads.begin() + 2}, reference::kBatchNormImageGradGamma,
                 1e-5F);
    check_values({r.grads.begin() + 2, r.grads.begin() + 4}, reference::kBatchNormImageGradBeta,
                 1e-5F);
    (void)m.forward(x, Pass{Mode::kTrain, 0});
    check_values(values(m.entry(0).params[2]), reference::kBatchNormImageMovingMean, 1e-6F);
    check_values(values(m.entry(0).params[3]), reference::kBatchNormImageMovingVariance, 1e-6F);
    check_close(m.forward(x, Pass{Mode::kEval, 0}), reference::kBatchNormImageInference, 1e-5F);
  }

  TEST_CASE("BatchNormalization on vectors moves towards the biased variance as Keras does") {
    const Tensor x = shifted_input(Shape{5, 3});
    Model m = make_layer_model(kBatchNorm, Shape{3}, 5);
    check_close(m.forward(x, Pass{Mode::kTrain, 0}), reference::kBatchNormVectorTrain, 1e-5F);
    check_values(values(m.entry(0).params[3]), reference::kBatchNormVectorMovingVariance, 1e-6F);
  }

  // One pass over x sums deviations from a shift (the first row): no cancellation for a mean
  // far larger than the spread, where E[x^2] - E[x]^2 in double is 1% off here. Also when the
  // first row, the shift, is an outlier.
  TEST_CASE("Batch statistics keep their precision for a large mean and an outlying first row") {
    const long rows = 1000;
    for (const float first_offset : {0.0F, 50.0F}) {
      CAPTURE(first_offset);
      const kernels::BatchNormGeometry g{rows, 2};
      std::vector<float> x(static_cast<std::size_t>(rows * 2));
      for (long r = 0; r < rows; ++r) {
        // Exact floats: 1e5 plus multiples of 2^-7, the spacing of floats there.
        x[static_cast<std::size_t>(2 * r)] = 1e5F + static_cast<float>(r % 7) / 128.0F;
        x[static_cast<std::size_t>(2 * r + 1)] = -3.0F + static_cast<float>(r % 5);
      }
      x[0] += first_offset;
      std::vector<double> scratch(kernels::batch_norm_scratch_size(g));
      float mean[2];
      float var[2];
      kernels::batch_norm_statistics(g, x.data(), mean, var, scratch.data());
      for (long c = 0; c < 2; ++c) {
        long double sum = 0;
        for (long r = 0; r < rows; ++r) {
          sum += x[static_cast<std::size_t>(2 * r + c)];
        }
        const long double exact_mean = sum / rows;
        long double squares = 0;
        for (long r = 0; r < rows; ++r) {
          const long double d = x[static_cast<std::size_t>(2 * r + c)] - exact_mean;
          squares += d * d;
        }
        const auto exact_var = static_cast<double>(squares / rows);
        CHECK(mean[c] == doctest::Approx(static_cast<double>(exact_mean)).epsilon(1e-7));
        CHECK(var[c] == doctest::Approx(exact_var).epsilon(1e-5));
      }
    }
  }

  // 125 channels take every loop of the column sums: with AVX-512 a block of 64 channels, one of
  // 32, three of 8, then 5 one by one (with AVX2: 32, 32, 32, 3 x 8, 5). Channels c and c + 5
  // hold the same values, so each sum must come out bitwise the same whichever loop takes it.
  TEST_CASE(
      "Batch-norm statistics and gradient sums agree across channel blocks and with long double") {
    const long rows = 700;  // three chunks of rows, the last partial
    const long channels = 125;
    const kernels::BatchNormGeometry g{rows, channels};
    const auto size = static_cast<std::size_t>(rows * channels);
    std::vector<float> x(size);
    std::vector<float> dy(size);
    for (long r = 0; r < rows; ++r) {
      for (long c = 0; c < channels; ++c) {
        const auto k = static_cast<float>(c % 5);
        const auto at = static_cast<std::size_t>(r * channels + c);
        x[at] = 3.0F * std::sin(0.37F * static_cast<float>(r) + k) + k;
        dy[at] = std::cos(0.11F * static_cast<float>(r) * (k + 1.0F));
      }
    }
    // A fused ReLU's mask: forward's affine output above 0 (relu_y as the forward kernel writes
    // it; channels c and c + 5 share a scale and shift).
    std::vector<float> relu_scale(static_cast<std::size_t>(channels));
    std::vector<float> relu_shift(relu_scale.size());
    for (long c = 0; c < channels; ++c) {
      relu_scale[static_cast<std::size_t>(c)] = 0.7F + 0.1F * static_cast<float>(c % 5);
      relu_shift[static_cast<std::size_t>(c)] = 0.5F - 0.3F * static_cast<float>(c % 5);
    }
    const kernels::ChannelAffine relu_affine{
        .scale = relu_scale.data(), .shift = relu_shift.data(), .relu = true};
    std::vector<float> relu_y(size);
    kernels::channel_affine_rows(rows, channels, relu_affine, x.data(), relu_y.data());
    std::vector<double> scratch(kernels::batch_norm_scratch_size(g));
    std::vector<float> mean(static_cast<std::size_t>(channels));
    std::vector<float> var(mean.size());
    kernels::batch_norm_statistics(g, x.data(), mean.data(), var.data(), scratch.data());
    std::vector<float> inv_std(mean.size());
    for (std::size_t c = 0; c < mean.size(); ++c) {
      inv_std[c] = 1.0F / std::sqrt(var[c] + 1e-3F);
    }
    for (const bool relu : {false, true}) {
      CAPTURE(relu);
      std::vector<float> dgamma(mean.size(), 0.0F);
      std::vector<float> dbeta(mean.size(), 0.0F);
      std::vector<float> dx(size);
      std::vector<float> coefficients(3 * mean.size());
      kernels::batch_norm_backward(g,
                                   {.x = x.data(),
                                    .dy = dy.data(),
                                    .relu = relu ? &relu_affine : nullptr,
                                    .mean = mean.data(),
                                    .inv_std = inv_std.data(),
                                    .gamma = nullptr,
                                    .dgamma = dgamma.data(),
                                    .dbeta = dbeta.data(),
                                    .dx = dx.data(),
                                    .dx_coefficients = coefficients.data()},
                                   scratch.data());
      for (long c = 0; c < channels; ++c) {
        CAPTURE(c);
        const auto k = static_cast<std::size_t>(c);
        const auto twin = static_cast<std::size_t>(channels - 5 + c % 5);  // a one-by-one channel
        CHECK(bitwise_equal(std::vector<float>{mean[k], var[k], dgamma[k], dbeta[k]},
                            std::vector<float>{mean[twin], var[twin], dgamma[twin], dbeta[twin]}));
        long double sum = 0;
        long double sum_dy = 0;
        long double sum_dy_xhat = 0;
        for (long r = 0; r < rows; ++r) {
          sum += x[static_cast<std::size_t>(r * channels + c)];
        }
        const long double exact_mean = sum / rows;
        long double squares = 0;
        for (long r = 0; r < rows; ++r) {
          const auto at = static_cast<std::size_t>(r * channels + c);
          const long double d = x[at] - exact_mean;
          squares += d * d;
          const long double grad = relu && relu_y[at] <= 0.0F ? 0.0L : dy[at];
          sum_dy += grad;
          sum_dy_xhat += grad * (x[at] - mean[k]) * inv_std[k];
        }
        CHECK(mean[k] == doctest::Approx(static_cast<double>(exact_mean)).epsilon(1e-6));
        CHECK(var[k] == doctest::Approx(static_cast<double>(squares / rows)).epsilon(1e-6));
        CHECK(dbeta[k] == doctest::Approx(static_cast<double>(sum_dy)).epsilon(1e-5));
        CHECK(dgamma[k] == doctest::Approx(static_cast<double>(sum_dy_xhat)).epsilon(1e-5));
        for (long r = 0; r < rows; r += 97) {
          const auto at = static_cast<std::size_t>(r * channels + c);
          const auto twin_at = static_cast<std::size_t>(r * channels) + twin;
          CHECK(bitwise_equal(std::vector<float>{dx[at]}, std::vector<float>{dx[twin_at]}));
        }
      }
    }
  }

  // The backward recomputes a fused ReLU's mask from x, scale and shift: it must be forward's
  // mask exactly, also where x * scale + shift is within rounding of 0 (where a fused
  // multiply-add and a rounded product then a sum disagree about the sign). With dy = 1, dbeta
  // counts the values let through: an exact integer to compare.
  TEST_CASE("Batch-norm backward takes a fused ReLU's mask exactly as forward computed it") {
    const long rows = 500;
    const long channels = 37;  // vector blocks and single channels
    const kernels::BatchNormGeometry g{rows, channels};
    const auto size = static_cast<std::size_t>(rows * channels);
    std::vector<float> scale(static_cast<std::size_t>(channels));
    std::vector<float> shift(scale.size());
    for (long c = 0; c < channels; ++c) {
      scale[static_cast<std::size_t>(c)] = 0.3F + 0.0137F * static_cast<float>(c);
      // shift = -(x0 * scale) rounded, for an x0 the data holds: x0 * scale + shift is then the
      // product's rounding error, of either sign, or 0.
      shift[static_cast<std::size_t>(c)] = -(1.1F * scale[static_cast<std::size_t>(c)]);
    }
    std::vector<float> x(size);
    for (long r = 0; r < rows; ++r) {
      for (long c = 0; c < channels; ++c) {
        const float near = 1.1F + static_cast<float>((r * 7 + c) % 41 - 20) * 1e-7F;
        x[static_cast<std::size_t>(r * channels + c)] =
            r % 3 == 0 ? std::sin(0.3F * static_cast<float>(r + c)) : near;
      }
    }
    const kernels::ChannelAffine affine{.scale = scale.data(), .shift = shift.data(), .relu = true};
    std::vector<float> relu_y(size);
    kernels::channel_affine_rows(rows, channels, affine, x.data(), relu_y.data());
    std::vector<double> scratch(kernels::batch_norm_scratch_size(g));
    std::vector<float> mean(scale.size());
    std::vector<float> var(scale.size());
    kernels::batch_norm_statistics(g, x.data(), mean.data(), var.data(), scratch.data());
    std::vector<float> inv_std(scale.size(), 1.0F);
    const std::vector<float> dy(size, 1.0F);
    std::vector<float> dbeta(scale.size(), 0.0F);
    kernels::batch_norm_backward(g,
                                 {.x = x.data(),
                                  .dy = dy.data(),
                                  .relu = &affine,
                                  .mean = mean.data(),
                                  .inv_std = inv_std.data(),
                                  .gamma = nullptr,
                                  .dgamma = nullptr,
                                  .dbeta = dbeta.data(),
                                  .dx = nullptr},
                                 scratch.data());
    long boundary = 0;  // values whose sign a different rounding could flip
    for (long c = 0; c < channels; ++c) {
      CAPTURE(c);
      long passed = 0;
      for (long r = 0; r < rows; ++r) {
        const auto at = static_cast<std::size_t>(r * channels + c);
        passed += relu_y[at] > 0.0F ? 1 : 0;
        const double exact = static_cast<double>(x[at]) * scale[static_cast<std::size_t>(c)] +
                             shift[static_cast<std::size_t>(c)];
        boundary += std::abs(exact) < 1e-6 ? 1 : 0;
      }
      CHECK(dbeta[static_cast<std::size_t>(c)] == static_cast<float>(passed));
    }
    CHECK(boundary > 100);  // the case tests what it says
  }

  TEST_CASE("BatchNormalization gradients match finite differences") {
    Model m = make_layer_model(kBatchNorm, Shape{3, 3, 2}, 4);
    const auto result =
        gradcheck(m, shifted_input(Shape{4, 3, 3, 2}), Pass{Mode::kTrain, 0}, 1e-2F);
    CHECK(result.max_input_error < 2e-3);
    CHECK(result.max_param_error < 2e-3);
  }

  TEST_CASE("BatchNormalization gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence(kBatchNorm, shifted_input(Shape{33, 9, 9, 4}));
  }

  TEST_CASE("BatchNormalization checkpoints keep the moving statistics") {
    Model trained = make_layer_model(kBatchNorm, Shape{3, 3, 2}, 4);
    (void)trained.forward(shifted_input(Shape{4, 3, 3, 2}), Pass{Mode::kTrain, 0});
    TempDir dir;
    save_checkpoint(dir / "bn.h5", trained, CheckpointInfo{}, nullptr, false);
    Model loaded = make_layer_model(kBatchNorm, Shape{3, 3, 2}, 4);
    load_weights(loaded, dir / "bn.h5");
    CHECK(bitwise_equal(values(loaded.entry(0).params[2]), values(trained.entry(0).params[2])));
    CHECK(bitwise_equal(values(loaded.entry(0).params[3]), values(trained.entry(0).params[3])));
  }

  TEST_CASE("BatchNormalization fusing a following activation changes no output or gradient bit") {
    // Conv2D -> BN -> activation and Dense -> BN -> activation: the BN computes the activation
    // layer (fuse_next), a ReLU inside its own passes, the others after them. A convolution
    // before the tested one evaluates the BN's input gradient (Winograd, 16 filters), and its
    // own weight gradients depend on it, so it is compared too; so is inference, where the
    // convolution applies the normalization and the activation to its output.
    const char* activations[] = {
        "{type: Activation, activation: relu}",  "{type: Activation, activation: sigmoid}",
        "{type: Activation, activation: tanh}",  "{type: Activation, activation: elu}",
        "{type: Activation, activation: selu}",  "{type: Activation, activation: gelu}",
        "{type: Activation, activation: swish}", "{type: Activation, activation: leaky_relu}",
        "{type: LeakyReLU, alpha: 0.1}"};
    const char* blocks[][2] = {
        {"{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}", ""},
        {"{type: Flatten}", "{type: Dense, units: 6}"}};
    for (const char* activation : activations) {
      for (const auto& block : blocks) {
        INFO(std::string(activation), " after ", std::string(block[0]), std::string(block[1]));
        const auto run = [&](bool fusion) {
          std::vector<YAML::Node> layers{
              load_yaml_string("{type: Conv2D, filters: 8, kernel_size: 3, padding: same}", "t")};
          for (const char* entry : block) {
            if (*entry != '\0') {
              layers.push_back(load_yaml_string(entry, "t"));
            }
          }
          const std::size_t bn_index = layers.size();
          for (const char* entry :
               {kBatchNorm.c_str(), activation, "{type: Flatten}", "{type: Dense, units: 3}"}) {
            layers.push_back(load_yaml_string(entry, "t"));
          }
          Model m = build_layers(layers, Shape{5, 5, 2}, 7, "t");
          m.prepare(6);
          m.set_fusion(fusion);
          CHECK(m.fuses_next(bn_index, Mode::kTrain) == fusion);
          const Tensor x = sine_input(Shape{6, 5, 5, 2});
          std::vector<float> bits = training_bits(m, x, 3, 2);
          const Tensor& eval = m.forward(x, Pass{Mode::kEval, 0});
          bits.insert(bits.end(), eval.data(), eval.data() + eval.size());
          return bits;
        };
        CHECK(bitwise_equal(run(true), run(false)));
      }
    }
  }

  TEST_CASE("BatchNormalization's fused activations have the derivatives of finite differences") {
    // Smooth functions only (a kink straddled by the differences would be the test's error);
    // the bound is that of the two layers apart on this model (gelu: 2.8e-3).
    for (const char* activation :
         {"{type: Activation, activation: sigmoid}", "{type: Activation, activation: elu}",
          "{type: Activation, activation: gelu}", "{type: Activation, activation: swish}"}) {
      INFO(std::string(activation));
      Model m = build_layers(
          {load_yaml_string("{type: Dense, units: 4}", "t"), load_yaml_string(kBatchNorm, "t"),
           load_yaml_string(activation, "t"), load_yaml_string("{type: Dense, units: 3}", "t")},
          Shape{3}, 7, "t");
      m.prepare(5);
      REQUIRE(m.fuses_next(1, Mode::kTrain));
      CHECK(model_param_gradcheck(m, sine_input(Shape{5, 3}), Pass{Mode::kTrain, 0}) < 4e-3);
    }
  }

  TEST_CASE("A convolution computing BatchNormalization's input gradient changes no bit") {
    // Conv2D -> BN (-> activation): in training the convolution evaluates the normalization's
    // input gradient while reading its output gradient, Winograd tile by tile, the others chunk
    // by chunk; a fused activation other than ReLU has its derivative taken by the
    // normalization first. A convolution before them (`before` filters; 0: none, the one tested
    // is the first layer) takes the tested one's input gradient, so that is compared too.
    constexpr const char* kRelu = "{type: Activation, activation: relu}";
    constexpr const char* kElu = "{type: Activation, activation: elu}";
    struct Case {
      long before;
      const char* conv;
      const char* activation;  // after the normalization; empty: none
      long size = 8;           // the images' height and width
    };
    const Case cases[] = {
        // Winograd: the register-kernel path (filters a multiple of a register, at most 64) and
        // the GEMM one (20 filters: a partial register too), F(4x4, 3x3) on 8x8 and F(2x2, 5x5).
        {8, "{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}", kRelu},
        {8, "{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}", kElu},
        {8, "{type: Conv2D, filters: 20, kernel_size: 3, activation: relu}", ""},
        {8, "{type: Conv2D, filters: 20, kernel_size: 3, activation: relu}", kElu},
        {8, "{type: Conv2D, filters: 16, kernel_size: 5, padding: same, use_bias: false}", kRelu},
        // F(4x4, 3x3) on 6x6: its last tiles of each row and column compute 2 outputs.
        {16, "{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}", kRelu,
         6},
        {16, "{type: Conv2D, filters: 16, kernel_size: 3, padding: same}", kElu, 6},
        // Strided, with a bias (its gradient sums the evaluated gradient): 16 filters on 8
        // channels take the implicit GEMM; 24 on 32, ReLU before the normalization, rebuild their
        // patches for a library GEMM where a register holds 16 floats (AVX2: the implicit GEMM).
        {8, "{type: Conv2D, filters: 16, kernel_size: 3, strides: 2, padding: same}", kRelu},
        {8, "{type: Conv2D, filters: 16, kernel_size: 3, strides: 2, padding: same}", kElu},
        {32, "{type: Conv2D, filters: 24, kernel_size: 3, strides: 2, activation: relu}", ""},
        // Long patches on one channel: forward keeps them for backward.
        {0, "{type: Conv2D, filters: 12, kernel_size: 7, strides: 2, padding: same}", kRelu},
        // 1x1 (the input is the patch matrix), a ResNet projection.
        {8, "{type: Conv2D, filters: 16, kernel_size: 1, use_bias: false}", ""},
        {8, "{type: Conv2D, filters: 16, kernel_size: 1, use_bias: false}", kElu},
        // A first layer on one channel (the in-place kernel; no input gradient), as a ResNet stem.
        {0, "{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}", kRelu},
        {0, "{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}", ""},
        {0, "{type: Conv2D, filters: 8, kernel_size: 3, activation: relu}", kElu},
    };
    for (const Case& c : cases) {
      INFO(std::string(c.conv), " after ", c.before, " filters, then ", std::string(c.activation));
      const auto run = [&c](bool fusion) {
        std::vector<YAML::Node> layers;
        if (c.before > 0) {
          layers.push_back(load_yaml_string(
              fmt::format("{{type: Conv2D, filters: {}, kernel_size: 3, padding: same}}", c.before),
              "t"));
        }
        layers.push_back(load_yaml_string(c.conv, "t"));
        layers.push_back(load_yaml_string(kBatchNorm, "t"));
        if (*c.activation != '\0') {
          layers.push_back(load_yaml_string(c.activation, "t"));
        }
        layers.push_back(load_yaml_string("{type: Flatten}", "t"));
        layers.push_back(load_yaml_string("{type: Dense, units: 3}", "t"));
        const long channels = c.before > 0 ? 3 : 1;
        Model m = build_layers(layers, Shape{c.size, c.size, channels}, 7, "t");
        m.prepare(5);
        m.set_fusion(fusion);
        const std::size_t bn_index = c.before > 0 ? 2 : 1;
        const auto* bn = dynamic_cast<const DeferredInputGradient*>(m.entry(bn_index).layer.get());
        REQUIRE(bn != nullptr);
        CHECK(bn->defers_input_gradient() == fusion);
        // Two steps: the description is filled again each step.
        return training_bits(m, shifted_input(Shape{5, c.size, c.size, channels}), 3, 2);
      };
      CHECK(bitwise_equal(run(true), run(false)));
    }
    // Not after other activations (their derivative is taken apart) nor dilated Winograd
    // convolutions (their tiles are of phase images, not of the output).
    for (const char* conv :
         {"{type: Conv2D, filters: 8, kernel_size: 3, activation: tanh}",
          "{type: Conv2D, filters: 8, kernel_size: 3, dilation_rate: 2, padding: same}"}) {
      INFO(std::string(conv));
      Model m = build_layers({load_yaml_string(conv, "t"), load_yaml_string(kBatchNorm, "t")},
                             Shape{8, 8, 8}, 7, "t");
      m.prepare(2);
      CHECK_FALSE(
          dynamic_cast<const DeferredInputGradient&>(*m.entry(1).layer).defers_input_gradient());
    }
  }

  TEST_CASE("Inference applies BatchNormalization inside the convolution before it bitwise") {
    // Every Conv2D path: Winograd (8 input channels), 1x1, strided im2col, the first layer's
    // in-place kernel; with and without the activation the normalization fuses (ReLU in its
    // own loop, the others after it).
    const FusedNormalization cases[] = {
        {"{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}",
         Shape{6, 7, 8}, kReluLayer},
        {"{type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}",
         Shape{6, 7, 8}, "{type: Activation, activation: elu}"},
        {"{type: Conv2D, filters: 5, kernel_size: 1}", Shape{5, 5, 3}, ""},
        {"{type: Conv2D, filters: 5, kernel_size: 1}", Shape{5, 5, 3},
         "{type: Activation, activation: gelu}"},
        {"{type: Conv2D, filters: 6, kernel_size: 3, strides: 2, activation: relu}", Shape{9, 9, 3},
         kReluLayer},
        {"{type: Conv2D, filters: 6, kernel_size: 3, strides: 2}", Shape{9, 9, 3},
         "{type: Activation, activation: sigmoid}"},
        {"{type: Conv2D, filters: 8, kernel_size: 3, padding: same}", Shape{6, 6, 1}, ""},
        {"{type: Conv2D, filters: 8, kernel_size: 3, padding: same}", Shape{6, 6, 1},
         "{type: LeakyReLU, alpha: 0.1}"},
    };
    for (const FusedNormalization& c : cases) {
      check_fused_normalization(c, 5);
    }
  }

  TEST_CASE("Inference applies BatchNormalization inside the Dense layer before it bitwise") {
    // Every Dense path at batch 40: row tasks (13 units), the few-inputs and few-units kernels,
    // column blocks (133 units); with and without the activation the normalization fuses.
    const FusedNormalization cases[] = {
        {"{type: Dense, units: 13, use_bias: false}", Shape{70}, kReluLayer},
        {"{type: Dense, units: 13, activation: relu}", Shape{70},
         "{type: Activation, activation: elu}"},
        {"{type: Dense, units: 19}", Shape{3}, kReluLayer},
        {"{type: Dense, units: 3}", Shape{70}, "{type: Activation, activation: sigmoid}"},
        {"{type: Dense, units: 133, activation: tanh}", Shape{70}, ""},
        {"{type: Dense, units: 133}", Shape{70}, kReluLayer},
    };
    for (const FusedNormalization& c : cases) {
      check_fused_normalization(c, 40);
    }
  }

  TEST_CASE("BatchNormalization refuses a momentum outside 0 to 1") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: BatchNormalization, momentum: 1.5}", Shape{4}, 1),
        "test:1:38: model.layers[0].momentum: expected a number in [0, 1], got 1.5", ConfigError);
  }
}

}  // namespace runner::test
