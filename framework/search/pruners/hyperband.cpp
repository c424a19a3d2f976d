// Hyperband, as Optuna's HyperbandPruner: several successive-halving brackets, each starting
// to prune at a later rung; a trial's bracket comes from a CRC-32 of "<sweep name>_<number>"
// weighted by the brackets' budgets, and it competes only with trials of its bracket. The
// largest resource is the trials' fit.epochs.
#include <zlib.h>

#include <cmath>
#include <string>
#include <vector>

#include "framework/search/pruner.hpp"

namespace runner {
namespace {

class HyperbandPruner final : public Pruner {
 public:
  static const Schema& schema() {
    static const Schema s = [] {
      Schema out("hyperband", "successive halving in brackets of different aggressiveness");
      out.integer("min_resource", "epochs of the first rung", 1)
          .at_least(1)
          .integer("reduction_factor", "1/factor of the trials go on at each rung", 3)
          .at_least(2);
      return out;
    }();
    return s;
  }
  static std::unique_ptr<Pruner> create(const Params& p) {
    return std::make_unique<HyperbandPruner>(p);
  }
  explicit HyperbandPruner(const Params& p)
      : min_resource_(p.integer("min_resource")), factor_(p.integer("reduction_factor")) {}

  [[nodiscard]] std::size_t group(const StudyView& study, std::int64_t number) const override {
    const auto budgets = bracket_budgets(study.max_epochs);
    return budgets.empty() ? 0 : bracket_of(study, number, budgets);
  }

  [[nodiscard]] bool prune(const StudyView& study, const TrialRecord& trial) const override {
    const auto budgets = bracket_budgets(study.max_epochs);
    if (budgets.empty()) {
      return false;
    }
    const std::size_t bracket = bracket_of(study, trial.number, budgets);
    std::vector<const TrialRecord*> same;
    for (const auto& t : study.trials) {
      if (bracket_of(study, t.number, budgets) == bracket) {
        same.push_back(&t);
      }
    }
    const HalvingRule rule{min_resource_, factor_, static_cast<std::int64_t>(bracket)};
    return halving_prunes(rule, study.minimize, same, trial);
  }

 private:
  // Optuna's trial allocation budget of each bracket: ceil(n * factor^s / (s + 1)).
  [[nodiscard]] std::vector<std::int64_t> bracket_budgets(std::int64_t max_resource) const {
    if (max_resource < min_resource_) {
      return {};
    }
    // Optuna's "auto" max_resource is the last step + 1 (steps from 0): fit.epochs here.
    const auto n =
        static_cast<std::int64_t>(std::floor(
            std::log(static_cast<double>(max_resource) / static_cast<double>(min_resource_)) /
                std::log(static_cast<double>(factor_)) +
            1e-9)) +
        1;
    std::vector<std::int64_t> budgets;
    for (std::int64_t b = 0; b < n; ++b) {
      const std::int64_t s = n - 1 - b;
      budgets.push_back(static_cast<std::int64_t>(std::ceil(
          static_cast<double>(n) * std::pow(static_cast<double>(factor_), static_cast<double>(s)) /
          static_cast<double>(s + 1))));
    }
    return budgets;
  }

  static std::size_t bracket_of(const StudyView& study, std::int64_t number,
                                const std::vector<std::int64_t>& budgets) {
    std::int64_t total = 0;
    for (const auto b : budgets) {
      total += b;
    }
    const std::string key = study.name + "_" + std::to_string(number);
    auto left = static_cast<std::int64_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size())) %
        static_cast<std::uint64_t>(total));
    for (std::size_t b = 0; b < budgets.size(); ++b) {
      left -= budgets[b];
      if (left < 0) {
        return b;
      }
    }
    return budgets.size() - 1;
  }

  std::int64_t min_resource_;
  std::int64_t factor_;
};

}  // namespace
RUNNER_REGISTER_PRUNER(HyperbandPruner);
}  // namespace runner
