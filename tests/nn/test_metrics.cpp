#include <doctest/doctest.h>

#include "framework/core/yaml_reader.hpp"
#include "framework/nn/metrics/metric.hpp"
#include "tests/nn/task_reference.hpp"

namespace runner::test {

namespace {
std::unique_ptr<Metric> make(const std::string& yaml) {
  Diagnostics diag("test");
  auto metric = metric_registry().create(
      Spec(load_yaml_string(yaml, "test"), "compile.metrics[0]", diag, 0, 0));
  diag.throw_if_any();
  return metric;
}

// The metric over the whole batch, and over its two halves added up (as data-parallel ranks
// and an epoch's steps add their sums): both must be the same.
double measure(const Metric& m, const Tensor& p, const Targets& y, LossTargets task) {
  std::vector<double> whole(m.state_size(), 0.0);
  m.update(p, y, task, whole);
  const auto n = static_cast<std::size_t>(p.batch());
  const std::size_t width = p.sample_size();
  std::vector<double> split(m.state_size(), 0.0);
  for (std::size_t half = 0; half < 2; ++half) {
    const std::size_t first = half * (n / 2);
    const std::size_t count = half == 0 ? n / 2 : n - n / 2;
    Tensor part(Shape{static_cast<std::int64_t>(count), static_cast<std::int64_t>(width)});
    std::copy(p.data() + first * width, p.data() + (first + count) * width, part.data());
    Targets ty;
    if (y.has_classes()) {
      ty.classes.assign(y.classes.begin() + static_cast<std::ptrdiff_t>(first),
                        y.classes.begin() + static_cast<std::ptrdiff_t>(first + count));
    }
    if (y.has_values()) {
      const std::size_t w = y.values.sample_size();
      ty.values = Tensor(Shape{static_cast<std::int64_t>(count), static_cast<std::int64_t>(w)});
      std::copy(y.values.data() + first * w, y.values.data() + (first + count) * w,
                ty.values.data());
    }
    m.update(part, ty, task, split);
  }
  CHECK(m.result(split) == doctest::Approx(m.result(whole)).epsilon(1e-12));
  return m.result(whole);
}

struct BinaryCase {
  Tensor scores{Shape{40, 1}};
  Targets y;
  BinaryCase() {
    y.values = Tensor(Shape{40, 1});
    for (std::size_t i = 0; i < 40; ++i) {
      scores[i] = static_cast<float>(reference::kMetricScores[i]);
      y.values[i] = static_cast<float>(reference::kMetricTruth[i]);
      y.classes.push_back(static_cast<std::int32_t>(reference::kMetricTruth[i]));
    }
  }
};
}  // namespace

TEST_SUITE("metrics") {
  TEST_CASE("Precision and recall match scikit-learn and AUC matches Keras thresholded formula") {
    const BinaryCase c;
    const LossTargets task = LossTargets::kBinary;
    CHECK(measure(*make("precision"), c.scores, c.y, task) ==
          doctest::Approx(reference::kPrecision).epsilon(1e-12));
    CHECK(measure(*make("recall"), c.scores, c.y, task) ==
          doctest::Approx(reference::kRecall).epsilon(1e-12));
    CHECK(measure(*make("auc"), c.scores, c.y, task) ==
          doctest::Approx(reference::kKerasRocAuc).epsilon(1e-9));
    CHECK(measure(*make("{type: auc, curve: PR}"), c.scores, c.y, task) ==
          doctest::Approx(reference::kKerasPrAuc).epsilon(1e-9));
    // 200 thresholds come within a few thousandths of the exact area.
    CHECK(reference::kKerasRocAuc == doctest::Approx(reference::kExactRocAuc).epsilon(0.005));
    const auto named = make("{type: auc, name: roc}");
    CHECK(named->name() == "roc");
  }

  TEST_CASE("Accuracy resolves as Keras does: binary and sparse and categorical") {
    const BinaryCase c;
    double hits = 0;
    for (std::size_t i = 0; i < 40; ++i) {
      hits += (c.scores[i] > 0.5F) == (c.y.classes[i] == 1) ? 1 : 0;
    }
    CHECK(measure(*make("accuracy"), c.scores, c.y, LossTargets::kBinary) == hits / 40);
    CHECK(measure(*make("binary_accuracy"), c.scores, c.y, LossTargets::kBinary) == hits / 40);

    Tensor p(Shape{4, 3});
    const float rows[] = {0.1F, 0.7F, 0.2F, 0.5F, 0.3F, 0.2F, 0.2F, 0.2F, 0.6F, 0.3F, 0.4F, 0.3F};
    std::copy(rows, rows + 12, p.data());
    Targets sparse;
    sparse.classes = {1, 2, 2, 0};  // right, wrong, right, wrong
    CHECK(measure(*make("accuracy"), p, sparse, LossTargets::kClassIndex) == 0.5);
    CHECK(measure(*make("sparse_categorical_accuracy"), p, sparse, LossTargets::kClassIndex) ==
          0.5);
    Targets onehot;
    onehot.values = Tensor(Shape{4, 3});
    for (std::size_t n = 0; n < 4; ++n) {
      onehot.values[n * 3 + static_cast<std::size_t>(sparse.classes[n])] = 1.0F;
    }
    CHECK(measure(*make("categorical_accuracy"), p, onehot, LossTargets::kDistribution) == 0.5);
    CHECK(measure(*make("acc"), p, onehot, LossTargets::kDistribution) == 0.5);
    // Top 2: sample 1's class 2 (0.2) has two outputs above it: out; sample 3's class 0 (0.3)
    // has one (0.4): in; samples 0 and 2 are top 1.
    CHECK(measure(*make("{type: sparse_top_k_categorical_accuracy, k: 2}"), p, sparse,
                  LossTargets::kClassIndex) == 0.75);
    CHECK(measure(*make("{type: top_k_categorical_accuracy, k: 1}"), p, onehot,
                  LossTargets::kDistribution) == 0.5);
  }

  TEST_CASE("MAE and MSE and RMSE over every output") {
    Tensor p(Shape{3, 2});
    Targets y;
    y.values = Tensor(Shape{3, 2});
    const float out[] = {1, 2, 3, 4, 5, 6};
    const float truth[] = {1.5F, 2, 1, 4, 5, 9};
    std::copy(out, out + 6, p.data());
    std::copy(truth, truth + 6, y.values.data());
    CHECK(measure(*make("mae"), p, y, LossTargets::kValue) == doctest::Approx(5.5 / 6));
    CHECK(measure(*make("mean_squared_error"), p, y, LossTargets::kValue) ==
          doctest::Approx(13.25 / 6));
    CHECK(measure(*make("root_mean_squared_error"), p, y, LossTargets::kValue) ==
          doctest::Approx(std::sqrt(13.25 / 6)));
    CHECK(!make("rmse")->for_classification());
  }
}

}  // namespace runner::test
