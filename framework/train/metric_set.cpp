#include "framework/train/metric_set.hpp"

namespace runner {

MetricSet::MetricSet(std::vector<std::unique_ptr<Metric>> metrics, LossTargets task)
    : metrics_(std::move(metrics)), task_(task) {
  for (const auto& m : metrics_) {
    offsets_.push_back(size_);
    size_ += m->state_size();
  }
}

void MetricSet::update(const Tensor& outputs, const Targets& y, std::span<double> sums) const {
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    metrics_[i]->update(outputs, y, task_, sums.subspan(offsets_[i], metrics_[i]->state_size()));
  }
}

void MetricSet::write(std::span<const double> sums, const std::string& prefix, Logs& logs) const {
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    logs.set(prefix + metrics_[i]->name(),
             metrics_[i]->result(sums.subspan(offsets_[i], metrics_[i]->state_size())));
  }
}

}  // namespace runner
