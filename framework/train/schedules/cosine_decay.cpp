// CosineDecay as Keras computes it, with the linear warm-up Keras 2.13 added: for
// step < warmup_steps, initial + (warmup_target - initial) * step / warmup_steps; then
// peak * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step - warmup_steps, decay_steps) / decay_steps))
// + alpha), where peak is warmup_target (or initial_learning_rate without warm-up).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "framework/train/schedules/schedule.hpp"

namespace runner {
namespace {

class CosineDecay final : public LearningRateSchedule {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("CosineDecay", "half a cosine from the peak rate down to alpha * peak")
            .real("initial_learning_rate", "the rate at step 0 (0 is fine with a warm-up)")
            .required()
            .at_least(0)
            .integer("decay_steps", "steps of the cosine (after the warm-up)")
            .required()
            .at_least(1)
            .real("alpha", "the final rate as a fraction of the peak", 0.0)
            .at_least(0)
            .at_most(1)
            .real("warmup_target", "the peak reached by a linear warm-up (none: no warm-up)")
            .above(0)
            .integer("warmup_steps", "steps of the linear warm-up", 0)
            .at_least(0);
    return s;
  }

  static std::unique_ptr<LearningRateSchedule> create(const Params& p) {
    return std::make_unique<CosineDecay>(p);
  }

  explicit CosineDecay(const Params& p)
      : LearningRateSchedule(p),
        initial_(p.real("initial_learning_rate")),
        decay_steps_(p.integer("decay_steps")),
        alpha_(p.real("alpha")),
        warmup_target_(p.maybe_real("warmup_target")),
        warmup_steps_(warmup_target_ ? p.integer("warmup_steps") : 0) {}

  [[nodiscard]] double at(std::int64_t step) const override {
    if (step < warmup_steps_) {
      return initial_ + (*warmup_target_ - initial_) * static_cast<double>(step) /
                            static_cast<double>(warmup_steps_);
    }
    const double peak = warmup_target_.value_or(initial_);
    const double done = static_cast<double>(std::min(step - warmup_steps_, decay_steps_)) /
                        static_cast<double>(decay_steps_);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * done));
    return peak * ((1.0 - alpha_) * cosine + alpha_);
  }

 private:
  double initial_;
  std::int64_t decay_steps_;
  double alpha_;
  std::optional<double> warmup_target_;
  std::int64_t warmup_steps_;
};

}  // namespace
RUNNER_REGISTER_SCHEDULE(CosineDecay);
}  // namespace runner
