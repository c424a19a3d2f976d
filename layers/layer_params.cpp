#include "layers/layer_params.hpp"

#include <fmt/format.h>

#include <cmath>

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
