// RandomRotation: Keras' augmentation layer. In training each image is rotated about its centre
// by a random angle, a fraction of a full turn (filling as fill_mode says); in inference it
// passes unchanged.
#include <cmath>
#include <numbers>

#include "framework/nn/layer_registry.hpp"
#include "layers/random_transform.hpp"

namespace runner {
namespace {

class RandomRotation final : public RandomTransform {
 public:
  static constexpr std::string_view kType = "RandomRotation";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "rotates images at random in training (augmentation)");
      out.bounds("factor", "angle as a fraction of a full turn (+: counter-clockwise)").required();
      return declare_fill(out);
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<RandomRotation>(p);
  }

  explicit RandomRotation(const Params& p) : RandomTransform(p), turns_(p.bounds("factor")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

 private:
  // Keras' rotation matrix: output pixel (x, y) reads the input rotated by the angle about the
  // image centre ((width - 1) / 2, (height - 1) / 2).
  [[nodiscard]] kernels::AffineMap draw(const SampleDraws& draws, long height,
                                        long width) const override {
    constexpr double kTurn = 2.0 * std::numbers::pi;
    const float angle = draws.uniform(turns_[0] * kTurn, turns_[1] * kTurn, 0);
    const float c = std::cos(angle);
    const float s = std::sin(angle);
    const auto w = static_cast<float>(width - 1);
    const auto h = static_cast<float>(height - 1);
    return {.a0 = c,
            .a1 = -s,
            .a2 = (w - (c * w - s * h)) / 2.0F,
            .b0 = s,
            .b1 = c,
            .b2 = (h - (s * w + c * h)) / 2.0F};
  }

  std::array<double, 2> turns_;
};

}  // namespace
RUNNER_REGISTER_LAYER(RandomRotation);
}  // namespace runner
