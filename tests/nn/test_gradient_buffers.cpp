// Backward's output gradients share buffers: a gradient's buffer takes another once the layers
// that read it (and their inputs, which may evaluate part of it) are done.
#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/nn/buffer_planner.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

namespace {
Model from_yaml(const std::string& yaml, const Shape& input, std::int64_t max_batch) {
  const YAML::Node list = load_yaml_string(yaml, "test");
  Model model = build_layers(std::vector<YAML::Node>(list.begin(), list.end()), input, 7, "t");
  model.prepare(max_batch);
  return model;
}
}  // namespace

TEST_SUITE("model") {
  TEST_CASE("The buffer planner hands back the free buffer of the same size returned last") {
    BufferPlanner p;
    const std::size_t a = p.take(100);
    const std::size_t b = p.take(100);
    const std::size_t c = p.take(50);
    CHECK(a != b);
    p.give_back(a);
    p.give_back(c);
    p.give_back(b);
    CHECK(p.take(100) == b);  // returned after a
    CHECK(p.take(100) == a);
    CHECK(p.take(100) == 3);  // none free of that size: a new one
    CHECK(p.take(50) == c);
    CHECK(p.sizes() == std::vector<std::size_t>{100, 100, 50, 100});
  }

  // Conv2D (Winograd) -> BatchNormalization -> ReLU, three times at one size: each convolution
  // evaluates the normalization's input gradient from that layer's output gradient, so the
  // buffer holding it stays that gradient's until the convolution's backward is done. The
  // reference: no fusion (the normalization computes its input gradient itself) and a buffer
  // per gradient.
  TEST_CASE("Output gradients share a few buffers and give the bits of one buffer each") {
    const char* const yaml = R"([
      {type: Conv2D, filters: 8, kernel_size: 3, padding: same},
      {type: Conv2D, filters: 8, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization}, {type: Activation, activation: relu},
      {type: Conv2D, filters: 8, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization}, {type: Activation, activation: relu},
      {type: Conv2D, filters: 8, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization}, {type: Activation, activation: relu},
      {type: Flatten}, {type: Dense, units: 3}
    ])";
    Model shared = from_yaml(yaml, Shape{8, 8, 3}, 4);
    Model apart = from_yaml(yaml, Shape{8, 8, 3}, 4);
    apart.set_fusion(false);
    apart.set_gradient_sharing(false);
    // Ten gradients of one size (the Flatten hands its buffer down) in three.
    CHECK(shared.gradient_buffer_count() == 3);
    CHECK(apart.gradient_buffer_count() == 10);
    const Tensor x = sine_input(Shape{4, 8, 8, 3});
    CHECK(bitwise_equal(training_bits(shared, x, 3, 2), training_bits(apart, x, 3, 2)));
  }
}

}  // namespace runner::test
