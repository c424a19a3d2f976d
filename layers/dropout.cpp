// Dropout: inverted dropout (kept units scaled by 1/(1-rate)) in training only. The mask is a
// pure function of (seed, step, element), so it is the same on any thread count and on resume.
#include "framework/core/parallel.hpp"
#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {
namespace {

// Small enough that the reference model's 32 x 100 activations make several tasks: a serial
// stretch between two parallel layers lets oneTBB's worker fall asleep, and waking it costs more
// than the mask.
constexpr std::size_t kElementsPerTask = 512;

class Dropout final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "Dropout";

  static const Schema& schema() {
    // The seed is runner's: Keras' seeds a TensorFlow generator whose masks differ anyway.
    static const Schema s =
        Schema(std::string(kType), "randomly zeroes inputs in training, scaling the rest")
            .real("rate", "fraction of the inputs to drop")
            .required()
            .at_least(0)
            .below(1)
            .seed("seed", "mask seed (default: derived from the experiment seed)")
            .keras("");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<Dropout>(p); }

  explicit Dropout(const Params& p)
      : params_(p), rate_(p.real("rate")), seed_(static_cast<std::uint64_t>(p.integer("seed"))) {}

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] Shape output_shape(const Shape& input) const override { return input; }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    scale_.resize(static_cast<std::size_t>(input.with_batch(max_batch).elements()));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const std::size_t n = input.size();
    masked_ = pass.mode == Mode::kTrain && rate_ > 0.0;
    if (!masked_) {
      std::copy(input.data(), input.data() + n, output.data());
      return;
    }
    // Keyed by element of the global batch: a data-parallel shard draws what one process would.
    const std::uint64_t key =
        derive_seed(seed_, pass.step) + pass.sample_offset * input.sample_size();
    const auto rate = static_cast<float>(rate_);
    const auto keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
    parallel_for(0, n, kElementsPerTask, [&](std::size_t first, std::size_t last) {
      for (std::size_t i = first; i < last; ++i) {
        scale_[i] = unit_float(mix64(key + i)) >= rate ? keep_scale : 0.0F;
        output[i] = input[i] * scale_[i];
      }
    });
  }

  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input == nullptr) {
      return;
    }
    const std::size_t n = grad_output.size();
    if (!masked_) {
      std::copy(grad_output.data(), grad_output.data() + n, grad_input->data());
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      (*grad_input)[i] = grad_output[i] * scale_[i];
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  Params params_;
  double rate_;
  std::uint64_t seed_;
  Workspace scale_;
  bool masked_ = false;  // whether the last forward applied a mask
};

}  // namespace
RUNNER_REGISTER_LAYER(Dropout);
}  // namespace runner
