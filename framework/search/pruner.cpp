#include "framework/search/pruner.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace runner {

PrunerRegistry& pruner_registry() {
  static PrunerRegistry registry("pruner");
  return registry;
}

bool halving_prunes(const HalvingRule& rule, bool minimize,
                    std::span<const TrialRecord* const> competitors, const TrialRecord& trial) {
  const auto step = trial.last_step();
  if (!step) {
    return false;
  }
  const double value = trial.intermediate.at(*step);
  std::int64_t factor_power = 1;
  for (std::int64_t i = 0; i < rule.min_early_stopping_rate; ++i) {
    factor_power *= rule.reduction_factor;
  }
  // Every rung the trial has passed by now (Optuna records one rung per report as it passes
  // them; with a report per epoch the trial stands at each rung's own epoch).
  for (std::int64_t rung_end = rule.min_resource * factor_power; rung_end <= *step;
       rung_end *= rule.reduction_factor) {
    if (rung_end != *step) {
      continue;  // decided at an earlier epoch
    }
    if (std::isnan(value)) {
      return true;
    }
    std::vector<double> values{value};
    for (const TrialRecord* t : competitors) {
      if (t->number == trial.number) {
        continue;
      }
      if (const auto it = t->intermediate.find(rung_end);
          it != t->intermediate.end() && !std::isnan(it->second)) {
        values.push_back(it->second);
      }
    }
    const auto keep =
        std::max<std::size_t>(1, values.size() / static_cast<std::size_t>(rule.reduction_factor));
    std::sort(values.begin(), values.end());
    const bool promotable =
        minimize ? value <= values[keep - 1] : value >= values[values.size() - keep];
    return !promotable;
  }
  return false;
}

}  // namespace runner
