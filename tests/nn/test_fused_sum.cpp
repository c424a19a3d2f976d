// A residual block's Add computed, in inference, by the convolution before it (Layer::fuse_sum,
// Model::plan_fused_sums): the bits of the layers apart on every convolution path, and no fusion
// where the sum cannot be taken.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/core/yaml_reader.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

namespace {
// The index of the layer named `name`.
std::size_t index_of(const Model& m, const std::string& name) {
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m.entry(i).name == name) {
      return i;
    }
  }
  FAIL("no layer ", name);
  return 0;
}

// Inference output after two training steps (moving statistics away from 0 and 1), with the
// normalizations' gamma and beta of both signs.
std::vector<float> inference_bits(Model& m, const Tensor& x) {
  (void)m.forward(x, Pass{Mode::kTrain, 0});
  (void)m.forward(x, Pass{Mode::kTrain, 1});
  for (std::size_t l = 0; l < m.size(); ++l) {
    if (m.entry(l).layer->type() != "BatchNormalization") {
      continue;
    }
    const TensorView gamma = m.entry(l).params[0];
    const TensorView beta = m.entry(l).params[1];
    for (long i = 0; i < gamma.shape.elements(); ++i) {
      gamma.data[i] = 0.5F + 0.3F * static_cast<float>(i % 5) - 0.4F * static_cast<float>(i % 2);
      beta.data[i] = 0.2F * static_cast<float>(i % 3) - 0.25F;
    }
  }
  const Tensor& y = m.forward(x, Pass{Mode::kEval, 0});
  return {y.data(), y.data() + y.size()};
}

// Graphs (YAML, input shape) whose Add is named sum: whether the layer before the Add counts as
// computing it in inference (`fused`), and the same inference bits with fusion on and off.
void check_sums(const std::vector<std::pair<std::string, Shape>>& graphs, bool fused) {
  for (const auto& graph : graphs) {
    const std::string& yaml = graph.first;
    const Shape& input = graph.second;
    INFO(yaml);
    const Tensor x = sine_input(input.with_batch(3));
    Model on = make_layers_model(yaml, input, 3);
    Model off = make_layers_model(yaml, input, 3);
    off.set_fusion(false);
    CHECK(on.fuses_next(index_of(on, "sum") - 1, Mode::kEval) == fused);
    CHECK(bitwise_equal(inference_bits(on, x), inference_bits(off, x)));
  }
}

// A residual block around `conv` (the block's convolution, named c) on `input`: the shortcut is
// the model input or `shortcut` (a layer named short on it, declared first; c then names its
// input), c's output goes through `between` (a normalization, an activation, or nothing), then
// Add (the chain's output first or second) and a ReLU or nothing.
struct Block {
  std::string conv;
  Shape input;
  std::string between;
  bool chain_first = true;
  bool relu_after = true;
  std::string shortcut;
};

Block block(std::string conv, const Shape& input, std::string between, bool chain_first = true,
            bool relu_after = true, std::string shortcut = "") {
  return Block{std::move(conv), input,      std::move(between),
               chain_first,     relu_after, std::move(shortcut)};
}

std::string block_yaml(const Block& b) {
  std::string yaml = "[";
  std::string skip = "input_1";
  if (!b.shortcut.empty()) {
    yaml += b.shortcut + ",\n";
    skip = "short";
  }
  yaml += b.conv + ",\n";
  std::string chain = "c";
  if (!b.between.empty()) {
    yaml += b.between + ",\n";
    chain = "mid";
  }
  yaml += b.chain_first ? "{type: Add, name: sum, inputs: [" + chain + ", " + skip + "]}"
                        : "{type: Add, name: sum, inputs: [" + skip + ", " + chain + "]}";
  if (b.relu_after) {
    yaml += ",\n{type: Activation, activation: relu}";
  }
  return yaml + ",\n{type: Flatten}]";
}
}  // namespace

TEST_SUITE("model") {
  TEST_CASE(
      "A convolution computing the residual Add after it gives the bits of the layers apart") {
    // Every Conv2D path (Winograd, F(2x2,3x3) on few filters, 1x1, strided implicit GEMM, the first
    // layer's in-place kernel, a long patch's implicit GEMM in bands at batch 1), each with or
    // without a normalization between (with its own ReLU or another function) and a ReLU after.
    const std::string bn = "{type: BatchNormalization, name: mid, momentum: 0.9}";
    const std::string bn_relu =
        "{type: BatchNormalization, name: bn, momentum: 0.9},\n"
        "{type: Activation, name: mid, activation: relu}";
    const std::string bn_elu =
        "{type: BatchNormalization, name: bn, momentum: 0.9},\n"
        "{type: Activation, name: mid, activation: elu}";
    const std::string tanh = "{type: Activation, name: mid, activation: tanh}";
    const std::vector<Block> blocks{
        block(
            "{type: Conv2D, name: c, filters: 16, kernel_size: 3, padding: same, use_bias: false}",
            Shape{7, 9, 16}, bn),
        block(
            "{type: Conv2D, name: c, filters: 16, kernel_size: 3, padding: same, use_bias: false}",
            Shape{7, 9, 16}, bn, false, false),
        block("{type: Conv2D, name: c, filters: 8, kernel_size: 3, padding: same}", Shape{6, 6, 8},
              bn_relu, false),
        block("{type: Conv2D, name: c, filters: 8, kernel_size: 3, padding: same}", Shape{6, 6, 8},
              ""),
        block("{type: Conv2D, name: c, filters: 12, kernel_size: 1}", Shape{5, 5, 12}, bn_elu),
        block("{type: Conv2D, name: c, filters: 3, kernel_size: 1}", Shape{5, 5, 3}, tanh, true,
              false),
        block("{type: Conv2D, name: c, filters: 6, kernel_size: 3, strides: 2, padding: same,"
              " activation: relu, inputs: input_1}",
              Shape{9, 9, 6}, bn, true, true,
              "{type: MaxPooling2D, name: short, pool_size: 2, padding: same}"),
        block("{type: Conv2D, name: c, filters: 6, kernel_size: 3, strides: 2, padding: same,"
              " inputs: input_1}",
              Shape{9, 9, 6}, "", false, true,
              "{type: AveragePooling2D, name: short, pool_size: 2, padding: same}"),
        block("{type: Conv2D, name: c, filters: 1, kernel_size: 3, padding: same}", Shape{8, 8, 1},
              bn),
        block("{type: Conv2D, name: c, filters: 2, kernel_size: 7, padding: same}",
              Shape{12, 12, 2}, bn_relu, false, false),
    };
    for (const Block& b : blocks) {
      const std::string yaml = block_yaml(b);
      INFO(yaml);
      for (const long batch : {5L, 1L}) {
        const Tensor x = sine_input(b.input.with_batch(batch));
        Model fused = make_layers_model(yaml, b.input, batch);
        Model plain = make_layers_model(yaml, b.input, batch);
        plain.set_fusion(false);
        CHECK(fused.fuses_next(index_of(fused, "sum") - 1, Mode::kEval));
        CHECK_FALSE(fused.fuses_next(index_of(fused, "sum") - 1, Mode::kTrain));
        const auto y = inference_bits(fused, x);
        CHECK(bitwise_equal(y, inference_bits(plain, x)));
        if (b.relu_after) {
          CHECK(*std::min_element(y.begin(), y.end()) >= 0.0F);
        }
        // Training does not fuse the sum: the same bits and gradients as apart.
        CHECK(bitwise_equal(training_bits(fused, x, 3, 1, 1), training_bits(plain, x, 3, 1, 1)));
      }
    }
  }

  TEST_CASE("A Dense layer or a normalization after a depthwise layer adds the residual") {
    // Dense -> normalization (a residual MLP: the Dense layer computes both), and a depthwise
    // convolution -> normalization (the normalization adds it); the chain's output second in the
    // Add, with and without the normalization's own ReLU and the Add's.
    const std::vector<std::pair<std::string, Shape>> graphs{
        {R"([{type: Dense, name: d, units: 6},
             {type: BatchNormalization, name: bn},
             {type: Add, name: sum, inputs: [input_1, bn]},
             {type: Activation, activation: relu}])",
         Shape{6}},
        {R"([{type: DepthwiseConv2D, name: d, kernel_size: 3, padding: same},
             {type: BatchNormalization, name: bn},
             {type: Activation, name: act, activation: relu},
             {type: Add, name: sum, inputs: [input_1, act]}, {type: Flatten}])",
         Shape{5, 6, 4}},
    };
    check_sums(graphs, true);
  }

  TEST_CASE("A Dense layer adds the residual after it on each of its paths") {
    // At batch 3: row tasks (6 units, with and without its own ReLU), the few-units kernel (3
    // units), column blocks (130 units).
    const std::vector<std::pair<std::string, Shape>> graphs{
        {R"([{type: Dense, name: d, units: 6},
             {type: Add, name: sum, inputs: [input_1, d]},
             {type: Activation, activation: relu}])",
         Shape{6}},
        {R"([{type: Dense, name: d, units: 6, activation: relu},
             {type: Add, name: sum, inputs: [d, input_1]}])",
         Shape{6}},
        {R"([{type: Dense, name: d, units: 3, activation: tanh},
             {type: Add, name: sum, inputs: [input_1, d]}])",
         Shape{3}},
        {R"([{type: Dense, name: d, units: 130},
             {type: Add, name: sum, inputs: [d, input_1]},
             {type: Activation, activation: relu}])",
         Shape{130}},
    };
    check_sums(graphs, true);
  }

  TEST_CASE("A residual Add is not fused where the convolution cannot compute it") {
    // A pooled convolution (the sum would come before the pooling), a dilated Winograd one (its
    // tiles are of phase images), an Add of three inputs, and an Add of a tensor with itself.
    const std::vector<std::pair<std::string, Shape>> graphs{
        {R"([{type: MaxPooling2D, name: q, pool_size: 2},
             {type: Conv2D, name: d, filters: 8, kernel_size: 1},
             {type: Conv2D, name: c, filters: 8, kernel_size: 3, padding: same, inputs: input_1},
             {type: MaxPooling2D, name: p, pool_size: 2},
             {type: Add, name: sum, inputs: [d, p]}, {type: Flatten}])",
         Shape{6, 6, 8}},
        {R"([{type: Conv2D, name: c, filters: 8, kernel_size: 3, padding: same,
              dilation_rate: 2},
             {type: Add, name: sum, inputs: [c, input_1]}, {type: Flatten}])",
         Shape{8, 8, 8}},
        {R"([{type: Conv2D, name: a, filters: 4, kernel_size: 3, padding: same},
             {type: Conv2D, name: c, filters: 4, kernel_size: 3, padding: same},
             {type: Add, name: sum, inputs: [c, a, a]}, {type: Flatten}])",
         Shape{6, 6, 4}},
        {R"([{type: Conv2D, name: c, filters: 4, kernel_size: 3, padding: same},
             {type: Add, name: sum, inputs: [c, c]}, {type: Flatten}])",
         Shape{6, 6, 4}},
    };
    check_sums(graphs, false);
  }

  TEST_CASE("Residual stages fuse their sums and keep the bits in inference groups") {
    // ResNet's stages (bench/models/resnet.yaml) at 28x28: the identity shortcut of the stem,
    // a projected one whose 1x1 convolution adds the other branch, an identity one after a
    // pooling; a batch past one inference group.
    const char* const resnet = R"([
      {type: Conv2D, name: stem_conv, filters: 32, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization, name: stem_bn},
      {type: Activation, name: stem, activation: relu},
      {type: Conv2D, name: s1_conv, filters: 32, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization, name: s1_bn},
      {type: Add, name: s1_add, inputs: [stem, s1_bn]},
      {type: Activation, name: s1_out, activation: relu},
      {type: MaxPooling2D, name: s2_pool, pool_size: 2},
      {type: Conv2D, name: s2_conv, filters: 64, kernel_size: 3, padding: same, use_bias: false},
      {type: BatchNormalization, name: s2_bn},
      {type: Conv2D, name: s2_project, filters: 64, kernel_size: 1, use_bias: false,
       inputs: s2_pool},
      {type: BatchNormalization, name: s2_project_bn},
      {type: Add, name: s2_add, inputs: [s2_project_bn, s2_bn]},
      {type: Activation, name: s2_out, activation: relu},
      {type: GlobalAveragePooling2D, name: pool},
      {type: Dense, units: 10}])";
    const Shape input{28, 28, 1};
    const long batch = 70;
    const Tensor x = sine_input(input.with_batch(batch));
    Model fused = make_layers_model(resnet, input, batch);
    Model plain = make_layers_model(resnet, input, batch);
    plain.set_fusion(false);
    CHECK(fused.inference_group(batch) < batch);
    for (const char* const add : {"s1_add", "s2_add"}) {
      CHECK(fused.fuses_next(index_of(fused, add) - 1, Mode::kEval));
    }
    CHECK(bitwise_equal(inference_bits(fused, x), inference_bits(plain, x)));
  }
}

}  // namespace runner::test
