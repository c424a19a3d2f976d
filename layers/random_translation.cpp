// RandomTranslation: Keras' augmentation layer. In training each image is shifted by a random
// fraction of its height and width (filling as fill_mode says); in inference it passes
// unchanged.
#include "framework/nn/layer_registry.hpp"
#include "layers/random_transform.hpp"

namespace runner {
namespace {

class RandomTranslation final : public RandomTransform {
 public:
  static constexpr std::string_view kType = "RandomTranslation";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "shifts images at random in training (augmentation)");
      out.bounds("height_factor", "vertical shift as a fraction of the height (+: down)")
          .required()
          .at_least(-1)
          .at_most(1);
      out.bounds("width_factor", "horizontal shift as a fraction of the width (+: right)")
          .required()
          .at_least(-1)
          .at_most(1);
      return declare_fill(out);
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<RandomTranslation>(p);
  }

  explicit RandomTranslation(const Params& p)
      : RandomTransform(p), height_(p.bounds("height_factor")), width_(p.bounds("width_factor")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

 private:
  // Output pixel (x, y) reads input (x - dx, y - dy): the image moves by (dx, dy).
  [[nodiscard]] kernels::AffineMap draw(const SampleDraws& draws, long height,
                                        long width) const override {
    const float dy = draws.uniform(height_[0], height_[1], 0) * static_cast<float>(height);
    const float dx = draws.uniform(width_[0], width_[1], 1) * static_cast<float>(width);
    return {.a0 = 1, .a1 = 0, .a2 = -dx, .b0 = 0, .b1 = 1, .b2 = -dy};
  }

  std::array<double, 2> height_, width_;
};

}  // namespace
RUNNER_REGISTER_LAYER(RandomTranslation);
}  // namespace runner
