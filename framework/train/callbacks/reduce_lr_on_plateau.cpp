// ReduceLROnPlateau with Keras 2.11's semantics: after `patience` epochs without an
// improvement of more than min_delta, lr = max(lr * factor, min_lr), then `cooldown` epochs
// during which waiting does not count.
#include <fmt/format.h>

#include <limits>

#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class ReduceLROnPlateau final : public Callback {
 public:
  static constexpr std::string_view kType = "ReduceLROnPlateau";

  static std::unique_ptr<Callback> from_spec(const Spec& spec) {
    MapReader p = spec.params();
    auto cb = std::make_unique<ReduceLROnPlateau>();
    cb->monitor_ = p.get_or<std::string>("monitor", "val_loss");
    cb->factor_ =
        p.get_or<double>("factor", 0.1, [](const double& v) -> std::optional<std::string> {
          if (v > 0.0 && v < 1.0) {
            return std::nullopt;
          }
          return fmt::format(
              "expected a factor in (0, 1) (ReduceLROnPlateau does not increase the "
              "learning rate), got {}",
              v);
        });
    cb->patience_ = p.get_or<std::int64_t>("patience", 10, at_least(0));
    cb->verbose_ = p.get_or<std::int64_t>("verbose", 0, at_least(0));
    cb->mode_ = read_mode(p, cb->monitor_);
    cb->min_delta_ = p.get_or<double>("min_delta", 1e-4, non_negative());
    cb->cooldown_ = p.get_or<std::int64_t>("cooldown", 0, at_least(0));
    cb->min_lr_ = p.get_or<double>("min_lr", 0.0, non_negative());
    p.reject_unknown();
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] YAML::Node config() const override {
    YAML::Node node;
    node["type"] = std::string(kType);
    node["monitor"] = monitor_;
    node["factor"] = yaml_number(factor_);
    node["patience"] = patience_;
    node["verbose"] = verbose_;
    node["mode"] = mode_name(mode_);
    node["min_delta"] = yaml_number(min_delta_);
    node["cooldown"] = cooldown_;
    node["min_lr"] = yaml_number(min_lr_);
    return node;
  }

  void on_train_begin(TrainContext& /*ctx*/) override {
    best_ = mode_ == MonitorMode::kMin ? std::numeric_limits<double>::infinity()
                                       : -std::numeric_limits<double>::infinity();
    wait_ = 0;
    cooldown_counter_ = 0;
  }

  void save_state(CallbackState& s) const override {
    s.numbers = {{"best", best_},
                 {"wait", static_cast<double>(wait_)},
                 {"cooldown_counter", static_cast<double>(cooldown_counter_)}};
  }

  void load_state(const CallbackState& s) override {
    best_ = s.numbers.at("best");
    wait_ = static_cast<std::int64_t>(s.numbers.at("wait"));
    cooldown_counter_ = static_cast<std::int64_t>(s.numbers.at("cooldown_counter"));
  }

  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& ctx) override {
    const auto current = logs.get(monitor_);
    if (!current) {
      return;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      wait_ = 0;
    }
    const bool better =
        mode_ == MonitorMode::kMin ? *current < best_ - min_delta_ : *current > best_ + min_delta_;
    if (better) {
      best_ = *current;
      wait_ = 0;
    } else if (cooldown_counter_ <= 0) {
      ++wait_;
      if (wait_ >= patience_) {
        const double old_lr = ctx.optimizer->learning_rate();
        if (old_lr > min_lr_) {
          const double new_lr = std::max(old_lr * factor_, min_lr_);
          ctx.optimizer->set_learning_rate(new_lr);
          if (verbose_ > 0) {
            ctx.message(fmt::format("Epoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                                    epoch + 1, new_lr));
          }
          cooldown_counter_ = cooldown_;
          wait_ = 0;
        }
      }
    }
  }

 private:
  std::string monitor_;
  double factor_ = 0.1;
  std::int64_t patience_ = 10;
  std::int64_t verbose_ = 0;
  MonitorMode mode_ = MonitorMode::kMin;
  double min_delta_ = 1e-4;
  std::int64_t cooldown_ = 0;
  double min_lr_ = 0;

  double best_ = 0;
  std::int64_t wait_ = 0;
  std::int64_t cooldown_counter_ = 0;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(ReduceLROnPlateau);
}  // namespace runner
