#include <doctest/doctest.h>

#include <cmath>

#include "framework/core/yaml_reader.hpp"
#include "framework/train/optimizers/optimizer.hpp"

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

  TEST_CASE("RMSprop divides by the root of the running mean square") {
    auto rms = make("{type: rmsprop, learning_rate: 0.01}");
    rms->prepare(1);
    std::vector<float> w{0.0F};
    rms->apply(w, std::vector<float>{3.0F});
    const double v = 0.1 * 9.0;
    CHECK(w[0] == doctest::Approx(-0.01 * 3.0 / std::sqrt(v + 1e-7)));
  }

  TEST_CASE("Optimizer arguments are checked") {
    CHECK_THROWS_WITH_AS(
        make("{type: adam, learning_rate: -1, beta1: 0.9}"),
        "test:1:29: compile.optimizer.learning_rate: expected a number > 0, got -1\n"
        "test:1:33: compile.optimizer.beta1: unknown key 'beta1'; did you mean "
        "'beta_1'? (known keys: beta_1, beta_2, epsilon, learning_rate, name, type)",
        ConfigError);
  }
}

}  // namespace runner::test
