#pragma once
// Samplers propose a trial's parameters from the trials before it (registered by name, as
// layers are: a new sampler is one file, RUNNER_REGISTER_SAMPLER).
//
//   sweep:
//     method: {type: tpe, startup_trials: 10, multivariate: true}
#include <cstdint>
#include <memory>

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

}  // namespace runner

#define RUNNER_REGISTER_SAMPLER(Class)                                   \
  [[maybe_unused]] static const bool runner_sampler_registered_##Class = \
      (::runner::sampler_registry().add(Class::schema(), &Class::create), true)
