// CosineDecayRestarts (SGDR) as Keras computes it: cosine periods of first_decay_steps, each
// t_mul times longer than the last and starting m_mul times lower.
#include <cmath>
#include <numbers>

#include "framework/train/schedules/schedule.hpp"

namespace runner {
namespace {

class CosineDecayRestarts final : public LearningRateSchedule {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("CosineDecayRestarts", "cosine decay restarted after each period (SGDR)")
            .real("initial_learning_rate", "the rate at step 0")
            .required()
            .above(0)
            .integer("first_decay_steps", "steps of the first period")
            .required()
            .at_least(1)
            .real("t_mul", "each period's length over the previous one's", 2.0)
            .above(0)
            .real("m_mul", "each period's starting rate over the previous one's", 1.0)
            .above(0)
            .real("alpha", "the lowest rate as a fraction of the period's start", 0.0)
            .at_least(0)
            .at_most(1);
    return s;
  }

  static std::unique_ptr<LearningRateSchedule> create(const Params& p) {
    return std::make_unique<CosineDecayRestarts>(p);
  }

  explicit CosineDecayRestarts(const Params& p)
      : LearningRateSchedule(p),
        initial_(p.real("initial_learning_rate")),
        first_steps_(static_cast<double>(p.integer("first_decay_steps"))),
        t_mul_(p.real("t_mul")),
        m_mul_(p.real("m_mul")),
        alpha_(p.real("alpha")) {}

  [[nodiscard]] double at(std::int64_t step) const override {
    double fraction = static_cast<double>(step) / first_steps_;
    double restarts = 0;
    if (t_mul_ == 1.0) {
      restarts = std::floor(fraction);
      fraction -= restarts;
    } else {
      restarts = std::floor(std::log(1.0 - fraction * (1.0 - t_mul_)) / std::log(t_mul_));
      const double before = (1.0 - std::pow(t_mul_, restarts)) / (1.0 - t_mul_);
      fraction = (fraction - before) / std::pow(t_mul_, restarts);
    }
    const double cosine =
        0.5 * std::pow(m_mul_, restarts) * (1.0 + std::cos(std::numbers::pi * fraction));
    return initial_ * ((1.0 - alpha_) * cosine + alpha_);
  }

 private:
  double initial_, first_steps_, t_mul_, m_mul_, alpha_;
};

}  // namespace
RUNNER_REGISTER_SCHEDULE(CosineDecayRestarts);
}  // namespace runner
