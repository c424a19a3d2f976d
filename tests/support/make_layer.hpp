#pragma once
// Builds one-layer models through the registry, as the experiment file would.
#include <cmath>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/nn/model.hpp"

namespace runner::test {

// `yaml` is the layer's entry, e.g. "{type: Conv2D, filters: 4, kernel_size: 3}".
inline Model make_layer_model(const std::string& yaml, const Shape& input, std::int64_t max_batch,
                              std::uint32_t seed = 42) {
  Model model = build_layers({load_yaml_string(yaml, "test")}, input, seed, "test");
  model.prepare(max_batch);
  return model;
}

// A model from a YAML list of layer entries (a graph when they name their inputs).
inline Model make_layers_model(const std::string& yaml, const Shape& input, std::int64_t max_batch,
                               std::uint32_t seed = 42) {
  const YAML::Node list = load_yaml_string(yaml, "test");
  const std::vector<YAML::Node> layers(list.begin(), list.end());
  Model model = build_layers(layers, input, seed, "test");
  model.prepare(max_batch);
  return model;
}

// The inputs and weights tests/reference/layer_forward.py uses.
inline Tensor sine_input(const Shape& shape) {
  Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  }
  return t;
}

inline void set_cosine_weights(std::span<float> w) {
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = static_cast<float>(std::cos(0.23 * static_cast<double>(i)) / 2);
  }
}

// 0.1, -0.2, 0.3, ...: the biases of tests/reference/layers/depthwise_conv.py.
inline void set_alternating_bias(std::span<float> b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = 0.1F * static_cast<float>(i + 1) * (i % 2 == 0 ? 1.0F : -1.0F);
  }
}

}  // namespace runner::test
