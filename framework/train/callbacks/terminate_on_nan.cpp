// TerminateOnNaN: stops training after a batch whose loss is NaN or infinite.
#include <fmt/format.h>

#include <cmath>

#include "framework/train/callbacks/callback.hpp"

namespace runner {
namespace {

class TerminateOnNaN final : public Callback {
 public:
  static constexpr std::string_view kType = "TerminateOnNaN";

  static const Schema& schema() {
    static const Schema s(std::string(kType),
                          "stops training after a batch whose loss is NaN or infinite");
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    auto cb = std::make_unique<TerminateOnNaN>();
    cb->config_ = p.resolved();
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  void on_epoch_begin(std::int64_t epoch, TrainContext& /*ctx*/) override { epoch_ = epoch; }

  void on_batch_end(std::int64_t step, const Logs& logs, TrainContext& ctx) override {
    const auto loss = logs.get("loss");
    if (loss && !std::isfinite(*loss) && !ctx.stop_training) {
      const std::string what =
          fmt::format("Epoch {}, batch {}: invalid loss ({}), terminating training", epoch_ + 1,
                      step + 1, std::isnan(*loss) ? "nan" : fmt::format("{}", *loss));
      ctx.message(what);
      ctx.failure = what;
      ctx.stop_training = true;
    }
  }

 private:
  std::int64_t epoch_ = 0;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(TerminateOnNaN);
}  // namespace runner
