// GlobalAveragePooling2D: the mean of each channel over height and width (Keras' layer).
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/global_pool.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class GlobalAveragePooling2D final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "GlobalAveragePooling2D";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "mean of each channel over height and width")
            .flag("keepdims", "keep height and width as 1 (output [1, 1, channels])", false);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<GlobalAveragePooling2D>(p);
  }

  explicit GlobalAveragePooling2D(const Params& p) : params_(p), keepdims_(p.flag("keepdims")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    require_image_input(input);
    return keepdims_ ? Shape{1, 1, input[2]} : Shape{input[2]};
  }

  void prepare(const Shape& input, std::int64_t /*max_batch*/) override {
    pixels_ = input[0] * input[1];
    channels_ = input[2];
  }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    kernels::global_avg_pool_forward({input.batch(), pixels_, channels_}, input.data(),
                                     output.data());
  }

  void backward(const Tensor& input, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      kernels::global_avg_pool_backward({input.batch(), pixels_, channels_}, grad_output.data(),
                                        grad_input->data());
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  Params params_;
  bool keepdims_;
  long pixels_ = 0, channels_ = 0;
};

}  // namespace
RUNNER_REGISTER_LAYER(GlobalAveragePooling2D);
}  // namespace runner
