#include "framework/train/schedules/schedule.hpp"

namespace runner {

ScheduleRegistry& schedule_registry() {
  static ScheduleRegistry registry("learning-rate schedule");
  return registry;
}

std::unique_ptr<LearningRateSchedule> make_schedule(const Spec& spec) {
  return schedule_registry().create(spec);
}

}  // namespace runner
