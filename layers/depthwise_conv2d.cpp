// DepthwiseConv2D: Keras' depthwise convolution: each input channel convolved with its own
// `depth_multiplier` filters (kernel (k_h, k_w, in, multiplier), glorot_uniform).
#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class DepthwiseConv2D final : public Layer {
 public:
  static constexpr std::string_view kType = "DepthwiseConv2D";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType),
                 "convolves each input channel with its own filters (depth_multiplier of them)");
      declare_convolution_window(out);
      out.integer("depth_multiplier", "filters per input channel", 1).at_least(1);
      declare_activation(out);
      out.flag("use_bias", "add a bias per output channel", true);
      declare_regularizer(out, "depthwise");
      declare_regularizer(out, "bias");
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    const auto window = convolution_window_of(p);
    return window ? std::make_unique<DepthwiseConv2D>(p, *window) : nullptr;
  }

  DepthwiseConv2D(const Params& p, const ConvolutionWindow& window)
      : params_(p),
        window_(window),
        multiplier_(static_cast<long>(p.integer("depth_multiplier"))),
        activation_(activation_of(p)),
        use_bias_(p.flag("use_bias")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    const auto g = geometry(input);
    return Shape{g.out_h, g.out_w, g.out_c()};
  }

  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& input) const override {
    require_image_input(input);
    std::vector<ParamSlot> slots{
        {"depthwise_kernel", Shape{window_.kernel[0], window_.kernel[1], input[2], multiplier_},
         true, params_.penalty("depthwise_regularizer")}};
    if (use_bias_) {
      slots.push_back(
          {"bias", Shape{input[2] * multiplier_}, true, params_.penalty("bias_regularizer")});
    }
    return slots;
  }

  void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
            Rng& init) override {
    kernel_ = params[0];
    kernel_grad_ = grads[0];
    // Keras' fans for a (k_h, k_w, in, multiplier) kernel: the window area times in and times
    // the multiplier.
    const auto area = static_cast<double>(window_.kernel[0] * window_.kernel[1]);
    glorot_uniform(kernel_.span(), area * static_cast<double>(kernel_.shape[2]),
                   area * static_cast<double>(multiplier_), init);
    if (use_bias_) {
      bias_ = params[1];
      bias_grad_ = grads[1];
      std::fill(bias_.span().begin(), bias_.span().end(), 0.0F);
    }
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    geometry_ = geometry(input);
    delta_.resize(static_cast<std::size_t>(max_batch * geometry_.out_size()));
    partials_.resize(kernels::depthwise_partials_size(geometry_, max_batch));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    kernels::depthwise_forward(geometry_, activation_,
                               {.batch = input.batch(),
                                .x = input.data(),
                                .w = kernel_.data,
                                .b = use_bias_ ? bias_.data : nullptr,
                                .y = output.data()});
  }

  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    kernels::depthwise_backward(geometry_, activation_,
                                {.batch = input.batch(),
                                 .x = input.data(),
                                 .w = kernel_.data,
                                 .y = output.data(),
                                 .dy = grad_output.data(),
                                 .dw = kernel_grad_.data,
                                 .db = use_bias_ ? bias_grad_.data : nullptr,
                                 .dx = grad_input != nullptr ? grad_input->data() : nullptr},
                                {.delta = delta_.data(), .partials = partials_.data()});
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  bool emit_logits() override { return fold_softmax(activation_); }

 private:
  [[nodiscard]] kernels::DepthwiseGeometry geometry(const Shape& input) const {
    return depthwise_geometry_of(input, window_, multiplier_);
  }

  Params params_;
  ConvolutionWindow window_;
  long multiplier_;
  kernels::Activation activation_;  // what forward applies (emit_logits may change it)
  bool use_bias_;
  kernels::DepthwiseGeometry geometry_{};
  TensorView kernel_, bias_, kernel_grad_, bias_grad_;
  Workspace delta_, partials_;
};

}  // namespace
RUNNER_REGISTER_LAYER(DepthwiseConv2D);
}  // namespace runner
