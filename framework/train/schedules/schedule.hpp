#pragma once
// Learning-rate schedules: the learning rate as a function of the optimizer's step count, as
// Keras' keras.optimizers.schedules compute it. An optimizer's `learning_rate` may be one (a
// mapping with `type`); the LearningRateScheduler callback evaluates one per epoch. Each
// schedule file registers itself (RUNNER_REGISTER_SCHEDULE).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "framework/core/registry.hpp"

namespace runner {

class LearningRateSchedule {
 public:
  explicit LearningRateSchedule(const Params& params) : config_(params.resolved()) {}
  virtual ~LearningRateSchedule() = default;
  // The learning rate for the step after `step` steps (Keras: schedule(optimizer.iterations)).
  [[nodiscard]] virtual double at(std::int64_t step) const = 0;
  [[nodiscard]] YAML::Node config() const { return YAML::Clone(config_); }

 private:
  YAML::Node config_;
};

using ScheduleRegistry = Registry<LearningRateSchedule>;
ScheduleRegistry& schedule_registry();

// A schedule from `spec` (errors recorded in its diagnostics; then null).
std::unique_ptr<LearningRateSchedule> make_schedule(const Spec& spec);

}  // namespace runner

#define RUNNER_REGISTER_SCHEDULE(Class)                          \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::schedule_registry().add(Class::schema(), &Class::create), true)
