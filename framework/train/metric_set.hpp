#pragma once
// The compiled metrics of a run (compile.metrics) with their running sums side by side in one
// vector, so an epoch's sums are saved, restored and summed over data-parallel ranks as one.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "framework/nn/losses/loss.hpp"
#include "framework/nn/metrics/metric.hpp"
#include "framework/train/history.hpp"

namespace runner {

class MetricSet {
 public:
  MetricSet() = default;
  MetricSet(std::vector<std::unique_ptr<Metric>> metrics, LossTargets task);

  [[nodiscard]] std::size_t state_size() const { return size_; }
  [[nodiscard]] bool empty() const { return metrics_.empty(); }
  [[nodiscard]] const std::vector<std::unique_ptr<Metric>>& metrics() const { return metrics_; }
  // Adds a batch's outputs (as probabilities, or regression values) to `sums`.
  void update(const Tensor& outputs, const Targets& y, std::span<double> sums) const;
  // Each metric's value as logs[prefix + name].
  void write(std::span<const double> sums, const std::string& prefix, Logs& logs) const;

 private:
  std::vector<std::unique_ptr<Metric>> metrics_;
  std::vector<std::size_t> offsets_;
  std::size_t size_ = 0;
  LossTargets task_ = LossTargets::kClassIndex;
};

}  // namespace runner
