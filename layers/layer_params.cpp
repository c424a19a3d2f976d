#include "layers/layer_params.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "framework/core/errors.hpp"
#include "framework/core/rng.hpp"

namespace runner {

Schema& declare_padding(Schema& schema) {
  return schema.choice("padding", "'valid' (no padding) or 'same' (output size = input / stride)",
                       {"valid", "same"}, "valid");
}

Schema& declare_activation(Schema& schema) {
  return schema.choice("activation", "applied to the output", kernels::activation_names(),
                       "linear");
}

Padding padding_of(const Params& params) {
  return params.text("padding") == "same" ? Padding::kSame : Padding::kValid;
}

kernels::Activation activation_of(const Params& params) {
  return kernels::parse_activation(params.text("activation"))
      .value_or(kernels::Activation::kLinear);
}

bool fold_softmax(kernels::Activation& act) {
  if (act != kernels::Activation::kSoftmax) {
    return false;
  }
  act = kernels::Activation::kLinear;
  return true;
}

std::optional<kernels::Activation> fusable_activation(const Layer* next) {
  if (next == nullptr) {
    return std::nullopt;
  }
  const Layer::ElementwiseFunction f = next->elementwise_activation();
  if (f.name == "leaky_relu") {
    return kernels::Activation(kernels::Activation::kLeakyRelu, f.alpha);
  }
  const auto act = kernels::parse_activation(f.name);
  if (!act || *act == kernels::Activation::kSoftmax || *act == kernels::Activation::kLinear) {
    return std::nullopt;
  }
  return act;
}

bool TakenActivation::take_over(const Layer* next) {
  applied_ = declared_;
  const auto taken = fusable_activation(next);
  if (!taken || declared_ != kernels::Activation::kLinear) {
    return false;
  }
  applied_ = *taken;
  return true;
}

bool TakenActivation::fold_softmax() {
  const bool folded = runner::fold_softmax(declared_);
  applied_ = declared_;
  return folded;
}

kernels::ChannelAffine channel_affine(const float* scale, const float* shift,
                                      const Layer::ElementwiseFunction& after) {
  kernels::ChannelAffine affine{.scale = scale, .shift = shift};
  const auto fn = kernels::parse_pointwise(after.name);
  affine.relu = fn == kernels::Pointwise::kRelu;
  if (fn && !affine.relu) {
    affine.then = {.fn = *fn, .alpha = after.alpha};
  }
  return affine;
}

void add_fused_sum(kernels::ChannelAffine& affine, const Pass& pass, const Tensor& output,
                   bool relu, std::string_view layer) {
  if (pass.addend == nullptr || pass.addend->size() != output.size()) {
    throw std::logic_error(fmt::format("{}: a fused sum without its addend", layer));
  }
  affine.addend = pass.addend->data();
  affine.sum_relu = relu;
}

void InferenceEpilogue::resize(long channels) {
  scale_.resize(static_cast<std::size_t>(channels));
  shift_.resize(static_cast<std::size_t>(channels));
}

void InferenceEpilogue::clear() {
  source_ = nullptr;
  sums_ = false;
}

bool InferenceEpilogue::take_affine(const Layer* next) {
  Layer::ElementwiseFunction after;
  source_ = next != nullptr && next->inference_affine(scale_, shift_, &after) ? next : nullptr;
  return source_ != nullptr;
}

bool InferenceEpilogue::take_sum(bool can, bool relu) {
  sums_ = can;
  sum_relu_ = relu;
  return can;
}

std::optional<kernels::ChannelAffine> InferenceEpilogue::for_pass(const Pass& pass,
                                                                  const Tensor& output,
                                                                  std::string_view layer) {
  if (pass.mode != Mode::kEval) {
    return std::nullopt;
  }
  Layer::ElementwiseFunction after;
  const bool normalizes = source_ != nullptr && source_->inference_affine(scale_, shift_, &after);
  if (!normalizes && !sums_) {
    return std::nullopt;
  }
  kernels::ChannelAffine affine = normalizes
                                      ? channel_affine(scale_.data(), shift_.data(), after)
                                      : kernels::ChannelAffine{.scale = nullptr, .shift = nullptr};
  if (sums_) {
    add_fused_sum(affine, pass, output, sum_relu_, layer);
  }
  return affine;
}

YAML::Node pair_node(Pair p) {
  YAML::Node node(YAML::NodeType::Sequence);
  node.push_back(p[0]);
  node.push_back(p[1]);
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

AxisPlan plan_axis(long in, long window, long stride, Padding padding) {
  if (padding == Padding::kSame) {
    const long out = (in + stride - 1) / stride;
    const long total = std::max((out - 1) * stride + window - in, 0L);
    return {out, total / 2};
  }
  if (window > in) {
    return {0, 0};
  }
  return {(in - window) / stride + 1, 0};
}

Schema& declare_pooling(Schema& schema) {
  schema.pair("pool_size", "window height and width", Pair{2, 2});
  schema.pair("strides", "step between windows (default: pool_size)", {});
  return declare_padding(schema);
}

PoolingParams pooling_of(const Params& params) {
  const Pair pool = params.pair("pool_size");
  return {pool, params.given("strides") ? params.pair("strides") : pool, padding_of(params)};
}

YAML::Node pooling_config(const Params& params, const PoolingParams& p) {
  YAML::Node config = params.resolved();
  config["strides"] = pair_node(p.strides);
  return config;
}

PoolingWindow pooling_window_of(const PoolingParams& p, PoolingWindow::Kind kind) {
  return PoolingWindow{.kind = kind,
                       .height = p.pool[0],
                       .width = p.pool[1],
                       .stride_h = p.strides[0],
                       .stride_w = p.strides[1],
                       .same_padding = p.padding == Padding::kSame};
}

kernels::Pool2DGeometry pool_geometry(const Shape& input, const PoolingParams& p) {
  require_image_input(input);
  const AxisPlan rows = plan_axis(input[0], p.pool[0], p.strides[0], p.padding);
  const AxisPlan cols = plan_axis(input[1], p.pool[1], p.strides[1], p.padding);
  if (rows.out <= 0 || cols.out <= 0) {
    throw ShapeError(fmt::format("pool {}x{} does not fit input {} with padding 'valid'", p.pool[0],
                                 p.pool[1], input.str()));
  }
  return {input[0],  input[1],     input[2],     rows.out,        cols.out,       p.pool[0],
          p.pool[1], p.strides[0], p.strides[1], rows.pad_before, cols.pad_before};
}

Schema& declare_regularizer(Schema& schema, const std::string& weight) {
  return schema.penalty(weight + "_regularizer", "penalty on the " + weight +
                                                     " added to the loss: l1, l2, l1_l2 or "
                                                     "{l1: a, l2: b}");
}

Schema& declare_convolution_window(Schema& schema) {
  schema.pair("kernel_size", "window height and width", {}).required();
  schema.pair("strides", "step between windows", Pair{1, 1});
  schema.pair("dilation_rate", "spacing between the window's taps (1: contiguous)", Pair{1, 1});
  return declare_padding(schema);
}

std::optional<ConvolutionWindow> convolution_window_of(const Params& params) {
  const ConvolutionWindow w{params.pair("kernel_size"), params.pair("strides"),
                            params.pair("dilation_rate"), padding_of(params)};
  if ((w.strides[0] > 1 || w.strides[1] > 1) && (w.dilation[0] > 1 || w.dilation[1] > 1)) {
    params.error("dilation_rate", "expected 1 when strides > 1 (Keras allows only one of them)");
    return std::nullopt;
  }
  return w;
}

ConvolutionPlan plan_convolution(const Shape& input, const ConvolutionWindow& w) {
  require_image_input(input);
  // A dilated window spans (k - 1) * d + 1 pixels.
  const long span_h = (w.kernel[0] - 1) * w.dilation[0] + 1;
  const long span_w = (w.kernel[1] - 1) * w.dilation[1] + 1;
  const ConvolutionPlan plan{plan_axis(input[0], span_h, w.strides[0], w.padding),
                             plan_axis(input[1], span_w, w.strides[1], w.padding)};
  if (plan.rows.out <= 0 || plan.cols.out <= 0) {
    const bool dilated = span_h != w.kernel[0] || span_w != w.kernel[1];
    throw ShapeError(fmt::format(
        "kernel {}x{}{} does not fit input {} with padding 'valid'", w.kernel[0], w.kernel[1],
        dilated ? fmt::format(" (dilated: {}x{})", span_h, span_w) : "", input.str()));
  }
  return plan;
}

kernels::DepthwiseGeometry depthwise_geometry_of(const Shape& input, const ConvolutionWindow& w,
                                                 long multiplier) {
  const ConvolutionPlan plan = plan_convolution(input, w);
  return {.in_h = input[0],
          .in_w = input[1],
          .in_c = input[2],
          .out_h = plan.rows.out,
          .out_w = plan.cols.out,
          .multiplier = multiplier,
          .k_h = w.kernel[0],
          .k_w = w.kernel[1],
          .stride_h = w.strides[0],
          .stride_w = w.strides[1],
          .pad_top = plan.rows.pad_before,
          .pad_left = plan.cols.pad_before,
          .dilation_h = w.dilation[0],
          .dilation_w = w.dilation[1]};
}

void require_image_input(const Shape& input) {
  if (input.rank() != 3) {
    throw ShapeError(
        fmt::format("expects rank-3 input (height, width, channels), got {}", input.str()));
  }
}

void glorot_uniform(std::span<float> values, double fan_in, double fan_out, Rng& rng) {
  const auto limit = static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)));
  for (float& v : values) {
    v = rng.uniform(-limit, limit);
  }
}

}  // namespace runner
