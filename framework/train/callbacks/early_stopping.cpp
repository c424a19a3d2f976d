// EarlyStopping with Keras 2.11's semantics: `wait` counts epochs without improvement (by more
// than min_delta); training stops when wait >= patience (never on the first epoch). The best
// weights are restored only when training is stopped early, not when the epochs run out.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "framework/nn/model.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner {
namespace {

class EarlyStopping final : public Callback {
 public:
  static constexpr std::string_view kType = "EarlyStopping";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "stops training when `monitor` has stopped improving");
      out.text("monitor", "the log value watched", "val_loss")
          .real("min_delta", "smallest change that counts as an improvement (sign ignored)", 0.0)
          .integer("patience", "epochs without improvement before stopping", 0)
          .at_least(0)
          .integer("verbose", "1: print a line when stopping", 0)
          .at_least(0);
      declare_mode(out);
      out.real("baseline", "stop unless `monitor` beats this within `patience` epochs")
          .flag("restore_best_weights", "end with the best epoch's weights", false)
          .integer("start_from_epoch", "epochs of warm-up before improvement is judged", 0)
          .at_least(0);
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    auto cb = std::make_unique<EarlyStopping>();
    cb->monitor_ = p.text("monitor");
    cb->min_delta_ = std::abs(p.real("min_delta"));
    cb->patience_ = p.integer("patience");
    cb->verbose_ = p.integer("verbose");
    cb->mode_ = mode_of(p, KerasAutoMode::kEarlyStopping);
    cb->baseline_ = p.maybe_real("baseline");
    cb->restore_best_weights_ = p.flag("restore_best_weights");
    cb->start_from_epoch_ = p.integer("start_from_epoch");
    cb->config_ = p.resolved();
    cb->config_["mode"] = mode_name(cb->mode_);
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  void on_train_begin(TrainContext& /*ctx*/) override {
    wait_ = 0;
    stopped_epoch_ = 0;
    best_ = mode_ == MonitorMode::kMin ? std::numeric_limits<double>::infinity()
                                       : -std::numeric_limits<double>::infinity();
    best_weights_.clear();
    best_epoch_ = 0;
  }

  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& ctx) override {
    const auto current = logs.get(monitor_);
    if (!current || epoch < start_from_epoch_) {
      if (!current) {
        ctx.message(fmt::format("EarlyStopping: metric '{}' is not available (available: {})",
                                monitor_, fmt::join(logs.names(), ", ")));
      }
      return;
    }
    const auto params = ctx.model->parameters();
    if (restore_best_weights_ && best_weights_.empty()) {
      best_weights_.assign(params.begin(), params.end());  // Keras keeps the first epoch's
    }
    ++wait_;
    if (improves(*current, best_)) {
      best_ = *current;
      best_epoch_ = epoch;
      if (restore_best_weights_) {
        best_weights_.assign(params.begin(), params.end());
      }
      // Keras 2.11 restarts the count only when the baseline is beaten too, and (unlike
      // Keras 3) still checks patience below: a run that improves but never reaches the
      // baseline stops after `patience` epochs.
      if (!baseline_ || improves(*current, *baseline_)) {
        wait_ = 0;
      }
    }
    if (wait_ >= patience_ && epoch > 0) {
      stopped_epoch_ = epoch;
      ctx.stop_training = true;
      if (restore_best_weights_ && !best_weights_.empty()) {
        if (verbose_ > 0) {
          ctx.message(fmt::format("Restoring model weights from the end of the best epoch: {}.",
                                  best_epoch_ + 1));
        }
        std::copy(best_weights_.begin(), best_weights_.end(), params.begin());
        ctx.restored_note = fmt::format("restored weights from epoch {} ({} {:.4f})",
                                        best_epoch_ + 1, monitor_, best_);
      }
    }
  }

  void save_state(CallbackState& s) const override {
    s.numbers = {{"wait", static_cast<double>(wait_)},
                 {"stopped_epoch", static_cast<double>(stopped_epoch_)},
                 {"best_epoch", static_cast<double>(best_epoch_)},
                 {"best", best_}};
    s.arrays = {{"best_weights", best_weights_}};
  }

  void load_state(const CallbackState& s) override {
    wait_ = static_cast<std::int64_t>(s.numbers.at("wait"));
    stopped_epoch_ = static_cast<std::int64_t>(s.numbers.at("stopped_epoch"));
    best_epoch_ = static_cast<std::int64_t>(s.numbers.at("best_epoch"));
    best_ = s.numbers.at("best");
    best_weights_ = s.arrays.at("best_weights");
  }

  void on_train_end(TrainContext& ctx) override {
    if (stopped_epoch_ > 0 && verbose_ > 0) {
      ctx.message(fmt::format("Epoch {}: early stopping", stopped_epoch_ + 1));
    }
  }

 private:
  [[nodiscard]] bool improves(double value, double reference) const {
    return mode_ == MonitorMode::kMin ? value + min_delta_ < reference
                                      : value - min_delta_ > reference;
  }

  std::string monitor_;
  double min_delta_ = 0;
  std::int64_t patience_ = 0;
  std::int64_t verbose_ = 0;
  MonitorMode mode_ = MonitorMode::kMin;
  std::optional<double> baseline_;
  bool restore_best_weights_ = false;
  std::int64_t start_from_epoch_ = 0;

  std::int64_t wait_ = 0;
  std::int64_t stopped_epoch_ = 0;
  std::int64_t best_epoch_ = 0;
  double best_ = 0;
  std::vector<float> best_weights_;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(EarlyStopping);
}  // namespace runner
