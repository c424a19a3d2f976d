// Adam as Keras 2.11 computes it (framework/train/optimizers/adam_rule.hpp).
#include "framework/train/optimizers/adam_rule.hpp"

namespace runner {
namespace {

class Adam final : public AdamRule {
 public:
  static constexpr std::string_view kType = "adam";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "Adam: adaptive moment estimation (Keras 2.11 update rule)");
      out.keras_class("Adam");
      AdamRule::declare(out);
      return declare_common(out);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<Adam>(p) : nullptr;
  }

  explicit Adam(const Params& p) : AdamRule(p) {}

  [[nodiscard]] std::string_view type() const override { return kType; }
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(Adam);
}  // namespace runner
