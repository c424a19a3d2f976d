#include "layers/layer_params.hpp"

#include <fmt/format.h>

#include <cmath>

#include "framework/core/errors.hpp"
#include "framework/core/rng.hpp"

namespace runner {

Pair read_pair(MapReader& params, const std::string& key, Pair fallback) {
  const YAML::Node node = params.child(key);
  if (!node.IsDefined() || node.IsNull()) {
    return fallback;
  }
  std::string expected;
  std::int64_t single = 0;
  std::vector<std::int64_t> pair;
  if (parse_value(node, single, expected)) {
    pair = {single, single};
  } else if (!parse_value(node, pair, expected) || pair.size() != 2) {
    params.diagnostics().error(
        node, params.path_of(key),
        "expected a positive integer or a list of two, got " + describe(node));
    return fallback;
  }
  if (pair[0] <= 0 || pair[1] <= 0 || pair[0] > 65536 || pair[1] > 65536) {
    params.diagnostics().error(
        node, params.path_of(key),
        fmt::format("expected positive sizes up to 65536, got [{}, {}]", pair[0], pair[1]));
    return fallback;
  }
  return {static_cast<long>(pair[0]), static_cast<long>(pair[1])};
}

Padding read_padding(MapReader& params) {
  const auto text = params.get_or<std::string>("padding", "valid", one_of({"valid", "same"}));
  return text == "same" ? Padding::kSame : Padding::kValid;
}

kernels::Activation read_activation(MapReader& params) {
  const auto text =
      params.get_or<std::string>("activation", "linear", one_of(kernels::activation_names()));
  return kernels::parse_activation(text).value_or(kernels::Activation::kLinear);
}

const char* padding_name(Padding p) {
  return p == Padding::kSame ? "same" : "valid";
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
