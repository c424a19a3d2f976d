// SeparableConv2D: Keras' depthwise-separable convolution: a depthwise convolution (each input
// channel with its own depth_multiplier filters, no bias) followed by a 1x1 convolution to
// `filters` channels with the bias and activation.
#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/dense_rows.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class SeparableConv2D final : public Layer {
 public:
  static constexpr std::string_view kType = "SeparableConv2D";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType),
                 "depthwise convolution, then a 1x1 convolution mixing the channels");
      out.integer("filters", "output channels").required().at_least(1);
      declare_convolution_window(out);
      out.integer("depth_multiplier", "depthwise filters per input channel", 1).at_least(1);
      declare_activation(out);
      out.flag("use_bias", "add a bias per filter", true);
      declare_regularizer(out, "depthwise");
      declare_regularizer(out, "pointwise");
      declare_regularizer(out, "bias");
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    const auto window = convolution_window_of(p);
    return window ? std::make_unique<SeparableConv2D>(p, *window) : nullptr;
  }

  SeparableConv2D(const Params& p, const ConvolutionWindow& window)
      : params_(p),
        window_(window),
        filters_(static_cast<long>(p.integer("filters"))),
        multiplier_(static_cast<long>(p.integer("depth_multiplier"))),
        activation_(activation_of(p)),
        use_bias_(p.flag("use_bias")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    const auto g = depthwise_geometry(input);
    return Shape{g.out_h, g.out_w, filters_};
  }

  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& input) const override {
    require_image_input(input);
    const long mid = input[2] * multiplier_;
    std::vector<ParamSlot> slots{
        {"depthwise_kernel", Shape{window_.kernel[0], window_.kernel[1], input[2], multiplier_},
         true, params_.penalty("depthwise_regularizer")},
        {"pointwise_kernel", Shape{1, 1, mid, filters_}, true,
         params_.penalty("pointwise_regularizer")}};
    if (use_bias_) {
      slots.push_back({"bias", Shape{filters_}, true, params_.penalty("bias_regularizer")});
    }
    return slots;
  }

  void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
            Rng& init) override {
    depthwise_ = params[0];
    depthwise_grad_ = grads[0];
    pointwise_ = params[1];
    pointwise_grad_ = grads[1];
    // Keras' fans: window area times in / times the multiplier; then mid / filters.
    const auto area = static_cast<double>(window_.kernel[0] * window_.kernel[1]);
    glorot_uniform(depthwise_.span(), area * static_cast<double>(depthwise_.shape[2]),
                   area * static_cast<double>(multiplier_), init);
    glorot_uniform(pointwise_.span(), static_cast<double>(pointwise_.shape[2]),
                   static_cast<double>(filters_), init);
    if (use_bias_) {
      bias_ = params[2];
      bias_grad_ = grads[2];
      std::fill(bias_.span().begin(), bias_.span().end(), 0.0F);
    }
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    depthwise_geometry_ = depthwise_geometry(input);
    const long pixels = depthwise_geometry_.out_h * depthwise_geometry_.out_w;
    const kernels::DenseRowsGeometry rows{max_batch * pixels, depthwise_geometry_.out_c(),
                                          filters_};
    mid_.resize(static_cast<std::size_t>(rows.rows * rows.in));
    mid_grad_.resize(mid_.size());
    delta_.resize(static_cast<std::size_t>(rows.rows * filters_));
    rows_partials_.resize(kernels::dense_rows_partials_size(rows));
    depthwise_partials_.resize(kernels::depthwise_partials_size(depthwise_geometry_, max_batch));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    kernels::depthwise_forward(
        depthwise_geometry_, kernels::Activation::kLinear,
        {.batch = input.batch(), .x = input.data(), .w = depthwise_.data, .y = mid_.data()});
    kernels::dense_rows_forward(rows_geometry(input.batch()), activation_,
                                {.x = mid_.data(),
                                 .w = pointwise_.data,
                                 .b = use_bias_ ? bias_.data : nullptr,
                                 .y = output.data()});
  }

  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    kernels::dense_rows_backward(rows_geometry(input.batch()), activation_,
                                 {.x = mid_.data(),
                                  .w = pointwise_.data,
                                  .y = output.data(),
                                  .dy = grad_output.data(),
                                  .dw = pointwise_grad_.data,
                                  .db = use_bias_ ? bias_grad_.data : nullptr,
                                  .dx = mid_grad_.data(),
                                  .delta = delta_.data(),
                                  .partials = rows_partials_.data()});
    kernels::depthwise_backward(depthwise_geometry_, kernels::Activation::kLinear,
                                {.batch = input.batch(),
                                 .x = input.data(),
                                 .w = depthwise_.data,
                                 .y = mid_.data(),
                                 .dy = mid_grad_.data(),
                                 .dw = depthwise_grad_.data,
                                 .dx = grad_input != nullptr ? grad_input->data() : nullptr},
                                {.partials = depthwise_partials_.data()});
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  bool emit_logits() override { return fold_softmax(activation_); }

 private:
  [[nodiscard]] kernels::DepthwiseGeometry depthwise_geometry(const Shape& input) const {
    return depthwise_geometry_of(input, window_, multiplier_);
  }

  [[nodiscard]] kernels::DenseRowsGeometry rows_geometry(long batch) const {
    const long pixels = depthwise_geometry_.out_h * depthwise_geometry_.out_w;
    return {batch * pixels, depthwise_geometry_.out_c(), filters_};
  }

  Params params_;
  ConvolutionWindow window_;
  long filters_, multiplier_;
  kernels::Activation activation_;  // what forward applies (emit_logits may change it)
  bool use_bias_;
  kernels::DepthwiseGeometry depthwise_geometry_{};
  TensorView depthwise_, pointwise_, bias_, depthwise_grad_, pointwise_grad_, bias_grad_;
  // The depthwise output (the pointwise input) and its gradient; backward scratch.
  Workspace mid_, mid_grad_, delta_, rows_partials_, depthwise_partials_;
};

}  // namespace
RUNNER_REGISTER_LAYER(SeparableConv2D);
}  // namespace runner
