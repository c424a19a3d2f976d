// LearningRateScheduler: sets the learning rate at the start of every epoch to a schedule's
// value at that epoch (Keras takes a Python function of the epoch; here it is any schedule of
// `runner schedules`, counted in epochs instead of steps).
#include <fmt/format.h>

#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "framework/train/schedules/schedule.hpp"

namespace runner {
namespace {

class LearningRateScheduler final : public Callback {
 public:
  static constexpr std::string_view kType = "LearningRateScheduler";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "sets the learning rate each epoch from a schedule of epochs")
            .any("schedule", "a schedule mapping (see `runner schedules`), its steps = epochs",
                 YAML::Node(YAML::NodeType::Null))
            .required()
            .integer("verbose", "1: print the rate set at each epoch", 0)
            .at_least(0);
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    if (!p.node("schedule").IsMap()) {
      p.error("schedule",
              "expected a schedule mapping with `type`, got " + describe(p.node("schedule")));
      return nullptr;
    }
    auto schedule = make_schedule(p.spec_of("schedule"));
    if (!schedule) {
      return nullptr;
    }
    auto cb = std::make_unique<LearningRateScheduler>();
    cb->schedule_ = std::move(schedule);
    cb->verbose_ = p.integer("verbose");
    cb->config_ = p.resolved();
    cb->config_["schedule"] = cb->schedule_->config();
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] bool changes_learning_rate() const override { return true; }

  void on_epoch_begin(std::int64_t epoch, TrainContext& ctx) override {
    const double lr = schedule_->at(epoch);
    ctx.optimizer->set_learning_rate(lr);
    if (verbose_ > 0) {
      ctx.message(fmt::format("Epoch {}: LearningRateScheduler setting learning rate to {}.",
                              epoch + 1, lr));
    }
  }

 private:
  std::unique_ptr<LearningRateSchedule> schedule_;
  std::int64_t verbose_ = 0;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(LearningRateScheduler);
}  // namespace runner
