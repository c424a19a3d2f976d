// RandomZoom: Keras' augmentation layer. In training each image is zoomed about its centre by a
// random factor per axis (positive factors zoom out, negative zoom in; filling as fill_mode
// says); in inference it passes unchanged.
#include "framework/nn/layer_registry.hpp"
#include "layers/random_transform.hpp"

namespace runner {
namespace {

class RandomZoom final : public RandomTransform {
 public:
  static constexpr std::string_view kType = "RandomZoom";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "zooms images at random in training (augmentation)");
      out.bounds("height_factor", "vertical zoom as a fraction (+: out, -: in)")
          .required()
          .at_least(-1)
          .at_most(1);
      out.bounds("width_factor", "horizontal zoom (default: the vertical one, keeping the aspect)")
          .at_least(-1);
      return declare_fill(out);
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<RandomZoom>(p); }

  explicit RandomZoom(const Params& p)
      : RandomTransform(p),
        height_(p.bounds("height_factor")),
        width_(p.given("width_factor") ? std::optional(p.bounds("width_factor")) : std::nullopt) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

 private:
  // Keras' zoom matrix: output pixel (x, y) reads input (zx x + ox, zy y + oy), the offsets
  // keeping the image centre in place.
  [[nodiscard]] kernels::AffineMap draw(const SampleDraws& draws, long height,
                                        long width) const override {
    const float zy = draws.uniform(1.0 + height_[0], 1.0 + height_[1], 0);
    const float zx = width_ ? draws.uniform(1.0 + (*width_)[0], 1.0 + (*width_)[1], 1) : zy;
    return {.a0 = zx,
            .a1 = 0,
            .a2 = static_cast<float>(width - 1) / 2.0F * (1.0F - zx),
            .b0 = 0,
            .b1 = zy,
            .b2 = static_cast<float>(height - 1) / 2.0F * (1.0F - zy)};
  }

  std::array<double, 2> height_;
  std::optional<std::array<double, 2>> width_;
};

}  // namespace
RUNNER_REGISTER_LAYER(RandomZoom);
}  // namespace runner
