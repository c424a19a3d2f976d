// BatchNormalization: Keras' layer over the last axis. Training normalizes with the batch's
// statistics and moves moving_mean/moving_variance towards them; inference uses the moving ones.
// As Keras 2.11: images (rank-3 samples, TensorFlow's fused kernel) move the variance towards
// the unbiased batch variance (n / (n - 1)), rank-1 samples towards the biased one
// (tensorflow/tensorflow#55545).
#include <cmath>
#include <stdexcept>

#include "framework/nn/layer_registry.hpp"
#include "layers/deferred_input_gradient.hpp"
#include "layers/kernels/batch_norm.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class BatchNormalization final : public Layer, public DeferredInputGradient {
 public:
  static constexpr std::string_view kType = "BatchNormalization";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType),
                 "normalizes each channel with batch statistics in training "
                 "and moving averages of them in inference");
      out.real("momentum", "weight of the old value in the moving averages", 0.99)
          .at_least(0)
          .at_most(1)
          .real("epsilon", "added to the variance before the square root", 0.001)
          .above(0)
          .flag("center", "learn an offset beta", true)
          .flag("scale", "learn a factor gamma", true);
      declare_regularizer(out, "beta");
      declare_regularizer(out, "gamma");
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<BatchNormalization>(p);
  }

  explicit BatchNormalization(const Params& p)
      : params_(p),
        momentum_(p.real("momentum")),
        epsilon_(p.real("epsilon")),
        center_(p.flag("center")),
        scale_(p.flag("scale")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override { return input; }

  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& input) const override {
    const Shape channels{input.dims().back()};
    std::vector<ParamSlot> slots;
    if (scale_) {
      slots.push_back({"gamma", channels, true, params_.penalty("gamma_regularizer")});
    }
    if (center_) {
      slots.push_back({"beta", channels, true, params_.penalty("beta_regularizer")});
    }
    slots.push_back({"moving_mean", channels, /*trainable=*/false});
    slots.push_back({"moving_variance", channels, /*trainable=*/false});
    return slots;
  }

  void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
            Rng& /*init*/) override {
    std::size_t i = 0;
    if (scale_) {
      gamma_ = params[i];
      gamma_grad_ = grads[i++];
      std::fill(gamma_.span().begin(), gamma_.span().end(), 1.0F);
    }
    if (center_) {
      beta_ = params[i];
      beta_grad_ = grads[i++];
      std::fill(beta_.span().begin(), beta_.span().end(), 0.0F);
    }
    moving_mean_ = params[i++];
    moving_variance_ = params[i];
    std::fill(moving_mean_.span().begin(), moving_mean_.span().end(), 0.0F);
    std::fill(moving_variance_.span().begin(), moving_variance_.span().end(), 1.0F);
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    channels_ = input.dims().back();
    image_ = input.rank() == 3;
    const auto c = static_cast<std::size_t>(channels_);
    mean_.resize(c);
    var_.resize(c);
    inv_std_.resize(c);
    scale_factor_.resize(c);
    shift_.resize(c);
    dx_coefficients_.resize(3 * c);
    const long rows = static_cast<long>(input.with_batch(max_batch).elements()) / channels_;
    scratch_.resize(kernels::batch_norm_scratch_size({rows, channels_}));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const kernels::BatchNormGeometry g{static_cast<long>(input.size()) / channels_, channels_};
    training_ = pass.mode == Mode::kTrain;
    if (training_) {
      kernels::batch_norm_statistics(g, input.data(), mean_.data(), var_.data(), scratch_.data());
      update_moving_averages(g.rows);
      fold(mean_.data(), var_.data(), inv_std_, scale_factor_, shift_);
    } else {
      fold(moving_mean_.data, moving_variance_.data, inv_std_, scale_factor_, shift_);
    }
    kernels::ChannelAffine applied = affine();
    if (sums_ && !training_) {
      add_fused_sum(applied, pass, output, sum_relu_, kType);
    }
    kernels::batch_norm_apply(g, input.data(), applied, output.data());
  }

  // Inference is one multiply-add per value (and the fused activation): a convolution before
  // this layer applies it to its output chunks in inference (Conv2D::fuse_next).
  bool inference_affine(std::span<float> scale, std::span<float> shift,
                        ElementwiseFunction* after) const override {
    if (std::ssize(scale) != channels_ || std::ssize(shift) != channels_) {
      return false;
    }
    fold(moving_mean_.data, moving_variance_.data, {}, scale, shift);
    *after = fused_;
    return true;
  }

  // A following activation layer (Activation of any element-wise function, LeakyReLU) is
  // applied in the same pass as the normalization (forward). Backward takes a ReLU back through
  // in its own passes; another function's derivative is one pass of its own, from this layer's
  // input (the activation's input recomputed) and the activation's output. One trip over the
  // activations less each way for ReLU, one less forward for the others.
  Fusion fuse_next(Layer* next) override {
    sums_ = false;
    fused_ = next != nullptr ? next->elementwise_activation() : ElementwiseFunction{};
    // The function as the kernels apply it (what a convolution before this layer applies too).
    const kernels::ChannelAffine function = channel_affine(nullptr, nullptr, fused_);
    fused_relu_ = function.relu;
    then_ = function.then;
    if (!fused_relu_ && then_.fn == kernels::Pointwise::kLinear) {
      fused_ = {};  // linear, or not an element-wise layer
    }
    return fused_.name.empty() ? Fusion::kNone : Fusion::kAlways;
  }

  // A residual Add after this normalization (and the activation it fuses) is added in inference
  // in the same pass, when no convolution before computes the chain (a Dense or depthwise
  // layer's normalization): the Add's bits (Layer::fuse_sum).
  bool fuse_sum(bool relu) override {
    sums_ = true;
    sum_relu_ = relu;
    return true;
  }

  // A Winograd convolution before this layer evaluates dx from the description (Conv2D::fuse_next).
  const kernels::BatchNormInputGradient* defer_input_gradient(bool on) override {
    defers_dx_ = on;
    return on ? &input_gradient_ : nullptr;
  }
  [[nodiscard]] bool defers_input_gradient() const override { return defers_dx_; }

  // Fused, `output` and `grad_output` are the activation's.
  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (!training_) {
      throw std::logic_error("BatchNormalization: backward after an inference-mode forward");
    }
    const kernels::BatchNormGeometry g{static_cast<long>(input.size()) / channels_, channels_};
    const float* dy = grad_output.data();
    if (then_.fn != kernels::Pointwise::kLinear) {  // the activation's backward first
      activation_gradient_.resize(input.size());
      kernels::fused_activation_gradient(g, affine(), input.data(), output.data(), dy,
                                         activation_gradient_.data());
      dy = activation_gradient_.data();
    }
    // The ReLU's mask comes from the input and forward's scale and shift, not from `output`.
    const kernels::ChannelAffine relu_affine{.scale = scale_factor_.data(), .shift = shift_.data()};
    float* dx = grad_input != nullptr && !defers_dx_ ? grad_input->data() : nullptr;
    if (defers_dx_) {
      const auto c = static_cast<std::size_t>(channels_);
      input_gradient_ = {.dy = dy,
                         .relu_scale = fused_relu_ ? scale_factor_.data() : nullptr,
                         .relu_shift = fused_relu_ ? shift_.data() : nullptr,
                         .mean = mean_.data(),
                         .inv_std = inv_std_.data(),
                         .mean_dy = dx_coefficients_.data(),
                         .mean_dy_xhat = dx_coefficients_.data() + c,
                         .factor = dx_coefficients_.data() + 2 * c};
    }
    kernels::batch_norm_backward(g,
                                 {.x = input.data(),
                                  .dy = dy,
                                  .relu = fused_relu_ ? &relu_affine : nullptr,
                                  .mean = mean_.data(),
                                  .inv_std = inv_std_.data(),
                                  .gamma = scale_ ? gamma_.data : nullptr,
                                  .dgamma = scale_ ? gamma_grad_.data : nullptr,
                                  .dbeta = center_ ? beta_grad_.data : nullptr,
                                  .dx = dx,
                                  .dx_coefficients = dx_coefficients_.data()},
                                 scratch_.data());
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  // What forward applies: the normalization folded into scale_factor_ and shift_, then the
  // fused activation.
  [[nodiscard]] kernels::ChannelAffine affine() const {
    return {
        .scale = scale_factor_.data(), .shift = shift_.data(), .relu = fused_relu_, .then = then_};
  }

  // Normalization with these statistics as one multiply-add per value: y = x * scale + shift;
  // 1 / sqrt(var + epsilon) into inv_std unless it is empty (backward's).
  void fold(const float* mean, const float* var, std::span<float> inv_std, std::span<float> scale,
            std::span<float> shift) const {
    for (long c = 0; c < channels_; ++c) {
      const auto k = static_cast<std::size_t>(c);
      const float inv = 1.0F / std::sqrt(var[c] + static_cast<float>(epsilon_));
      if (!inv_std.empty()) {
        inv_std[k] = inv;
      }
      scale[k] = (scale_ ? gamma_.data[c] : 1.0F) * inv;
      shift[k] = (center_ ? beta_.data[c] : 0.0F) - mean[c] * scale[k];
    }
  }

  void update_moving_averages(long rows) {
    const double bessel =
        image_ && rows > 1 ? static_cast<double>(rows) / static_cast<double>(rows - 1) : 1.0;
    for (long c = 0; c < channels_; ++c) {
      const auto k = static_cast<std::size_t>(c);
      moving_mean_.data[c] =
          static_cast<float>(momentum_ * moving_mean_.data[c] + (1.0 - momentum_) * mean_[k]);
      moving_variance_.data[c] = static_cast<float>(momentum_ * moving_variance_.data[c] +
                                                    (1.0 - momentum_) * var_[k] * bessel);
    }
  }

  Params params_;
  double momentum_, epsilon_;
  bool center_, scale_;
  long channels_ = 0;
  bool image_ = false;
  bool training_ = false;  // whether the last forward used batch statistics
  // A following activation layer runs here (fuse_next): its function, whether it is ReLU, and
  // otherwise the function applied after the normalization.
  ElementwiseFunction fused_;
  bool fused_relu_ = false;
  kernels::PointwiseOp then_{};
  bool defers_dx_ = false;  // the layer before computes dx (defer_input_gradient)
  bool sums_ = false;       // computes the residual Add after it in inference (fuse_sum)
  bool sum_relu_ = false;
  TensorView gamma_, beta_, gamma_grad_, beta_grad_, moving_mean_, moving_variance_;
  // The last forward's statistics and the per-channel multiply-add they fold into.
  std::vector<float> mean_, var_, inv_std_, scale_factor_, shift_;
  std::vector<double> scratch_;
  std::vector<float> activation_gradient_;  // the fused activation's input gradient (backward)
  // dx's per-channel coefficients when deferred, and the description handed on.
  std::vector<float> dx_coefficients_;
  kernels::BatchNormInputGradient input_gradient_;
};

}  // namespace
RUNNER_REGISTER_LAYER(BatchNormalization);
}  // namespace runner
