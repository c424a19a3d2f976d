#pragma once
// Pruners stop a trial whose curve is already behind (registered by name; a new pruner is one
// file, RUNNER_REGISTER_PRUNER).
//
//   sweep:
//     pruner: {type: median, startup_trials: 5, warmup: 2}
#include <memory>

#include "framework/core/registry.hpp"
#include "framework/search/study.hpp"

namespace runner {

class Pruner {
 public:
  virtual ~Pruner() = default;
  // Called after each epoch of `trial` (its intermediate values so far, the last one new):
  // true stops it there.
  [[nodiscard]] virtual bool prune(const StudyView& study, const TrialRecord& trial) const = 0;
  // The group of trials that trial `number` competes in; the sampler proposes it from its own
  // group's trials only. One group, except Hyperband's brackets (whose pruned trials stop at
  // other epochs): as Optuna's _filter_study gives the sampler one bracket's trials.
  [[nodiscard]] virtual std::size_t group(const StudyView& /*study*/,
                                          std::int64_t /*number*/) const {
    return 0;
  }
};

using PrunerRegistry = Registry<Pruner>;
PrunerRegistry& pruner_registry();

// Successive halving's decision at the trial's last epoch, as Optuna's SuccessiveHalvingPruner:
// rung r ends at epoch min_resource * factor^(rate + r); a trial that reaches it goes on only if
// its value there is in the best 1/factor of the values `competitors` had there (itself
// included). Shared by asha and hyperband (which passes one bracket's trials).
struct HalvingRule {
  std::int64_t min_resource = 1;
  std::int64_t reduction_factor = 3;
  std::int64_t min_early_stopping_rate = 0;
};
bool halving_prunes(const HalvingRule& rule, bool minimize,
                    std::span<const TrialRecord* const> competitors, const TrialRecord& trial);

}  // namespace runner

#define RUNNER_REGISTER_PRUNER(Class)                                   \
  [[maybe_unused]] static const bool runner_pruner_registered_##Class = \
      (::runner::pruner_registry().add(Class::schema(), &Class::create), true)
