#pragma once
// Samplers propose a trial's parameters from the trials before it (registered by name, as
// layers are: a new sampler is one file, RUNNER_REGISTER_SAMPLER).
//
//   sweep:
//     method: {type: tpe, startup_trials: 10, multivariate: true}
#include <cstdint>
#include <memory>
#include <optional>
#include <set>

#include "framework/core/registry.hpp"
#include "framework/core/rng.hpp"
#include "framework/search/study.hpp"

namespace runner {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The values of trial `number`, for the parameters whose conditions hold. Draws come from an
  // RNG seeded by (study.seed, number): the same view gives the same values, whoever asks.
  [[nodiscard]] virtual ParameterValues sample(const StudyView& study,
                                               std::int64_t number) const = 0;
};

using SamplerRegistry = Registry<Sampler>;
SamplerRegistry& sampler_registry();

// A uniform draw (log-uniform with `log`), snapped to the step: Optuna's RandomSampler.
double sample_uniform(const Distribution& d, Rng& rng);
// The RNG of trial `number`.
Rng trial_rng(const StudyView& study, std::int64_t number);
// A uniform draw of every parameter (drawn whether it applies or not, so that streams stay
// aligned), keeping those that apply.
ParameterValues sample_setting(const SearchSpace& space, Rng& rng);

// Settings counted as tried (study.taken).
class TakenSettings {
 public:
  explicit TakenSettings(const StudyView& study) : taken_(study.taken.begin(), study.taken.end()) {}
  [[nodiscard]] bool contains(const ParameterValues& v) const { return taken_.count(v) != 0; }

 private:
  std::set<ParameterValues> taken_;
};

// Spaces of at most this many settings are enumerated to find the untried ones.
inline constexpr std::uint64_t kEnumerableSettings = 100'000;
// A setting not taken, chosen uniformly: among all untried settings of an enumerable space,
// else the first of up to 1,000 uniform draws that is new. None when none is found.
std::optional<ParameterValues> untried_setting(const StudyView& study, const TakenSettings& taken,
                                               Rng& rng);

}  // namespace runner

#define RUNNER_REGISTER_SAMPLER(Class)                                   \
  [[maybe_unused]] static const bool runner_sampler_registered_##Class = \
      (::runner::sampler_registry().add(Class::schema(), &Class::create), true)
