// Conv2D: Keras' 2-D convolution (NHWC input, kernel (k_h, k_w, in, out), glorot_uniform).
#include "layers/kernels/conv2d.hpp"

#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/deferred_input_gradient.hpp"
#include "layers/kernels/point_products.hpp"
#include "layers/kernels/winograd.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

// 3x3 and 5x5 stride-1 convolutions with at least this many input channels run as Winograd
// (F(4x4,3x3), F(2x2,3x3) or F(2x2,5x5): winograd_tile), 2x2 ones as F(4x4,2x2) when they have
// at most 64 filters (winograd_suits); the others as implicit GEMMs or im2col + GEMM
// (layers/kernels/conv2d.hpp). 2x2, batch 64, 2 threads (runner_layer_bench, forward / backward
// ms, implicit GEMM -> Winograd): 14x14x32 -> 64 "same" 0.89-0.92 / 2.03-2.06 -> 0.82-0.83 /
// 1.66; 28x28x16 -> 32 "valid" 1.08-1.09 / 2.30-2.63 -> 0.82-0.89 / 1.68-1.82. Measured with
// runner_kernel_bench on the reference model: conv2d_1 (32 -> 64 channels) forward 0.84 ms instead
// of 1.26, backward 1.5 instead of 2.6; the first layer (1 channel) is 4x slower as Winograd, its
// GEMMs having one column.
constexpr long kWinogradMinChannels = 8;

class Conv2D final : public Layer {
 public:
  static constexpr std::string_view kType = "Conv2D";

  struct Options {
    long filters = 1;
    ConvolutionWindow window;
    bool use_bias = true;
  };

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "2-D convolution over (height, width, channels) inputs");
      out.integer("filters", "output channels").required().at_least(1);
      declare_convolution_window(out);
      declare_activation(out);
      out.flag("use_bias", "add a bias per filter", true);
      declare_regularizer(out, "kernel");
      declare_regularizer(out, "bias");
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    const auto window = convolution_window_of(p);
    if (!window) {
      return nullptr;
    }
    return std::make_unique<Conv2D>(p, Options{.filters = static_cast<long>(p.integer("filters")),
                                               .window = *window,
                                               .use_bias = p.flag("use_bias")});
  }

  Conv2D(const Params& p, const Options& o) : params_(p), o_(o), activation_(activation_of(p)) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    return make_geometry(input).out_shape();
  }

  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& input) const override {
    require_image_input(input);
    std::vector<ParamSlot> slots{
        {"kernel", Shape{o_.window.kernel[0], o_.window.kernel[1], input[2], o_.filters}, true,
         params_.penalty("kernel_regularizer")}};
    if (o_.use_bias) {
      slots.push_back({"bias", Shape{o_.filters}, true, params_.penalty("bias_regularizer")});
    }
    return slots;
  }

  void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
            Rng& init) override {
    kernel_ = params[0];
    kernel_grad_ = grads[0];
    const double area = static_cast<double>(o_.window.kernel[0] * o_.window.kernel[1]);
    const double in_c = static_cast<double>(kernel_.shape[2]);
    glorot_uniform(kernel_.span(), area * in_c, area * static_cast<double>(o_.filters), init);
    if (o_.use_bias) {
      bias_ = params[1];
      bias_grad_ = grads[1];
      std::fill(bias_.span().begin(), bias_.span().end(), 0.0F);
    }
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    geometry_ = make_geometry(input).g;
    // A dilated convolution runs as Winograd on its phase images when that applies to them
    // (kernels/conv2d_phases.hpp).
    winograd_ = winograd_suits(geometry_);
    delta_.resize(static_cast<std::size_t>(max_batch * geometry_.out_size()));
    winners_.resize(static_cast<std::size_t>(max_batch * kernels::pooled_size(geometry_)));
    epilogue_.resize(geometry_.out_c);
    if (winograd_) {
      tile_ = kernels::winograd_tile(geometry_);
      const auto sizes = kernels::winograd_sizes(geometry_, tile_, max_batch);
      transformed_kernel_.resize(sizes.weights);
      transformed_from_.clear();  // the tile may have changed
      col_.resize(sizes.inputs);  // the transformed input
      partials_.resize(sizes.partials);
    } else {
      col_.resize(kernels::conv2d_col_size(geometry_, activation_.applied(), max_batch));
      partials_.resize(kernels::conv2d_partials_size(geometry_, max_batch));
    }
  }

  // A following Activation layer (relu, sigmoid, tanh, elu, selu, leaky_relu) or LeakyReLU
  // layer is applied in the output pass of a convolution whose own activation is linear, and
  // taken back through in its backward from the output, as its own activation would be: one
  // pass less each way over the output (Keras' functional style writes Conv2D(...) then
  // Activation('relu')).
  //
  // A following MaxPooling2D with 2x2 windows, strides 2 and valid padding is computed from
  // the output tiles, in training and inference, when the activation is linear or ReLU (both
  // commute with the maximum, so results are bitwise what the two layers give apart).
  //
  // A following BatchNormalization (and the ReLU it fuses) is applied in inference to each chunk
  // of outputs while it is in cache, with the normalization's own kernel (bitwise its result):
  // ResNet-style Conv2D -> BatchNormalization -> ReLU blocks save two passes over memory.
  //
  // In training, a convolution with a linear or ReLU activation evaluates that normalization's
  // input gradient itself while it reads its output gradient, Winograd tile by tile, the others
  // chunk by chunk (DeferredInputGradient): the normalization never writes it, nor does this
  // layer read it back from memory.
  Fusion fuse_next(Layer* next) override {
    pools_ = false;
    epilogue_.clear();
    activation_.take_over(nullptr);
    if (deferring_ != nullptr) {
      deferring_->defer_input_gradient(false);
      deferring_ = nullptr;
      normalization_ = nullptr;
    }
    if (winograd_ && (geometry_.dilation_h > 1 || geometry_.dilation_w > 1)) {
      return Fusion::kNone;  // Winograd's tiles are of phase images, not of the output
    }
    if (epilogue_.take_affine(next)) {
      auto* deferred = dynamic_cast<DeferredInputGradient*>(next);
      if (deferred != nullptr && (activation_.applied() == kernels::Activation::kLinear ||
                                  activation_.applied() == kernels::Activation::kRelu)) {
        deferring_ = deferred;
        normalization_ = deferred->defer_input_gradient(true);
      }
      return Fusion::kInference;
    }
    if (activation_.take_over(next)) {
      return Fusion::kAlways;  // the same column sizes as linear (conv2d_col_size)
    }
    const auto window = next != nullptr ? next->pooling_window() : std::nullopt;
    if (!window || (activation_.applied() != kernels::Activation::kLinear &&
                    activation_.applied() != kernels::Activation::kRelu)) {
      return Fusion::kNone;
    }
    pools_ = window->kind == PoolingWindow::Kind::kMax && window->height == 2 &&
             window->width == 2 && window->stride_h == 2 && window->stride_w == 2 &&
             !window->same_padding;
    return pools_ ? Fusion::kAlways : Fusion::kNone;
  }

  // A residual block's Add (and its ReLU) after this convolution, or after the normalization it
  // fuses, is computed in inference in the same pass as that normalization over each chunk of
  // outputs in cache, bitwise the Add's result. Not with a fused pooling (the sum would come
  // before it), nor on phase images (dilated Winograd applies no affine).
  bool fuse_sum(bool relu) override {
    return epilogue_.take_sum(
        !pools_ && !(winograd_ && (geometry_.dilation_h > 1 || geometry_.dilation_w > 1)), relu);
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const float* bias = o_.use_bias ? bias_.data : nullptr;
    const bool training = pass.mode == Mode::kTrain;
    const auto pooling = pools_ ? kernels::Pooling::kMax2x2 : kernels::Pooling::kNone;
    // Inference keeps nothing for a backward (none follows it).
    float* winners = pools_ && training ? winners_.data() : nullptr;
    kept_for_backward_ = training;
    const std::optional<kernels::ChannelAffine> affine = epilogue_.for_pass(pass, output, kType);
    const kernels::Conv2DEpilogue epilogue{
        .act = activation_.applied(), .pooling = pooling, .affine = affine ? &*affine : nullptr};
    kernels::Conv2DForward tensors{.batch = input.batch(),
                                   .x = input.data(),
                                   .w = kernel_.data,
                                   .b = bias,
                                   .y = output.data(),
                                   .winners = winners};
    if (winograd_) {
      const bool ready = !training && transformed_kernel_current();
      kernels::winograd_forward(geometry_, tile_, epilogue, tensors, transformed_kernel_.data(),
                                training ? col_.data() : nullptr, ready);
      if (training) {
        transformed_from_.clear();  // the step changes the weights
      } else if (!ready) {
        transformed_from_.assign(kernel_.span().begin(), kernel_.span().end());
      }
    } else {
      kernels::conv2d_forward(geometry_, epilogue, tensors, training ? col_.data() : nullptr);
    }
  }

  // Fused with pooling, `output` and `grad_output` are the pooled tensor and its gradient.
  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (!kept_for_backward_) {
      throw std::logic_error("Conv2D: backward after an inference-mode forward");
    }
    float* db = o_.use_bias ? bias_grad_.data : nullptr;
    float* dx = grad_input != nullptr ? grad_input->data() : nullptr;
    const auto pooling = pools_ ? kernels::Pooling::kMax2x2 : kernels::Pooling::kNone;
    const kernels::Conv2DEpilogue epilogue{activation_.applied(), pooling};
    kernels::Conv2DBackward tensors{.batch = input.batch(),
                                    .x = input.data(),
                                    .w = kernel_.data,
                                    .y = output.data(),
                                    .dy = grad_output.data(),
                                    .winners = winners_.data(),
                                    .dw = kernel_grad_.data,
                                    .db = db,
                                    .dx = dx,
                                    .normalization = normalization_};
    if (winograd_) {
      kernels::winograd_backward(geometry_, tile_, epilogue, tensors,
                                 {.u = transformed_kernel_.data(),
                                  .v = col_.data(),
                                  .delta = delta_.data(),
                                  .partials = partials_.data()});
    } else {
      kernels::conv2d_backward(
          geometry_, epilogue, tensors,
          {.col = col_.data(), .delta = delta_.data(), .partials = partials_.data()});
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  bool emit_logits() override { return activation_.fold_softmax(); }

 private:
  struct Planned {
    kernels::Conv2DGeometry g;
    [[nodiscard]] Shape out_shape() const { return Shape{g.out_h, g.out_w, g.out_c}; }
  };

  // Whether Winograd computes g here: 2x2, 3x3 and 5x5 stride-1 (dilated on phases), on enough
  // channels. A 2x2 kernel saves less (25 products per 16 outputs against 64, where F(4x4,3x3)
  // does 36 against 144) than the library GEMM per point costs past 64 filters: 7x7x128 -> 128 at
  // batch 64, forward 1.57-1.60 ms as an implicit GEMM, 1.90 as Winograd (runner_layer_bench, 2
  // threads); 32 and 64 filters win (below).
  static bool winograd_suits(const kernels::Conv2DGeometry& g) {
    return kernels::winograd_applies(g) && g.in_c >= kWinogradMinChannels &&
           (g.k_h != 2 || kernels::point_products_apply(g.out_c));
  }

  [[nodiscard]] Planned make_geometry(const Shape& input) const {
    const ConvolutionWindow& w = o_.window;
    const ConvolutionPlan plan = plan_convolution(input, w);
    return {kernels::Conv2DGeometry{.in_h = input[0],
                                    .in_w = input[1],
                                    .in_c = input[2],
                                    .out_h = plan.rows.out,
                                    .out_w = plan.cols.out,
                                    .out_c = o_.filters,
                                    .k_h = w.kernel[0],
                                    .k_w = w.kernel[1],
                                    .stride_h = w.strides[0],
                                    .stride_w = w.strides[1],
                                    .pad_top = plan.rows.pad_before,
                                    .pad_left = plan.cols.pad_before,
                                    .dilation_h = w.dilation[0],
                                    .dilation_w = w.dilation[1]}};
  }

  Params params_;  // as declared
  Options o_;
  TakenActivation activation_;  // its own, or a following activation layer's (fuse_next)
  kernels::Conv2DGeometry geometry_{};
  bool winograd_ = false;
  long tile_ = 2;  // Winograd's output tile (winograd_tile)
  bool kept_for_backward_ = false;
  bool pools_ = false;  // fused with the 2x2 max pooling after it (fuse_next)
  // The normalization and the residual Add after it, computed in inference (fuse_next, fuse_sum).
  InferenceEpilogue epilogue_;
  // The normalization whose input gradient backward evaluates (fuse_next), and how.
  DeferredInputGradient* deferring_ = nullptr;
  const kernels::BatchNormInputGradient* normalization_ = nullptr;
  Workspace winners_;  // each pooling window's winner (training)
  TensorView kernel_, bias_, kernel_grad_, bias_grad_;
  // col_: the padded samples of a convolution read in place (im2col builds its patches per
  // task, kernels/conv2d.hpp), or Winograd's transformed input.
  Workspace col_, delta_, partials_;
  std::vector<float> transformed_kernel_;
  // The weights transformed_kernel_ was made from in inference, empty when unknown: a forward in
  // inference whose weights are bitwise these reuses it. (Transforming per call cost a batch-1
  // prediction of a 128 -> 256 filter layer 1.2 MB of reads and 4.7 MB of writes per image.)
  std::vector<float> transformed_from_;

  [[nodiscard]] bool transformed_kernel_current() const {
    const std::span<const float> w = kernel_.span();
    return !transformed_from_.empty() && transformed_from_.size() == w.size() &&
           std::memcmp(transformed_from_.data(), w.data(), w.size_bytes()) == 0;
  }
};

}  // namespace
RUNNER_REGISTER_LAYER(Conv2D);
}  // namespace runner
