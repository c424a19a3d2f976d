#pragma once
// Hyper-parameters several layers share (Keras' argument forms) and their shape rules.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "framework/core/rng.hpp"
#include "framework/core/schema.hpp"
#include "framework/core/shape.hpp"
#include "framework/nn/layer.hpp"
#include "layers/kernels/activations.hpp"
#include "layers/kernels/batch_norm.hpp"
#include "layers/kernels/depthwise_conv2d.hpp"
#include "layers/kernels/pool2d.hpp"

namespace runner {

enum class Padding { kValid, kSame };

// (height, width); YAML takes `3` or `[3, 3]`.
using Pair = std::array<long, 2>;

// Keras' `padding` and `activation` arguments, as every layer declares them.
Schema& declare_padding(Schema& schema);
Schema& declare_activation(Schema& schema);
Padding padding_of(const Params& params);
kernels::Activation activation_of(const Params& params);
// Layer::emit_logits for a layer whose activation is `act`: a softmax becomes linear (the loss
// applies it from the logits) and the answer is true; any other activation stays.
bool fold_softmax(kernels::Activation& act);
// The activation a layer with a linear activation may take over from `next` (Layer::fuse_next):
// an Activation layer's function when it is one whose derivative the output gives (relu,
// sigmoid, tanh, elu, selu, leaky_relu) and a LeakyReLU layer's, so the fused layer computes
// the bits of the two apart; empty otherwise (gelu and swish need the input, softmax whole rows).
std::optional<kernels::Activation> fusable_activation(const Layer* next);

// The activation of a layer that may take over the one after it (Conv2D, Dense): the declared
// one, and the one its passes apply, which is a following Activation or LeakyReLU layer's when
// the declared one is linear and fusion took it (fusable_activation).
class TakenActivation {
 public:
  explicit TakenActivation(kernels::Activation declared)
      : declared_(declared), applied_(declared) {}
  [[nodiscard]] kernels::Activation applied() const { return applied_; }
  // Back to the declared one, then next's if this one is linear and next's is fusable; returns
  // whether it took next's. Layer::fuse_next calls it with null to undo a fusion.
  bool take_over(const Layer* next);
  // Layer::emit_logits: a declared softmax becomes linear (fold_softmax), fusion undone.
  bool fold_softmax();

 private:
  kernels::Activation declared_;  // linear once a softmax is folded
  kernels::Activation applied_;
};
// A layer's inference_affine as the kernels apply it: y = x * scale + shift, then `after`.
kernels::ChannelAffine channel_affine(const float* scale, const float* shift,
                                      const Layer::ElementwiseFunction& after);
// `affine` then the residual Add a layer took (Layer::fuse_sum): pass.addend added to `output`,
// then max(0, .) with `relu`. Throws std::logic_error when the model handed no addend of
// output's size (`layer` names the layer type).
void add_fused_sum(kernels::ChannelAffine& affine, const Pass& pass, const Tensor& output,
                   bool relu, std::string_view layer);

// What a layer (Conv2D, Dense) computes in inference after its own output pass, on its output
// while that is in cache: a following BatchNormalization's per-channel affine and the activation
// it fuses (taken in fuse_next), and a residual Add after either (taken in fuse_sum).
class InferenceEpilogue {
 public:
  void resize(long channels);  // prepare(): the layer's output channels
  void clear();                // nothing taken (fuse_next starts here)
  // Takes `next`'s affine when it has one for these channels (Layer::inference_affine).
  bool take_affine(const Layer* next);
  // Takes the Add when the layer `can` compute it; returns `can`.
  bool take_sum(bool can, bool relu);
  // The epilogue of `pass`: none in training or with nothing taken; else the affine from the
  // normalization's current moving statistics and the sum of pass.addend (add_fused_sum).
  std::optional<kernels::ChannelAffine> for_pass(const Pass& pass, const Tensor& output,
                                                 std::string_view layer);

 private:
  const Layer* source_ = nullptr;  // the normalization after it
  std::vector<float> scale_, shift_;
  bool sums_ = false;
  bool sum_relu_ = false;
};
YAML::Node pair_node(Pair p);

// Output length and leading pad of one spatial axis, as TensorFlow computes them.
struct AxisPlan {
  long out;
  long pad_before;
};
AxisPlan plan_axis(long in, long window, long stride, Padding padding);

// Pooling layers' `pool_size`, `strides` (default: the pool size, as Keras) and `padding`.
Schema& declare_pooling(Schema& schema);
struct PoolingParams {
  Pair pool, strides;
  Padding padding;
};
PoolingParams pooling_of(const Params& params);
// The resolved config with strides filled in (as Keras writes them), and the window a layer
// before the pooling may fuse (Layer::pooling_window).
YAML::Node pooling_config(const Params& params, const PoolingParams& p);
PoolingWindow pooling_window_of(const PoolingParams& p, PoolingWindow::Kind kind);
// The pooling's geometry on `input`; ShapeError when the window does not fit.
kernels::Pool2DGeometry pool_geometry(const Shape& input, const PoolingParams& p);

// Convolutions' `kernel_size` (required), `strides`, `dilation_rate` and `padding`.
Schema& declare_convolution_window(Schema& schema);
struct ConvolutionWindow {
  Pair kernel, strides, dilation;
  Padding padding;
};
// The window, or empty after reporting strides > 1 with dilation_rate > 1 (Keras refuses it).
std::optional<ConvolutionWindow> convolution_window_of(const Params& params);
// Output rows and columns of the window on `input`; ShapeError when it does not fit.
struct ConvolutionPlan {
  AxisPlan rows, cols;
};
ConvolutionPlan plan_convolution(const Shape& input, const ConvolutionWindow& w);
// A depthwise convolution's geometry on `input` (DepthwiseConv2D, SeparableConv2D).
kernels::DepthwiseGeometry depthwise_geometry_of(const Shape& input, const ConvolutionWindow& w,
                                                 long multiplier);

// Keras' `<weight>_regularizer` argument (none by default): `weight` is the slot it applies to.
Schema& declare_regularizer(Schema& schema, const std::string& weight);

// Requires rank-3 (height, width, channels) input; names what was seen otherwise.
void require_image_input(const Shape& input);

// Keras' glorot_uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform(std::span<float> values, double fan_in, double fan_out, Rng& rng);

}  // namespace runner
