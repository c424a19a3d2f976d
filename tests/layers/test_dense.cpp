#include <doctest/doctest.h>

#include <cmath>

#include "framework/core/errors.hpp"
#include "tests/layers/reference_outputs.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// Finite differences against the gradients of a Dense layer of `units` on rows x inputs, for
// each activation, of every `param_step`-th parameter.
void check_dense_gradients(long units, long inputs, long rows,
                           std::initializer_list<const char*> activations,
                           std::size_t param_step = 1) {
  for (const char* name : activations) {
    const std::string activation = name;
    CAPTURE(activation);
    Model m = make_layer_model(
        fmt::format("{{type: Dense, units: {}, activation: {}}}", units, activation), Shape{inputs},
        rows);
    const auto result =
        gradcheck(m, sine_input(Shape{rows, inputs}), Pass{Mode::kTrain, 0}, 1e-2F, param_step);
    CHECK(result.max_param_error < 2e-3);
    CHECK(result.max_input_error < 2e-3);
  }
}
// A Dense layer of `units` on rows x in against its sums written out in double, for each
// activation.
void check_against_double_sums(long rows, long in, long units) {
  const Tensor x = sine_input(Shape{rows, in});
  for (const char* name : {"linear", "relu", "sigmoid", "tanh", "softmax"}) {
    const std::string activation = name;
    CAPTURE(activation);
    Model m = make_layer_model(
        fmt::format("{{type: Dense, units: {}, activation: {}}}", units, activation), Shape{in},
        rows);
    set_cosine_weights(m.entry(0).params[0].span());
    set_cosine_weights(m.entry(0).params[1].span());
    const float* w = m.entry(0).params[0].data;
    const float* b = m.entry(0).params[1].data;
    const Tensor y(m.forward(x, Pass{}));
    for (long r = 0; r < rows; ++r) {
      std::vector<double> z(static_cast<std::size_t>(units));
      double row_max = -1e300;
      for (long u = 0; u < units; ++u) {
        double sum = b[u];
        for (long k = 0; k < in; ++k) {
          sum += static_cast<double>(x.data()[r * in + k]) * w[k * units + u];
        }
        z[static_cast<std::size_t>(u)] = sum;
        row_max = std::max(row_max, sum);
      }
      double exp_sum = 0;
      for (const double v : z) {
        exp_sum += std::exp(v - row_max);
      }
      for (long u = 0; u < units; ++u) {
        const double v = z[static_cast<std::size_t>(u)];
        const double expected = activation == "linear"    ? v
                                : activation == "relu"    ? std::max(v, 0.0)
                                : activation == "sigmoid" ? 1 / (1 + std::exp(-v))
                                : activation == "tanh"    ? std::tanh(v)
                                                          : std::exp(v - row_max) / exp_sum;
        CHECK(y.data()[r * units + u] == doctest::Approx(expected).epsilon(1e-5));
      }
    }
  }
}
}  // namespace

TEST_SUITE("Dense") {
  TEST_CASE("Dense maps (in) to (units) with an (in x units) kernel") {
    Model m = make_layer_model("{type: Dense, units: 100}", Shape{3136}, 1);
    CHECK(m.output_shape() == Shape{100});
    CHECK(m.entry(0).slots[0].shape == Shape{3136, 100});
    CHECK(m.parameter_count() == 313700);
  }

  TEST_CASE("Dense on an image names the problem and suggests Flatten") {
    CHECK_THROWS_WITH_AS(make_layer_model("{type: Dense, units: 10}", Shape{7, 7, 64}, 1),
                         "test:1:1: model.layers[0]: layer 0 'dense' (Dense): expects rank-1 "
                         "input, got [7, 7, 64]; add Flatten",
                         ConfigError);
  }

  TEST_CASE("Dense forward matches PyTorch for each activation") {
    // Numbers: tests/reference/layer_forward.py (x @ W + b, then torch.softmax/tanh/sigmoid,
    // F.elu/selu).
    const Tensor x = sine_input(Shape{3, 7});
    const std::vector<float> bias{0.5F, -0.5F, 0.25F, 0.0F};
    auto run = [&](const std::string& activation) {
      Model m =
          make_layer_model("{type: Dense, units: 4, activation: " + activation + "}", Shape{7}, 3);
      set_cosine_weights(m.entry(0).params[0].span());
      std::copy(bias.begin(), bias.end(), m.entry(0).params[1].data);
      return Tensor(m.forward(x, Pass{}));
    };
    check_close(run("linear"), reference::kDenseLinear);
    check_close(run("softmax"), reference::kDenseSoftmax);
    check_close(run("tanh"), reference::kDenseTanh);
    check_close(run("sigmoid"), reference::kDenseSigmoid);
    check_close(run("elu"), reference::kDenseElu);
    check_close(run("selu"), reference::kDenseSelu);
  }

  TEST_CASE("Dense gradients match finite differences") {
    check_dense_gradients(5, 9, 4, {"linear", "relu", "sigmoid", "tanh", "elu", "selu", "softmax"});
  }

  TEST_CASE("Dense gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Dense, units: 37, activation: relu}",
                              sine_input(Shape{33, 600}));
  }

  TEST_CASE("Dense with more units than rows works on column blocks and computes x W + b") {
    // 160 units over 5 rows: the forward splits the columns in two tasks (layers/dense.cpp), on
    // dense_small's register kernel up to 1024 inputs with AVX-512 (150 units: blocks of 75
    // columns, a partial last register) and on the library's GEMM past them or with AVX2.
    check_against_double_sums(5, 40, 160);
    check_against_double_sums(7, 300, 150);
    check_against_double_sums(5, 1100, 160);
  }

  TEST_CASE("Dense with few rows and many inputs sums two input blocks and computes x W + b") {
    // 100 units over 6 rows of 2100 inputs: the forward splits the inputs in two blocks of 1050
    // and adds their sums (layers/dense.cpp, as the reference model's 3136 -> 100 at batch 32).
    check_against_double_sums(6, 2100, 100);
  }

  TEST_CASE("Dense on input blocks gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Dense, units: 100, activation: relu}",
                              sine_input(Shape{32, 3136}));
  }

  TEST_CASE("Dense gradients on column blocks and uneven input blocks match finite differences") {
    // 130 units over 4 rows: two column tasks forward; 400 inputs: two backward blocks of 200.
    // (ReLU's kink is within the finite-difference step of some of 520 sums here.) Every 7th of
    // the 52,130 parameters, 7 being coprime to the kernel's 130 columns: every row and column
    // of both blocks, in a seventh of the time (48 s under the sanitizers for all of them).
    check_dense_gradients(130, 400, 4, {"linear", "sigmoid", "softmax"}, 7);
  }

  TEST_CASE("Dense on column blocks gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Dense, units: 256, activation: relu}",
                              sine_input(Shape{8, 900}));
    check_thread_independence("{type: Dense, units: 200, activation: softmax}",
                              sine_input(Shape{8, 50}));
  }

  TEST_CASE("Dense weights survive a checkpoint round trip") {
    check_checkpoint_round_trip("{type: Dense, units: 6, activation: softmax}",
                                sine_input(Shape{3, 10}));
  }
}

}  // namespace runner::test
