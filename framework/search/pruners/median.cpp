// Stops a trial whose best value so far is worse than the median of the completed trials at the
// same epoch, as Optuna's MedianPruner: not before `startup_trials` trials have completed, not
// in the first `warmup` epochs, only every `interval` epochs after it, and only with at least
// `min_trials` completed values at that epoch.
#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/search/pruner.hpp"

namespace runner {
namespace {

class MedianPruner final : public Pruner {
 public:
  static const Schema& schema() {
    static const Schema s = [] {
      Schema out("median", "stop trials worse than the median of completed ones at an epoch");
      out.integer("startup_trials", "completed trials before anything is pruned", 5)
          .at_least(0)
          .integer("warmup", "epochs of every trial that are never pruned", 0)
          .at_least(0)
          .integer("interval", "epochs between checks after the warmup", 1)
          .at_least(1)
          .integer("min_trials", "completed values needed at an epoch to judge it", 1)
          .at_least(1);
      return out;
    }();
    return s;
  }
  static std::unique_ptr<Pruner> create(const Params& p) {
    return std::make_unique<MedianPruner>(p);
  }
  explicit MedianPruner(const Params& p)
      : startup_(p.integer("startup_trials")),
        warmup_(p.integer("warmup")),
        interval_(p.integer("interval")),
        min_trials_(p.integer("min_trials")) {}

  [[nodiscard]] bool prune(const StudyView& study, const TrialRecord& trial) const override {
    std::vector<const TrialRecord*> completed;
    for (const auto& t : study.trials) {
      if (t.state == TrialState::kCompleted) {
        completed.push_back(&t);
      }
    }
    const auto step = trial.last_step();
    if (completed.empty() || static_cast<std::int64_t>(completed.size()) < startup_ || !step) {
      return false;
    }
    // Epochs count from 1; Optuna's steps from 0: epoch e is step e - 1.
    const std::int64_t s = *step - 1;
    if (s < warmup_ || (s - warmup_) % interval_ != 0) {
      return false;
    }
    double best = std::nan("");
    for (const auto& [epoch, v] : trial.intermediate) {
      if (!std::isnan(v) && (std::isnan(best) || (study.minimize ? v < best : v > best))) {
        best = v;
      }
    }
    if (std::isnan(best)) {
      return true;
    }
    std::vector<double> values;
    for (const TrialRecord* t : completed) {
      if (const auto it = t->intermediate.find(*step);
          it != t->intermediate.end() && !std::isnan(it->second)) {
        values.push_back(it->second);
      }
    }
    if (values.empty() || static_cast<std::int64_t>(values.size()) < min_trials_) {
      return false;
    }
    // numpy's percentile(50) with linear interpolation: the median.
    std::sort(values.begin(), values.end());
    const std::size_t m = values.size();
    const double median = m % 2 == 1 ? values[m / 2] : 0.5 * (values[m / 2 - 1] + values[m / 2]);
    return study.minimize ? best > median : best < median;
  }

 private:
  std::int64_t startup_, warmup_, interval_, min_trials_;
};

}  // namespace
RUNNER_REGISTER_PRUNER(MedianPruner);
}  // namespace runner
