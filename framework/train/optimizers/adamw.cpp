// AdamW: Adam with decoupled weight decay (w -= w * weight_decay * lr before each update), as
// Keras 2.11 and torch.optim.AdamW compute it.
#include "framework/train/optimizers/adam_rule.hpp"

namespace runner {
namespace {

class AdamW final : public AdamRule {
 public:
  static constexpr std::string_view kType = "adamw";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "AdamW: Adam with decoupled weight decay");
      out.keras_class("AdamW");
      AdamRule::declare(out);
      return declare_common(out, 0.004);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<AdamW>(p) : nullptr;
  }

  explicit AdamW(const Params& p) : AdamRule(p) {}

  [[nodiscard]] std::string_view type() const override { return kType; }
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(AdamW);
}  // namespace runner
