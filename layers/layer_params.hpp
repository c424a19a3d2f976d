#pragma once
// Readers for hyper-parameters several layers share (Keras' argument forms).
#include <array>
#include <cstdint>
#include <span>

#include "framework/core/rng.hpp"
#include "framework/core/shape.hpp"
#include "framework/core/yaml_reader.hpp"
#include "layers/kernels/activations.hpp"

namespace runner {

enum class Padding { kValid, kSame };

// (height, width); YAML takes `3` or `[3, 3]`.
using Pair = std::array<long, 2>;

Pair read_pair(MapReader& params, const std::string& key, Pair fallback);
Padding read_padding(MapReader& params);
kernels::Activation read_activation(MapReader& params);
const char* padding_name(Padding p);
YAML::Node pair_node(Pair p);

// Output length and leading pad of one spatial axis, as TensorFlow computes them.
struct AxisPlan {
  long out;
  long pad_before;
};
AxisPlan plan_axis(long in, long window, long stride, Padding padding);

// Requires rank-3 (height, width, channels) input; names what was seen otherwise.
void require_image_input(const Shape& input);

// Keras' glorot_uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform(std::span<float> values, double fan_in, double fan_out, Rng& rng);

}  // namespace runner
