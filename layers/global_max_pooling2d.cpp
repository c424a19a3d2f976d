// GlobalMaxPooling2D: the maximum of each channel over height and width (Keras' layer).
#include <stdexcept>

#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/global_pool.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class GlobalMaxPooling2D final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "GlobalMaxPooling2D";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "maximum of each channel over height and width")
            .flag("keepdims", "keep height and width as 1 (output [1, 1, channels])", false);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<GlobalMaxPooling2D>(p);
  }

  explicit GlobalMaxPooling2D(const Params& p) : params_(p), keepdims_(p.flag("keepdims")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    require_image_input(input);
    return keepdims_ ? Shape{1, 1, input[2]} : Shape{input[2]};
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    pixels_ = input[0] * input[1];
    channels_ = input[2];
    argmax_.resize(static_cast<std::size_t>(max_batch * channels_));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    have_argmax_ = pass.mode == Mode::kTrain;
    kernels::global_max_pool_forward({input.batch(), pixels_, channels_}, input.data(),
                                     output.data(), have_argmax_ ? argmax_.data() : nullptr);
  }

  void backward(const Tensor& input, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (!have_argmax_) {
      throw std::logic_error("GlobalMaxPooling2D: backward after an inference-mode forward");
    }
    if (grad_input != nullptr) {
      kernels::global_max_pool_backward({input.batch(), pixels_, channels_}, grad_output.data(),
                                        argmax_.data(), grad_input->data());
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  Params params_;
  bool keepdims_;
  long pixels_ = 0, channels_ = 0;
  std::vector<std::int32_t> argmax_;
  bool have_argmax_ = false;
};

}  // namespace
RUNNER_REGISTER_LAYER(GlobalMaxPooling2D);
}  // namespace runner
