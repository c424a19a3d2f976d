#include <doctest/doctest.h>

#include "framework/train/class_report.hpp"
#include "tests/nn/task_reference.hpp"

namespace runner::test {

TEST_SUITE("class report") {
  TEST_CASE("Per-class precision and recall and F1 and the confusion matrix match scikit-learn") {
    using namespace reference;
    Tensor outputs(Shape{30, 4});
    std::vector<std::int32_t> truth;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      outputs[i] = static_cast<float>(kReportOutputs[i]);
    }
    for (const double t : kReportTruth) {
      truth.push_back(static_cast<std::int32_t>(t));
    }
    const ClassReport r = class_report(outputs, truth, {"a", "b", "c", "d"});
    for (std::size_t c = 0; c < 4; ++c) {
      CAPTURE(c);
      CHECK(r.classes[c].precision == doctest::Approx(kReportPrecision[c]).epsilon(1e-12));
      CHECK(r.classes[c].recall == doctest::Approx(kReportRecall[c]).epsilon(1e-12));
      CHECK(r.classes[c].f1 == doctest::Approx(kReportF1[c]).epsilon(1e-12));
      CHECK(r.classes[c].support == static_cast<std::int64_t>(kReportSupport[c]));
    }
    for (std::size_t i = 0; i < 16; ++i) {
      CHECK(r.confusion[i] == static_cast<std::int64_t>(kReportConfusion[i]));
    }
    CHECK(r.macro.f1 == doctest::Approx(kMacroF1).epsilon(1e-12));
    CHECK(r.weighted.f1 == doctest::Approx(kWeightedF1).epsilon(1e-12));
    CHECK(r.table().find("           d     0.0000    0.0000    0.0000         0") !=
          std::string::npos);
  }

  TEST_CASE("One sigmoid output predicts class 1 above 0.5") {
    Tensor outputs(Shape{4, 1});
    const float p[] = {0.2F, 0.7F, 0.5F, 0.9F};
    std::copy(p, p + 4, outputs.data());
    const std::vector<std::int32_t> truth{0, 1, 1, 0};
    const ClassReport r = class_report(outputs, truth, {"no", "yes"});
    CHECK(r.confusion == std::vector<std::int64_t>{1, 1, 1, 1});  // 0.5 is not above 0.5
  }
}

}  // namespace runner::test
