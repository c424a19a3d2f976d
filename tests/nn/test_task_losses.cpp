#include <doctest/doctest.h>

#include "framework/core/yaml_reader.hpp"
#include "framework/nn/losses/loss.hpp"
#include "tests/nn/task_reference.hpp"

namespace runner::test {

namespace {
std::unique_ptr<Loss> make(const std::string& yaml) {
  Diagnostics diag("test");
  auto loss =
      loss_registry().create(Spec(load_yaml_string(yaml, "test"), "compile.loss", diag, 0, 0));
  diag.throw_if_any();
  return loss;
}

Tensor tensor_of(const std::vector<double>& values, Shape shape) {
  Tensor t(std::move(shape));
  for (std::size_t i = 0; i < values.size(); ++i) {
    t[i] = static_cast<float>(values[i]);
  }
  return t;
}

// The batch-mean loss and its gradient against PyTorch's autograd of Keras' formula.
void check_against(const Loss& loss, const Tensor& output, const Targets& y, bool folded,
                   double expected, const std::vector<double>& gradient) {
  Tensor grad;
  const double sum = loss.compute(output, y, folded, &grad, 0);
  CHECK(sum / static_cast<double>(output.batch()) == doctest::Approx(expected).epsilon(2e-6));
  REQUIRE(grad.size() == gradient.size());
  for (std::size_t i = 0; i < gradient.size(); ++i) {
    CHECK(grad[i] == doctest::Approx(gradient[i]).epsilon(2e-5).scale(1e-6));
  }
  // Without a gradient, the same value; a data-parallel shard scales by the global batch.
  CHECK(loss.compute(output, y, folded, nullptr, 0) == sum);
  Tensor half;
  (void)loss.compute(output, y, folded, &half, 2 * output.batch());
  CHECK(half[0] == doctest::Approx(grad[0] / 2));
}
}  // namespace

TEST_SUITE("task losses") {
  TEST_CASE("MSE and MAE and Huber match PyTorch on Keras' formulas") {
    using namespace reference;
    const Tensor out = tensor_of(kRegressionOutputs, Shape{4, 2});
    Targets y;
    y.values = tensor_of(kRegressionTargets, Shape{4, 2});
    check_against(*make("mean_squared_error"), out, y, false, kMseLoss, kMseGradient);
    check_against(*make("mse"), out, y, false, kMseLoss, kMseGradient);
    check_against(*make("mae"), out, y, false, kMaeLoss, kMaeGradient);
    check_against(*make("{type: huber, delta: 0.7}"), out, y, false, kHuberLoss, kHuberGradient);
    CHECK(make("huber")->targets() == LossTargets::kValue);
  }

  TEST_CASE("Binary cross-entropy from probabilities and from logits with label smoothing") {
    using namespace reference;
    const Tensor logits = tensor_of(kBinaryLogits, Shape{6, 1});
    Tensor probs = logits;
    for (float& v : probs.span()) {
      v = 1.0F / (1.0F + std::exp(-v));
    }
    Targets y;
    y.values = tensor_of(kBinaryTargets, Shape{6, 1});
    const auto from_probs = make("{type: binary_crossentropy, label_smoothing: 0.2}");
    check_against(*from_probs, probs, y, false, kBinaryProbLoss, kBinaryProbGradient);
    const auto from_logits =
        make("{type: binary_crossentropy, label_smoothing: 0.2, from_logits: true}");
    check_against(*from_logits, logits, y, false, kBinaryLogitLoss, kBinaryLogitGradient);
    // Metrics read probabilities: the sigmoid of the logits.
    Tensor seen = logits;
    from_logits->to_probabilities(seen, false);
    CHECK(seen[2] == doctest::Approx(probs[2]));
  }

  TEST_CASE("Categorical cross-entropy from probabilities and logits with label smoothing") {
    using namespace reference;
    const Tensor logits = tensor_of(kCategoricalLogits, Shape{3, 4});
    Tensor probs = logits;
    softmax_rows(probs);
    Targets y;
    y.values = Tensor(Shape{3, 4});
    const int labels[] = {2, 0, 3};
    for (std::size_t n = 0; n < 3; ++n) {
      y.values[n * 4 + static_cast<std::size_t>(labels[n])] = 1.0F;
    }
    const auto loss = make("{type: categorical_crossentropy, label_smoothing: 0.1}");
    CHECK(loss->takes_softmax_logits());
    check_against(*loss, probs, y, false, kCategoricalProbLoss, kCategoricalProbGradient);
    // A folded softmax and from_logits give the log-softmax form.
    check_against(*loss, logits, y, true, kCategoricalLogitLoss, kCategoricalLogitGradient);
    check_against(
        *make("{type: categorical_crossentropy, label_smoothing: 0.1, from_logits: true}"), logits,
        y, false, kCategoricalLogitLoss, kCategoricalLogitGradient);
  }

  TEST_CASE("Targets of the wrong width are a shape error and not a crash") {
    Targets y;
    y.values = Tensor(Shape{2, 3});
    CHECK_THROWS_WITH_AS(make("mse")->compute(Tensor(Shape{2, 2}), y, false, nullptr, 0),
                         "the targets are [2, 3] but the outputs [2, 2]", ShapeError);
  }
}

}  // namespace runner::test
