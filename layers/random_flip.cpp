// RandomFlip: Keras' augmentation layer. In training each image is flipped left-right and/or
// top-bottom, each with probability 1/2; in inference it passes unchanged. The choice is a pure
// function of (seed, step, sample in the global batch), so runs are bitwise reproducible on any
// thread count, on resume and in data-parallel shards.
#include <algorithm>

#include "framework/core/parallel.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

constexpr std::size_t kSamplesPerTask = 4;

class RandomFlip final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "RandomFlip";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "flips images at random in training (augmentation)")
            .choice("mode", "which flips may happen",
                    {"horizontal", "vertical", "horizontal_and_vertical"},
                    "horizontal_and_vertical")
            .seed("seed", "flip seed (default: derived from the experiment seed)")
            .keras("");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<RandomFlip>(p); }

  explicit RandomFlip(const Params& p)
      : params_(p),
        horizontal_(p.text("mode") != "vertical"),
        vertical_(p.text("mode") != "horizontal"),
        seed_(static_cast<std::uint64_t>(p.integer("seed"))) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    require_image_input(input);
    return input;
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    shape_ = input;
    flips_.resize(static_cast<std::size_t>(max_batch));
  }

  // Flips only in training.
  [[nodiscard]] bool passes_input_on(Mode mode) const override { return mode == Mode::kEval; }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const auto batch = static_cast<std::size_t>(input.batch());
    const std::uint64_t key = derive_seed(seed_, pass.step);
    for (std::size_t n = 0; n < batch; ++n) {
      const std::uint64_t bits = mix64(key + pass.sample_offset + n);
      const bool train = pass.mode == Mode::kTrain;
      flips_[n] =
          Flip{train && horizontal_ && (bits & 1U) != 0, train && vertical_ && (bits & 2U) != 0};
    }
    apply(input.data(), output.data(), batch);
  }

  // A flip is its own inverse: the gradient goes back through the same flips.
  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      apply(grad_output.data(), grad_input->data(), static_cast<std::size_t>(grad_output.batch()));
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  struct Flip {
    bool horizontal = false, vertical = false;
  };

  void apply(const float* from, float* to, std::size_t batch) const {
    const long h = shape_[0];
    const long w = shape_[1];
    const long c = shape_[2];
    const long size = h * w * c;
    parallel_for(0, batch, kSamplesPerTask, [&](std::size_t first, std::size_t last) {
      for (std::size_t n = first; n < last; ++n) {
        const float* src = from + static_cast<long>(n) * size;
        float* dst = to + static_cast<long>(n) * size;
        for (long y = 0; y < h; ++y) {
          const long sy = flips_[n].vertical ? h - 1 - y : y;
          const float* source_row = src + sy * w * c;
          float* row = dst + y * w * c;
          if (!flips_[n].horizontal) {
            std::copy(source_row, source_row + w * c, row);
          } else if (c == 1) {  // grayscale: one reversed copy of the row
            std::reverse_copy(source_row, source_row + w, row);
          } else {
            for (long x = 0; x < w; ++x) {
              std::copy(source_row + (w - 1 - x) * c, source_row + (w - x) * c, row + x * c);
            }
          }
        }
      }
    });
  }

  Params params_;
  bool horizontal_, vertical_;
  std::uint64_t seed_;
  Shape shape_;
  std::vector<Flip> flips_;  // the last forward's choice per sample
};

}  // namespace
RUNNER_REGISTER_LAYER(RandomFlip);
}  // namespace runner
