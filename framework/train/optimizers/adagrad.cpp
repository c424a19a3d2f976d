// Adagrad as Keras 2.11 computes it: a += g^2 (a starts at initial_accumulator_value);
// w -= lr * g / sqrt(a + epsilon).
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class Adagrad final : public Optimizer {
 public:
  static constexpr std::string_view kType = "adagrad";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "Adagrad: steps scaled by the sum of all squared gradients");
      out.keras_class("Adagrad");
      declare_learning_rate(out, 0.001)
          .real("initial_accumulator_value", "starting value of the sums", 0.1)
          .at_least(0)
          .real("epsilon", "added under the square root", 1e-7)
          .above(0);
      return declare_common(out);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<Adagrad>(p) : nullptr;
  }

  explicit Adagrad(const Params& p)
      : Optimizer(p), initial_(p.real("initial_accumulator_value")), epsilon_(p.real("epsilon")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    return {{"accumulator", &accumulator_}};
  }

 protected:
  void prepare_slots(std::size_t size) override {
    accumulator_.assign(size, static_cast<float>(initial_));
  }

  void update(std::span<float> params, std::span<const float> grads) override {
    const auto lr = static_cast<float>(learning_rate_);
    const auto eps = static_cast<float>(epsilon_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict a = accumulator_.data();
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {  // loads first (for_each_chunk)
        const float gi = g[i];
        const float ai = a[i] + gi * gi;
        const float wi = w[i] - lr * gi / std::sqrt(ai + eps);
        a[i] = ai;
        w[i] = wi;
      }
    });
  }

 private:
  double initial_, epsilon_;
  std::vector<float> accumulator_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(Adagrad);
}  // namespace runner
