// ExponentialDecay as Keras computes it: lr = initial * decay_rate ^ (step / decay_steps), the
// exponent floored with staircase.
#include <cmath>

#include "framework/train/schedules/schedule.hpp"

namespace runner {
namespace {

class ExponentialDecay final : public LearningRateSchedule {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("ExponentialDecay", "multiplies the rate by decay_rate every decay_steps steps")
            .real("initial_learning_rate", "the rate at step 0")
            .required()
            .above(0)
            .integer("decay_steps", "steps per decay_rate factor")
            .required()
            .at_least(1)
            .real("decay_rate", "factor per decay_steps")
            .required()
            .above(0)
            .flag("staircase", "decay in whole steps of decay_steps", false);
    return s;
  }

  static std::unique_ptr<LearningRateSchedule> create(const Params& p) {
    return std::make_unique<ExponentialDecay>(p);
  }

  explicit ExponentialDecay(const Params& p)
      : LearningRateSchedule(p),
        initial_(p.real("initial_learning_rate")),
        decay_steps_(static_cast<double>(p.integer("decay_steps"))),
        decay_rate_(p.real("decay_rate")),
        staircase_(p.flag("staircase")) {}

  [[nodiscard]] double at(std::int64_t step) const override {
    double exponent = static_cast<double>(step) / decay_steps_;
    if (staircase_) {
      exponent = std::floor(exponent);
    }
    return initial_ * std::pow(decay_rate_, exponent);
  }

 private:
  double initial_, decay_steps_, decay_rate_;
  bool staircase_;
};

}  // namespace
RUNNER_REGISTER_SCHEDULE(ExponentialDecay);
}  // namespace runner
