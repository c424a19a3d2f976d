// Keras' AUC: the area under the ROC (or precision-recall) curve from confusion counts at
// num_thresholds thresholds (0 - 1e-7, i / (num_thresholds - 1), 1 + 1e-7), with Keras'
// "interpolation" summation (trapezoids for ROC, Davis & Goadrich for PR).
#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/nn/metrics/binary_outcomes.hpp"
#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

constexpr double kEpsilon = 1e-7;

class Auc final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s =
        metric_schema("auc", "area under the ROC or precision-recall curve (Keras' AUC)")
            .integer("num_thresholds", "thresholds the curve is drawn from", 200)
            .at_least(2)
            .at_most(100000)
            .choice("curve", "ROC or PR", {"ROC", "PR"}, "ROC")
            .keras_class("AUC");
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<Auc>();
    m->init(p);
    m->curve_pr_ = p.text("curve") == "PR";
    const auto n = static_cast<std::size_t>(p.integer("num_thresholds"));
    m->thresholds_.push_back(0.0 - kEpsilon);
    for (std::size_t i = 1; i + 1 < n; ++i) {
      m->thresholds_.push_back(static_cast<double>(i) * 1.0 / static_cast<double>(n - 1));
    }
    m->thresholds_.push_back(1.0 + kEpsilon);
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return "auc"; }
  // Per threshold bucket b (predictions with exactly b thresholds strictly below them):
  // positives, negatives. Cumulative sums give the counts above each threshold.
  [[nodiscard]] std::size_t state_size() const override { return 2 * (thresholds_.size() + 1); }
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    const std::size_t buckets = thresholds_.size() + 1;
    for_each_outcome(p, y, -1, [&](float prediction, bool positive) {
      const double v = prediction;
      const auto below = static_cast<std::size_t>(
          std::lower_bound(thresholds_.begin(), thresholds_.end(), v) - thresholds_.begin());
      state[(positive ? 0 : buckets) + below] += 1;
    });
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    const std::size_t t = thresholds_.size();
    const std::size_t buckets = t + 1;
    // tp[i]: positives above threshold i (predictions whose bucket > i).
    std::vector<double> tp(t, 0.0);
    std::vector<double> fp(t, 0.0);
    double pos_total = 0;
    double neg_total = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      pos_total += state[b];
      neg_total += state[buckets + b];
    }
    double pos_above = pos_total;
    double neg_above = neg_total;
    for (std::size_t i = 0; i < t; ++i) {
      pos_above -= state[i];
      neg_above -= state[buckets + i];
      tp[i] = pos_above;
      fp[i] = neg_above;
    }
    auto div = [](double a, double b) { return b != 0 ? a / b : 0.0; };
    double area = 0;
    if (!curve_pr_) {
      for (std::size_t i = 0; i + 1 < t; ++i) {
        const double tpr0 = div(tp[i], pos_total);
        const double tpr1 = div(tp[i + 1], pos_total);
        const double fpr0 = div(fp[i], neg_total);
        const double fpr1 = div(fp[i + 1], neg_total);
        area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2;
      }
      return area;
    }
    for (std::size_t i = 0; i + 1 < t; ++i) {
      const double dtp = tp[i] - tp[i + 1];
      const double p0 = tp[i] + fp[i];
      const double p1 = tp[i + 1] + fp[i + 1];
      const double slope = div(dtp, std::max(p0 - p1, 0.0));
      const double intercept = tp[i + 1] - slope * p1;
      const double ratio = p0 > 0 && p1 > 0 ? div(p0, std::max(p1, 0.0)) : 1.0;
      const double fn1 = pos_total - tp[i + 1];
      area += div(slope * (dtp + intercept * std::log(ratio)), std::max(tp[i + 1] + fn1, 0.0));
    }
    return area;
  }
  // Keras' AUC.get_config() for the same curve (its other options at their defaults).
  [[nodiscard]] YAML::Node keras_config(LossTargets /*task*/) const override {
    YAML::Node node = keras_object("AUC");
    YAML::Node config = node["config"];
    config["num_thresholds"] = thresholds_.size();
    config["curve"] = curve_pr_ ? "PR" : "ROC";
    config["summation_method"] = "interpolation";
    config["multi_label"] = false;
    config["num_labels"] = YAML::Node(YAML::NodeType::Null);
    config["label_weights"] = YAML::Node(YAML::NodeType::Null);
    config["from_logits"] = false;
    return node;
  }

 private:
  std::vector<double> thresholds_;
  bool curve_pr_ = false;
};

}  // namespace
RUNNER_REGISTER_METRIC(Auc);

}  // namespace runner
