// SGD as Keras 2.11 computes it: m = momentum * m - lr * g, then w += m (or w += momentum * m -
// lr * g with nesterov). Like Keras, it keeps m (slot "m") even without momentum, where it is
// -lr * g and w += m is exactly w -= lr * g.
#include <algorithm>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class Sgd final : public Optimizer {
 public:
  static constexpr std::string_view kType = "sgd";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "stochastic gradient descent, with optional momentum");
      out.keras_class("SGD");
      declare_learning_rate(out, 0.01)
          .real("momentum", "velocity kept from step to step (0: plain SGD)", 0.0)
          .at_least(0)
          .at_most(1)
          .flag("nesterov", "Nesterov momentum", false);
      return declare_common(out);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<Sgd>(p) : nullptr;
  }

  explicit Sgd(const Params& p)
      : Optimizer(p), momentum_(p.real("momentum")), nesterov_(p.flag("nesterov")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    return {{"m", &velocity_}};
  }

  // runner before 2026-11-30 saved the slot as "momentum", and none without momentum (then m
  // is overwritten before it is read).
  bool restore_former_slot(const std::string& name,
                           const std::map<std::string, std::vector<float>>& saved,
                           std::vector<float>& buffer) const override {
    const auto it = saved.find("momentum");
    if (name == "m" && it != saved.end() && it->second.size() == buffer.size()) {
      buffer = it->second;
      return true;
    }
    if (name == "m" && momentum_ == 0) {
      std::fill(buffer.begin(), buffer.end(), 0.0F);
      return true;
    }
    return false;
  }

 protected:
  void prepare_slots(std::size_t size) override { velocity_.assign(size, 0.0F); }

  void update(std::span<float> params, std::span<const float> grads) override {
    const auto lr = static_cast<float>(learning_rate_);
    const auto mu = static_cast<float>(momentum_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict m = velocity_.data();
    const bool nesterov = nesterov_;
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {  // loads first (for_each_chunk)
        const float gi = g[i];
        const float mi = mu * m[i] - lr * gi;
        const float wi = w[i] + (nesterov ? mu * mi - lr * gi : mi);
        m[i] = mi;
        w[i] = wi;
      }
    });
  }

 private:
  double momentum_;
  bool nesterov_;
  std::vector<float> velocity_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(Sgd);
}  // namespace runner
