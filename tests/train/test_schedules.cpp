#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "framework/config/experiment.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "framework/train/schedules/schedule.hpp"

namespace runner::test {

namespace {
std::unique_ptr<LearningRateSchedule> schedule(const std::string& yaml) {
  Diagnostics diag("test");
  auto s = make_schedule(Spec(load_yaml_string(yaml, "test"), "lr", diag, 0, 0));
  diag.throw_if_any();
  return s;
}

std::unique_ptr<Optimizer> optimizer(const std::string& yaml) {
  Diagnostics diag("test");
  auto o = optimizer_registry().create(
      Spec(load_yaml_string(yaml, "test"), "compile.optimizer", diag, 0, 0));
  diag.throw_if_any();
  return o;
}
}  // namespace

TEST_SUITE("schedules") {
  // Expected values: the formulas of keras/optimizers/schedules/learning_rate_schedule.py
  // (Keras 2.11; CosineDecay's warm-up as Keras 2.13 added it), written out by hand.
  TEST_CASE("ExponentialDecay decays continuously or in stairs") {
    auto smooth = schedule(
        "{type: ExponentialDecay, initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5}");
    CHECK(smooth->at(0) == doctest::Approx(0.1));
    CHECK(smooth->at(5) == doctest::Approx(0.1 * std::pow(0.5, 0.5)));
    auto stairs = schedule(
        "{type: ExponentialDecay, initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, "
        "staircase: true}");
    CHECK(stairs->at(9) == doctest::Approx(0.1));
    CHECK(stairs->at(10) == doctest::Approx(0.05));
  }

  TEST_CASE("PiecewiseConstantDecay switches after each boundary") {
    auto s =
        schedule("{type: PiecewiseConstantDecay, boundaries: [10, 20], values: [1, 0.5, 0.1]}");
    CHECK(s->at(10) == 1.0);
    CHECK(s->at(11) == 0.5);
    CHECK(s->at(20) == 0.5);
    CHECK(s->at(21) == 0.1);
    CHECK_THROWS_WITH_AS(
        schedule("{type: PiecewiseConstantDecay, boundaries: [10], values: [1]}"),
        "test:1:58: lr.values: expected 2 values (one more than boundaries), got 1", ConfigError);
  }

  TEST_CASE("CosineDecay warms up linearly then follows half a cosine to alpha") {
    auto s = schedule(
        "{type: CosineDecay, initial_learning_rate: 0.0, decay_steps: 100, alpha: 0.1, "
        "warmup_target: 0.01, warmup_steps: 10}");
    CHECK(s->at(0) == 0.0);
    CHECK(s->at(5) == doctest::Approx(0.005));
    CHECK(s->at(10) == doctest::Approx(0.01));
    CHECK(s->at(60) ==
          doctest::Approx(0.01 * (0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.5)) + 0.1)));
    CHECK(s->at(500) == doctest::Approx(0.001));
  }

  TEST_CASE("CosineDecayRestarts restarts with longer and lower periods") {
    auto s = schedule(
        "{type: CosineDecayRestarts, initial_learning_rate: 1, first_decay_steps: 10, t_mul: 2, "
        "m_mul: 0.5}");
    CHECK(s->at(0) == doctest::Approx(1.0));
    CHECK(s->at(5) == doctest::Approx(0.5));
    CHECK(s->at(10) == doctest::Approx(0.5));  // second period: 20 steps from 0.5
    CHECK(s->at(20) == doctest::Approx(0.25));
    CHECK(s->at(30) == doctest::Approx(0.25));  // third period starts at 0.25
  }

  TEST_CASE("An optimizer steps with its schedule's rate at its step count") {
    auto sgd = optimizer(
        "{type: sgd, learning_rate: {type: PiecewiseConstantDecay, boundaries: [0], values: [1, "
        "0.1]}}");
    CHECK(sgd->has_schedule());
    std::vector<float> w{0.0F};
    sgd->prepare(1);
    sgd->apply(w, std::vector<float>{1.0F});  // step 0: rate 1
    CHECK(w[0] == doctest::Approx(-1.0));
    sgd->apply(w, std::vector<float>{1.0F});  // step 1: rate 0.1
    CHECK(w[0] == doctest::Approx(-1.1));
    CHECK(sgd->learning_rate() == doctest::Approx(0.1));
    CHECK(sgd->config()["learning_rate"]["type"].Scalar() == "PiecewiseConstantDecay");
  }

  TEST_CASE("A bad learning rate or schedule is a config error at its place") {
    CHECK_THROWS_WITH_AS(
        optimizer("{type: adam, learning_rate: fast}"),
        "test:1:29: compile.optimizer.learning_rate: expected a number, got 'fast'", ConfigError);
    CHECK_THROWS_WITH_AS(
        optimizer("{type: adam, learning_rate: {type: CosineDecay, decay_steps: 10}}"),
        "test:1:29: compile.optimizer.learning_rate: missing required key 'initial_learning_rate'",
        ConfigError);
  }

  TEST_CASE("A callback that sets the rate cannot be combined with a schedule") {
    const std::string yaml =
        "name: x\n"
        "model: {input_shape: [4], layers: [{type: Dense, units: 2}]}\n"
        "compile:\n"
        "  optimizer: {type: sgd, learning_rate: {type: ExponentialDecay, initial_learning_rate: "
        "0.1, decay_steps: 10, decay_rate: 0.5}}\n"
        "callbacks:\n"
        "  - {type: ReduceLROnPlateau}\n";
    CHECK_THROWS_WITH_AS(parse_experiment(load_yaml_string(yaml, "x.yaml"), "x.yaml", {}),
                         "x.yaml:6:5: callbacks[0]: ReduceLROnPlateau sets the learning rate, but "
                         "compile.optimizer.learning_rate is a schedule; use one or the other "
                         "(Keras refuses both too)",
                         ConfigError);
  }
}

}  // namespace runner::test
