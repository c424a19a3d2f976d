// PiecewiseConstantDecay as Keras computes it: values[0] while step <= boundaries[0],
// values[i] while boundaries[i-1] < step <= boundaries[i], the last value after.
#include <fmt/format.h>

#include "framework/train/schedules/schedule.hpp"

namespace runner {
namespace {

class PiecewiseConstantDecay final : public LearningRateSchedule {
 public:
  static const Schema& schema() {
    static const Schema s = Schema("PiecewiseConstantDecay", "a constant rate per range of steps")
                                .integers("boundaries", "increasing steps where the rate changes")
                                .required()
                                .at_least(0)
                                .reals("values", "the rates: one more than boundaries")
                                .required()
                                .above(0);
    return s;
  }

  static std::unique_ptr<LearningRateSchedule> create(const Params& p) {
    const auto boundaries = p.integers("boundaries");
    const auto values = p.reals("values");
    if (values.size() != boundaries.size() + 1) {
      p.error("values", fmt::format("expected {} values (one more than boundaries), got {}",
                                    boundaries.size() + 1, values.size()));
      return nullptr;
    }
    for (std::size_t i = 1; i < boundaries.size(); ++i) {
      if (boundaries[i] <= boundaries[i - 1]) {
        p.error("boundaries", "expected strictly increasing steps");
        return nullptr;
      }
    }
    return std::make_unique<PiecewiseConstantDecay>(p);
  }

  explicit PiecewiseConstantDecay(const Params& p)
      : LearningRateSchedule(p),
        boundaries_(p.integers("boundaries")),
        values_(p.reals("values")) {}

  [[nodiscard]] double at(std::int64_t step) const override {
    for (std::size_t i = 0; i < boundaries_.size(); ++i) {
      if (step <= boundaries_[i]) {
        return values_[i];
      }
    }
    return values_.back();
  }

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<double> values_;
};

}  // namespace
RUNNER_REGISTER_SCHEDULE(PiecewiseConstantDecay);
}  // namespace runner
