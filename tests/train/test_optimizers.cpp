#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <span>
#include <vector>

#include "framework/core/yaml_reader.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "tests/train/optimizer_reference.hpp"

namespace runner::test {

namespace {
std::unique_ptr<Optimizer> make(const std::string& yaml) {
  Diagnostics diag("test");
  Spec spec(load_yaml_string(yaml, "test"), "compile.optimizer", diag, 0, 0);
  auto optimizer = optimizer_registry().create(spec);
  diag.throw_if_any();
  return optimizer;
}
}  // namespace

TEST_SUITE("optimizers") {
  TEST_CASE("Adam takes Keras' defaults and steps as Keras 2.11 does") {
    auto adam = make("adam");
    CHECK(adam->learning_rate() == 0.001);
    std::vector<float> w{1.0F, -2.0F};
    const std::vector<float> g{0.5F, -0.25F};
    adam->prepare(2);
    adam->apply(w, g);
    adam->apply(w, g);
    // Hand-worked in double: two steps with the same gradient.
    double m = 0, v = 0, w0 = 1.0;
    for (int t = 1; t <= 2; ++t) {
      m += (0.5 - m) * 0.1;
      v += (0.25 - v) * 0.001;
      const double alpha = 0.001 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
      w0 -= alpha * m / (std::sqrt(v) + 1e-7);
    }
    CHECK(w[0] == doctest::Approx(w0).epsilon(1e-6));
    CHECK(adam->iterations() == 2);
    CHECK(adam->slots().size() == 2);
  }

  TEST_CASE("SGD with and without (Nesterov) momentum") {
    std::vector<float> w{1.0F};
    const std::vector<float> g{2.0F};
    auto plain = make("{type: sgd, learning_rate: 0.1}");
    plain->prepare(1);
    plain->apply(w, g);
    CHECK(w[0] == doctest::Approx(0.8));
    auto momentum = make("{type: sgd, learning_rate: 0.1, momentum: 0.5}");
    momentum->prepare(1);
    w[0] = 1.0F;
    momentum->apply(w, g);  // m = -0.2, w = 0.8
    momentum->apply(w, g);  // m = -0.1 - 0.2 = -0.3, w = 0.5
    CHECK(w[0] == doctest::Approx(0.5));
    auto nesterov = make("{type: sgd, learning_rate: 0.1, momentum: 0.5, nesterov: true}");
    nesterov->prepare(1);
    w[0] = 1.0F;
    nesterov->apply(w, g);  // m = -0.2, w += 0.5 * -0.2 - 0.2 = -0.3
    CHECK(w[0] == doctest::Approx(0.7));
  }

  TEST_CASE("SGD keeps Keras' m slot and resumes states that saved it as momentum") {
    auto plain = make("{type: sgd, learning_rate: 0.1}");
    plain->prepare(2);
    auto slots = plain->slots();
    REQUIRE(slots.size() == 1);
    CHECK(slots[0].first == "m");  // Keras 2.11 builds it even without momentum
    std::vector<float> w{1.0F, 1.0F};
    plain->apply(w, std::vector<float>{2.0F, -1.0F});
    CHECK(*slots[0].second == std::vector<float>{-0.2F, 0.1F});  // -lr * g, as Keras keeps it
    // A state from before the rename: "momentum" with momentum, nothing without.
    std::vector<float> buffer(2, 7.0F);
    auto momentum = make("{type: sgd, learning_rate: 0.1, momentum: 0.5}");
    CHECK(momentum->restore_former_slot("m", {{"momentum", {0.25F, -0.5F}}}, buffer));
    CHECK(buffer == std::vector<float>{0.25F, -0.5F});
    CHECK_FALSE(momentum->restore_former_slot("m", {}, buffer));
    CHECK(plain->restore_former_slot("m", {}, buffer));
    CHECK(buffer == std::vector<float>{0.0F, 0.0F});
  }

  TEST_CASE("RMSprop divides by the root of the running mean square") {
    auto rms = make("{type: rmsprop, learning_rate: 0.01}");
    rms->prepare(1);
    std::vector<float> w{0.0F};
    rms->apply(w, std::vector<float>{3.0F});
    const double v = 0.1 * 9.0;
    CHECK(w[0] == doctest::Approx(-0.01 * 3.0 / std::sqrt(v + 1e-7)));
  }

  TEST_CASE(
      "AdamW and AMSGrad and Adagrad and centered RMSprop and clipnorm and Nadam match "
      "references") {
    // Numbers: tests/reference/optimizers.py (PyTorch where its rule is Keras', a numpy
    // transcription of Keras 2.11's nadam.py for Nadam).
    for (const auto& c : reference::kOptimizerCases) {
      CAPTURE(c.name);
      auto optimizer = make(c.yaml);
      std::vector<float> w{1.0F, -2.0F, 0.5F, 3.0F};
      optimizer->prepare(w.size());
      for (int t = 1; t <= 5; ++t) {
        std::vector<float> g(4);
        for (std::size_t i = 0; i < 4; ++i) {
          g[i] = static_cast<float>(std::sin(0.5 * t + static_cast<double>(i)));
        }
        optimizer->apply(w, g);
      }
      for (std::size_t i = 0; i < 4; ++i) {
        CHECK(w[i] == doctest::Approx(c.weights[i]).epsilon(2e-6));
      }
    }
  }

  TEST_CASE("Every optimizer variant updates a long block as it updates each element alone") {
    // A long block runs the vectorized loops, one element the scalar remainder: both must do the
    // same arithmetic (each variant has its own loop, e.g. RMSprop's four).
    const char* variants[] = {"adam",
                              "{type: adam, amsgrad: true}",
                              "adamw",
                              "nadam",
                              "adagrad",
                              "sgd",
                              "{type: sgd, momentum: 0.9}",
                              "{type: sgd, momentum: 0.9, nesterov: true}",
                              "rmsprop",
                              "{type: rmsprop, momentum: 0.5}",
                              "{type: rmsprop, centered: true}",
                              "{type: rmsprop, centered: true, momentum: 0.5}"};
    constexpr std::size_t kSize = 67;  // vector iterations of 8 and 16 lanes, and a remainder
    for (const char* yaml : variants) {
      CAPTURE(yaml);
      auto block = make(yaml);
      block->prepare(kSize);
      std::vector<float> w(kSize);
      std::vector<std::vector<float>> alone_w(kSize);
      std::vector<std::unique_ptr<Optimizer>> alone;
      for (std::size_t i = 0; i < kSize; ++i) {
        w[i] = static_cast<float>(std::cos(0.3 * static_cast<double>(i)));
        alone_w[i] = {w[i]};
        alone.push_back(make(yaml));
        alone.back()->prepare(1);
      }
      for (int t = 1; t <= 3; ++t) {
        std::vector<float> g(kSize);
        for (std::size_t i = 0; i < kSize; ++i) {
          g[i] = static_cast<float>(std::sin(0.5 * t + 0.7 * static_cast<double>(i)));
          alone[i]->apply(alone_w[i], std::span<const float>(&g[i], 1));
        }
        block->apply(w, g);
      }
      std::size_t differing = 0;
      for (std::size_t i = 0; i < kSize; ++i) {
        differing += w[i] != alone_w[i][0] ? 1 : 0;
      }
      CHECK(differing == 0);
    }
  }

  TEST_CASE("clipnorm clips each variable by its own norm and global_clipnorm all together") {
    std::vector<float> w{0.0F, 0.0F, 0.0F};
    const std::vector<float> g{3.0F, 4.0F, 1.0F};  // variables [3, 4] (norm 5) and [1]
    auto per_variable = make("{type: sgd, learning_rate: 1, clipnorm: 2.5}");
    per_variable->prepare(std::vector<std::size_t>{2, 1});
    per_variable->apply(w, g);
    CHECK(w == std::vector<float>{-1.5F, -2.0F, -1.0F});
    w.assign(3, 0.0F);
    auto global = make("{type: sgd, learning_rate: 1, global_clipnorm: 1}");
    global->prepare(std::vector<std::size_t>{2, 1});
    global->apply(w, g);
    const double norm = std::sqrt(26.0);
    CHECK(w[0] == doctest::Approx(-3.0 / norm));
    CHECK(w[2] == doctest::Approx(-1.0 / norm));
    w.assign(3, 0.0F);
    auto value = make("{type: sgd, learning_rate: 1, clipvalue: 2}");
    value->prepare(3);
    value->apply(w, g);
    CHECK(w == std::vector<float>{-2.0F, -2.0F, -1.0F});
  }

  TEST_CASE("Weight decay applies to every optimizer and AdamW defaults to Keras' 0.004") {
    CHECK(make("adamw")->config()["weight_decay"].as<double>() == 0.004);
    CHECK(make("adam")->config()["weight_decay"].IsNull());
    auto sgd = make("{type: sgd, learning_rate: 0.5, weight_decay: 0.1}");
    std::vector<float> w{2.0F};
    sgd->prepare(1);
    sgd->apply(w, std::vector<float>{0.0F});
    CHECK(w[0] == doctest::Approx(2.0 - 2.0 * 0.1 * 0.5));
  }

  TEST_CASE("clipnorm and global_clipnorm together are refused as Keras refuses them") {
    CHECK_THROWS_WITH_AS(make("{type: adam, clipnorm: 1, global_clipnorm: 1}"),
                         "test:1:44: compile.optimizer.global_clipnorm: expected clipnorm or "
                         "global_clipnorm, not both (as Keras)",
                         ConfigError);
  }

  TEST_CASE("Optimizer arguments are checked") {
    CHECK_THROWS_WITH_AS(
        make("{type: adam, learning_rate: -1, beta1: 0.9}"),
        "test:1:29: compile.optimizer.learning_rate: expected a number > 0, got -1\n"
        "test:1:33: compile.optimizer.beta1: unknown key 'beta1'; did you mean "
        "'beta_1'? (known keys: amsgrad, beta_1, beta_2, clipnorm, clipvalue, epsilon, "
        "global_clipnorm, learning_rate, name, type, weight_decay)",
        ConfigError);
  }
}

}  // namespace runner::test
