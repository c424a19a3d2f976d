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

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType),
                 "multiplies the learning rate by `factor` when `monitor` stalls");
      out.text("monitor", "the log value watched", "val_loss")
          .real("factor", "multiplier of the learning rate (it never increases)", 0.1)
          .above(0)
          .below(1)
          .integer("patience", "epochs without improvement before a reduction", 10)
          .at_least(0)
          .integer("verbose", "1: print a line on each reduction", 0)
          .at_least(0);
      declare_mode(out);
      out.real("min_delta", "smallest change that counts as an improvement", 1e-4)
          .at_least(0)
          .integer("cooldown", "epochs to wait after a reduction", 0)
          .at_least(0)
          .real("min_lr", "lower bound of the learning rate", 0.0)
          .at_least(0);
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    auto cb = std::make_unique<ReduceLROnPlateau>();
    cb->monitor_ = p.text("monitor");
    cb->factor_ = p.real("factor");
    cb->patience_ = p.integer("patience");
    cb->verbose_ = p.integer("verbose");
    cb->mode_ = mode_of(p, KerasAutoMode::kReduceLROnPlateau);
    cb->min_delta_ = p.real("min_delta");
    cb->cooldown_ = p.integer("cooldown");
    cb->min_lr_ = p.real("min_lr");
    cb->config_ = p.resolved();
    cb->config_["mode"] = mode_name(cb->mode_);
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] bool changes_learning_rate() const override { return true; }

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
