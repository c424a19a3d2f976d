#pragma once
// What samplers and pruners see of a sweep: its search space and the trials they may learn
// from, each with its parameters, its metric after every epoch and its final value.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "framework/search/search_space.hpp"
#include "framework/search/trial_state.hpp"

namespace runner {

struct TrialRecord {
  std::int64_t number = 0;
  TrialState state = TrialState::kQueued;
  ParameterValues params;
  std::map<std::int64_t, double> intermediate;  // epoch (from 1) -> the sweep's metric
  std::optional<double> value;                  // completed: the metric's best epoch

  [[nodiscard]] std::optional<std::int64_t> last_step() const {
    if (intermediate.empty()) {
      return std::nullopt;
    }
    return intermediate.rbegin()->first;
  }
};

struct StudyView {
  const SearchSpace* space = nullptr;
  // The trials a decision may use, by number. A sweep passes only trials that had ended when
  // the decision's trial was proposed, so decisions do not depend on timing (docs/sweeps.md).
  std::span<const TrialRecord> trials;
  // The settings of every trial the sweep has, whatever its state: a sampler proposes one of
  // them again only when it finds no other (docs/sweeps.md).
  std::span<const ParameterValues> taken;
  bool minimize = true;
  std::uint64_t seed = 0;
  std::string name;             // the sweep's name (Hyperband's brackets hash it, as Optuna's)
  std::int64_t max_epochs = 0;  // the trials' fit.epochs: the most resource a trial gets
};

}  // namespace runner
