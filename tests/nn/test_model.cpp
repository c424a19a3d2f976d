#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/layer_checks.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

namespace {
// The `kType = "..."` names declared by the .cpp files in `folder`.
std::set<std::string> declared_types(const std::string& folder, const std::string& marker) {
  std::set<std::string> out;
  const std::regex pattern(marker + R"re( = "(\w+)")re");
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".cpp") {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    for (std::sregex_iterator it(s.begin(), s.end(), pattern), end; it != end; ++it) {
      out.insert((*it)[1].str());
    }
  }
  return out;
}
// An inference and a training forward of x, then backward from r, with fusion on or off.
struct FusionRun {
  Tensor evaluated, trained;
  std::vector<float> grads;
};
FusionRun run_with_fusion(Model& m, const Tensor& x, const Tensor& r, bool fusion_on) {
  m.set_fusion(fusion_on);
  FusionRun p{m.forward(x, Pass{Mode::kEval, 0}), m.forward(x, Pass{Mode::kTrain, 0}), {}};
  m.zero_gradients();
  m.backward(r);
  p.grads.assign(m.gradients().begin(), m.gradients().end());
  return p;
}

// Fusion on gives the bits of fusion off in inference, training and every gradient; returns
// the fused run.
FusionRun check_fusion_changes_no_bit(Model& m, const Tensor& x, const Tensor& r) {
  FusionRun fused = run_with_fusion(m, x, r, true);
  const FusionRun apart = run_with_fusion(m, x, r, false);
  CHECK(bitwise_equal(fused.evaluated.span(), apart.evaluated.span()));
  CHECK(bitwise_equal(fused.trained.span(), apart.trained.span()));
  CHECK(bitwise_equal(fused.grads, apart.grads));
  return fused;
}
}  // namespace

TEST_SUITE("model") {
  TEST_CASE("Every layer file registered itself (none was dropped by the linker)") {
    // The expected types come from the files (their kType), so a new layer needs no edit here.
    const auto declared = declared_types(std::string(RUNNER_SOURCE_DIR) + "/layers", "kType");
    CHECK(declared.size() >= 14);
    for (const auto& type : declared) {
      CAPTURE(type);
      CHECK(layer_registry().contains(type));
    }
    CHECK(layer_registry().types().size() == declared.size());
  }

  TEST_CASE("The reference model's summary is Keras' text character for character") {
    const Experiment e = load_experiment("experiments/cnn.yaml");
    const Model m = build_model(e, Shape{28, 28, 1});
    CHECK(m.parameter_count() == 333526);
    // Keras 2.11 model.summary() of the tutorial model (line_length 65, columns at 29/55/65).
    const std::string expected =
        "Model: \"sequential\"\n"
        "_________________________________________________________________\n"
        " Layer (type)                Output Shape              Param #   \n"
        "=================================================================\n"
        " conv2d (Conv2D)             (None, 28, 28, 32)        320       \n"
        "                                                                 \n"
        " max_pooling2d (MaxPooling2D  (None, 14, 14, 32)       0         \n"
        " )                                                               \n"
        "                                                                 \n"
        " conv2d_1 (Conv2D)           (None, 14, 14, 64)        18496     \n"
        "                                                                 \n"
        " max_pooling2d_1 (MaxPooling  (None, 7, 7, 64)         0         \n"
        " 2D)                                                             \n"
        "                                                                 \n"
        " flatten (Flatten)           (None, 3136)              0         \n"
        "                                                                 \n"
        " dense (Dense)               (None, 100)               313700    \n"
        "                                                                 \n"
        " dropout (Dropout)           (None, 100)               0         \n"
        "                                                                 \n"
        " dense_1 (Dense)             (None, 10)                1010      \n"
        "                                                                 \n"
        "=================================================================\n"
        "Total params: 333,526\n"
        "Trainable params: 333,526\n"
        "Non-trainable params: 0\n"
        "_________________________________________________________________\n";
    CHECK(m.summary() == expected);
  }

  TEST_CASE("Explicit layer names are kept and must be unique") {
    Model m = build_layers({load_yaml_string("{type: Flatten, name: flat}", "t"),
                            load_yaml_string("{type: Dense, units: 2}", "t"),
                            load_yaml_string("{type: Dense, units: 2}", "t")},
                           Shape{2, 2}, 1, "t");
    CHECK(m.entry(0).name == "flat");
    CHECK(m.entry(1).name == "dense");
    CHECK(m.entry(2).name == "dense_1");
    CHECK_THROWS_WITH_AS(build_layers({load_yaml_string("{type: Flatten, name: x}", "t"),
                                       load_yaml_string("{type: Flatten, name: x}", "t")},
                                      Shape{2, 2}, 1, "t"),
                         "t:1:1: model.layers[1].name: layer name 'x' is used twice; layer names "
                         "must be unique",
                         ConfigError);
  }

  TEST_CASE("The same seed builds the same weights and another seed does not") {
    const std::string yaml = "{type: Dense, units: 8}";
    Model a = make_layer_model(yaml, Shape{5}, 1, 1);
    Model b = make_layer_model(yaml, Shape{5}, 1, 1);
    Model c = make_layer_model(yaml, Shape{5}, 1, 2);
    CHECK(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
    CHECK_FALSE(std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
  }

  // Conv2D computes a following MaxPooling2D(2) itself (Layer::fuse_next) in training and
  // inference. Outputs and gradients must be bitwise those of the unfused model, whether the pair
  // fuses (im2col and Winograd convolutions, odd sizes) or not (other pools, tanh).
  TEST_CASE("Fusing 2x2 max pooling into Conv2D changes no output or gradient bit") {
    struct Case {
      std::string conv_activation, pool;
      bool fuses;
    };
    for (const Case& c :
         {Case{"relu", "{type: MaxPooling2D, pool_size: 2}", true},
          Case{"linear", "{type: MaxPooling2D}", true},
          Case{"tanh", "{type: MaxPooling2D, pool_size: 2}", false},
          Case{"relu", "{type: MaxPooling2D, pool_size: 3}", false},
          Case{"relu", "{type: MaxPooling2D, pool_size: 2, strides: 1}", false},
          Case{"relu", "{type: MaxPooling2D, pool_size: 2, padding: same}", false}}) {
      CAPTURE(c.conv_activation);
      CAPTURE(c.pool);
      const std::string conv =
          "{type: Conv2D, filters: 9, kernel_size: 3, padding: same, activation: " +
          c.conv_activation + "}";
      // The first Conv2D runs im2col (1 channel), the second Winograd (9 channels).
      Model m = build_layers(
          {load_yaml_string(conv, "t"), load_yaml_string(c.pool, "t"), load_yaml_string(conv, "t"),
           load_yaml_string(c.pool, "t"), load_yaml_string("{type: Flatten}", "t"),
           load_yaml_string("{type: Dense, units: 3}", "t")},
          Shape{13, 11, 1}, 7, "t");
      m.prepare(5);
      const auto fusion = c.fuses ? Layer::Fusion::kAlways : Layer::Fusion::kNone;
      CHECK(m.entry(0).layer->fuse_next(m.entry(1).layer.get()) == fusion);
      CHECK(m.entry(2).layer->fuse_next(m.entry(3).layer.get()) == fusion);
      CHECK(m.entry(4).layer->fuse_next(m.entry(5).layer.get()) == Layer::Fusion::kNone);
      const Tensor x = sine_input(Shape{5, 13, 11, 1});
      const Tensor r = sine_input(Shape{5, 3});
      const FusionRun fused = check_fusion_changes_no_bit(m, x, r);
      CHECK(bitwise_equal(fused.evaluated.span(), fused.trained.span()));
    }
  }

  // Conv2D and Dense with a linear activation take a following Activation layer over when its
  // derivative follows from its output (relu, sigmoid, tanh, elu, selu, leaky_relu with slope
  // 0.2), and a LeakyReLU layer (slope 0.1, which the bits check): the bits of the two
  // layers apart, in inference, in training and in every gradient. The convolutions run in place
  // (1 channel), as Winograd (16 channels and filters, stride 1: its products in registers, as
  // for a linear layer) and as the implicit GEMM (stride 2, 16 filters, so the output is a
  // multiple of the vector width).
  TEST_CASE("Conv2D and Dense take over a following Activation with the bits of the two apart") {
    for (const std::string fn :
         {"relu", "sigmoid", "tanh", "elu", "selu", "leaky_relu", "LeakyReLU", "gelu"}) {
      CAPTURE(fn);
      const bool takes = fn != "gelu";  // gelu's derivative needs the input
      const std::string act = fn == "LeakyReLU" ? "{type: LeakyReLU, alpha: 0.1}"
                                                : "{type: Activation, activation: " + fn + "}";
      Model m = build_layers(
          {load_yaml_string("{type: Conv2D, filters: 16, kernel_size: 3, padding: same}", "t"),
           load_yaml_string(act, "t"),
           load_yaml_string("{type: Conv2D, filters: 16, kernel_size: 3, padding: same}", "t"),
           load_yaml_string(act, "t"),
           load_yaml_string("{type: Conv2D, filters: 16, kernel_size: 3, strides: 2}", "t"),
           load_yaml_string(act, "t"), load_yaml_string("{type: Flatten}", "t"),
           load_yaml_string("{type: Dense, units: 6}", "t"), load_yaml_string(act, "t"),
           load_yaml_string("{type: Dense, units: 3}", "t")},
          Shape{13, 11, 1}, 7, "t");
      m.prepare(5);
      for (const std::size_t i : {0, 2, 4, 7}) {
        CAPTURE(i);
        CHECK(m.fuses_next(i, Mode::kTrain) == takes);
      }
      const Tensor x = sine_input(Shape{5, 13, 11, 1});
      const Tensor r = sine_input(Shape{5, 3});
      (void)check_fusion_changes_no_bit(m, x, r);
      if (fn == "sigmoid" || fn == "tanh" || fn == "elu") {  // no kink to straddle
        // Every 7th of its ~7,700 parameters (a prime stride: each layer is sampled).
        CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}, 1e-2F, 7) < 2e-3);
      }
    }
  }

  // Flatten in the middle of a model runs as a buffer hand-over (Layer::passes_input_on): the
  // Conv2D before it must still find its own output in backward (its ReLU derivative reads it),
  // also after eval passes and earlier steps have moved the buffers around.
  TEST_CASE("A Flatten between layers hands buffers on and the model's gradients stay right") {
    Model m = build_layers(
        {load_yaml_string(
             "{type: Conv2D, filters: 3, kernel_size: 3, padding: same, activation: relu}", "t"),
         load_yaml_string("{type: Flatten}", "t"),
         load_yaml_string("{type: Dense, units: 4, activation: tanh}", "t")},
        Shape{5, 4, 2}, 3, "t");
    m.prepare(3);
    REQUIRE(m.entry(1).layer->passes_input_on(Mode::kTrain));
    const Tensor x = sine_input(Shape{3, 5, 4, 2});
    const Tensor first = m.forward(x, Pass{Mode::kTrain, 0});
    m.backward(first);
    (void)m.forward(x, Pass{Mode::kEval, 0});
    CHECK(bitwise_equal(first.span(), m.forward(x, Pass{Mode::kTrain, 0}).span()));
    // Another input right before: a stale buffer would hold its activations.
    Tensor other = x;
    for (std::size_t i = 0; i < other.size(); ++i) {
      other[i] = -other[i];
    }
    (void)m.forward(other, Pass{Mode::kTrain, 0});
    CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}) < 1e-3);
  }

  // Dropout and RandomFlip are the identity in inference, and Dropout at rate 0 in training too:
  // the model then hands their input's buffer on (Layer::passes_input_on). Outputs must be the
  // model's without them, bit for bit, and training must not find a buffer moved by inference.
  TEST_CASE("Dropout and RandomFlip hand buffers on where they are the identity") {
    const auto conv = load_yaml_string(
        "{type: Conv2D, filters: 3, kernel_size: 3, padding: same, activation: relu}", "t");
    const auto flatten = load_yaml_string("{type: Flatten}", "t");
    const auto dense = load_yaml_string("{type: Dense, units: 4, activation: tanh}", "t");
    const Shape in{5, 4, 2};
    Model plain = build_layers({conv, flatten, dense}, in, 3, "t");
    plain.prepare(3);
    const Tensor x = sine_input(Shape{3, 5, 4, 2});
    for (const double rate : {0.0, 0.5}) {
      CAPTURE(rate);
      Model m = build_layers(
          {conv, load_yaml_string(fmt::format("{{type: Dropout, rate: {}}}", rate), "t"),
           load_yaml_string("{type: RandomFlip, mode: horizontal}", "t"), flatten, dense},
          in, 3, "t");
      m.prepare(3);
      REQUIRE(m.parameters().size() == plain.parameters().size());
      std::copy(plain.parameters().begin(), plain.parameters().end(), m.parameters().begin());
      CHECK(m.hands_buffer_on(1, Mode::kEval));
      CHECK(m.hands_buffer_on(1, Mode::kTrain) == (rate == 0.0));
      CHECK(m.hands_buffer_on(2, Mode::kEval));
      CHECK_FALSE(m.hands_buffer_on(2, Mode::kTrain));
      const Tensor expected = plain.forward(x, Pass{Mode::kEval, 0});
      const Tensor trained = m.forward(x, Pass{Mode::kTrain, 0});
      CHECK(bitwise_equal(expected.span(), m.forward(x, Pass{Mode::kEval, 0}).span()));
      CHECK(bitwise_equal(expected.span(), m.forward(x, Pass{Mode::kEval, 0}).span()));
      CHECK(bitwise_equal(trained.span(), m.forward(x, Pass{Mode::kTrain, 0}).span()));
      (void)m.forward(x, Pass{Mode::kEval, 0});
      CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}) < 1e-3);
    }
    // First in the model, Dropout reads the caller's input: it copies, and gives the same.
    Model first = build_layers(
        {load_yaml_string("{type: Dropout, rate: 0.5}", "t"), conv, flatten, dense}, in, 3, "t");
    first.prepare(3);
    std::copy(plain.parameters().begin(), plain.parameters().end(), first.parameters().begin());
    CHECK_FALSE(first.hands_buffer_on(0, Mode::kEval));
    CHECK(bitwise_equal(plain.forward(x, Pass{Mode::kEval, 0}).span(),
                        first.forward(x, Pass{Mode::kEval, 0}).span()));
  }

  // evaluate() and predict() refill their batch tensor each batch, so a first Flatten (or Dropout
  // in inference) may take its buffer instead of copying it (Model::forward_taking).
  TEST_CASE("A first Flatten takes the caller's batch in inference and gives the same outputs") {
    Model m = build_layers({load_yaml_string("{type: Flatten}", "t"),
                            load_yaml_string("{type: Dense, units: 4, activation: tanh}", "t")},
                           Shape{5, 4, 2}, 3, "t");
    m.prepare(3);
    const Tensor x = sine_input(Shape{3, 5, 4, 2});
    const Tensor expected = m.forward(x, Pass{Mode::kEval, 0});
    for (int pass = 0; pass < 3; ++pass) {
      CAPTURE(pass);
      Tensor batch = x;  // as gather_batch refills it
      const float* floats = batch.data();
      CHECK(bitwise_equal(expected.span(), m.forward_taking(batch, Pass{Mode::kEval, 0}).span()));
      CHECK(batch.data() != floats);  // taken, not copied
      const Tensor trained = m.forward(x, Pass{Mode::kTrain, 0});
      CHECK(bitwise_equal(expected.span(), trained.span()));  // no Dropout: the same function
    }
    CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}) < 1e-3);
    // In training the caller's batch stays its own.
    Tensor batch = x;
    const float* floats = batch.data();
    (void)m.forward_taking(batch, Pass{Mode::kTrain, 0});
    CHECK(batch.data() == floats);
    CHECK(bitwise_equal(x.span(), batch.span()));
  }
}

}  // namespace runner::test
