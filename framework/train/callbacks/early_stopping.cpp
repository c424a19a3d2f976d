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

  static std::unique_ptr<Callback> from_spec(const Spec& spec) {
    MapReader p = spec.params();
    auto cb = std::make_unique<EarlyStopping>();
    cb->monitor_ = p.get_or<std::string>("monitor", "val_loss");
    cb->min_delta_ = std::abs(p.get_or<double>("min_delta", 0.0));
    cb->patience_ = p.get_or<std::int64_t>("patience", 0, at_least(0));
    cb->verbose_ = p.get_or<std::int64_t>("verbose", 0, at_least(0));
    cb->mode_ = read_mode(p, cb->monitor_);
    cb->baseline_ = p.get<double>("baseline");
    cb->restore_best_weights_ = p.get_or<bool>("restore_best_weights", false);
    cb->start_from_epoch_ = p.get_or<std::int64_t>("start_from_epoch", 0, at_least(0));
    p.reject_unknown();
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] YAML::Node config() const override {
    YAML::Node node;
    node["type"] = std::string(kType);
    node["monitor"] = monitor_;
    node["min_delta"] = yaml_number(min_delta_);
    node["patience"] = patience_;
    node["verbose"] = verbose_;
    node["mode"] = mode_name(mode_);
    node["baseline"] = baseline_ ? yaml_number(*baseline_) : YAML::Node(YAML::NodeType::Null);
    node["restore_best_weights"] = restore_best_weights_;
    node["start_from_epoch"] = start_from_epoch_;
    return node;
  }

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
