// Graph models (layers that name their inputs): gradients through fan-out and merges, the
// equivalence with the list form, fusion and thread independence, and the errors of a bad graph.
#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/make_layer.hpp"
#include "tests/support/threads.hpp"

namespace runner::test {

namespace {
// Output and every parameter gradient of one forward and backward pass.
std::vector<float> pass_bits(Model& model, const Tensor& x) {
  return training_bits(model, x, 5, 1, 1);
}

// Every merge layer and a fan-out of three: a feeds the sum, the gate and the concatenation.
const char* const kDenseGraph = R"([
  {type: Dense, name: a, units: 6, activation: tanh},
  {type: Dense, name: b, units: 6, activation: tanh},
  {type: Add, inputs: [a, b]},
  {type: Dense, name: gate, units: 1, activation: sigmoid, inputs: a},
  {type: Multiply, inputs: [add, gate]},
  {type: Dense, name: c, units: 6, inputs: input_1},
  {type: Subtract, inputs: [multiply, c]},
  {type: Average, inputs: [subtract, a, c]},
  {type: Concatenate, inputs: [average, a, input_1]},
  {type: Dense, units: 3}
])";

const char* const kConvGraph = R"([
  {type: Conv2D, name: stem, filters: 3, kernel_size: 3, padding: same, activation: relu},
  {type: MaxPooling2D, pool_size: 2},
  {type: Conv2D, name: c1, filters: 3, kernel_size: 3, padding: same, activation: relu},
  {type: Conv2D, name: c2, filters: 3, kernel_size: 3, padding: same},
  {type: Add, inputs: [max_pooling2d, c2]},
  {type: Activation, activation: relu},
  {type: Conv2D, name: squeeze, filters: 3, kernel_size: 1, activation: sigmoid},
  {type: GlobalAveragePooling2D, name: pool},
  {type: Reshape, target_shape: [1, 1, 3]},
  {type: Multiply, inputs: [activation, reshape]},
  {type: Flatten},
  {type: Dense, units: 4}
])";
}  // namespace

TEST_SUITE("graph model") {
  TEST_CASE("Gradients through fan-out and every merge layer match finite differences") {
    Model m = make_layers_model(kDenseGraph, Shape{4}, 3);
    CHECK(m.is_graph());
    CHECK(m.consumer_count(0) == 5);  // a: b (the next layer), add, gate, average, concatenate
    CHECK(m.output_shape() == Shape{3});
    const Tensor x = sine_input(Shape{3, 4});
    CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}, 1e-3F) < 2e-3);
  }

  // Layers that learn nothing and read nothing that learns (a Flatten or augmentation start, a
  // branch of plain functions of the input) get no output gradient: the layers after them
  // compute no input gradient for them, and the weights' gradients are unchanged.
  TEST_CASE("Backward computes no gradient for a start that learns nothing") {
    Model graph = make_layers_model(R"([
      {type: Activation, name: squashed, activation: tanh},
      {type: Dense, name: a, units: 4, inputs: input_1},
      {type: Dense, name: b, units: 4, inputs: squashed},
      {type: Add, name: total, inputs: [a, b]},
      {type: Activation, name: out, activation: tanh}
    ])",
                                    Shape{5}, 3);
    CHECK(!graph.wants_gradient(0));
    for (std::size_t i = 1; i < graph.size(); ++i) {
      CHECK(graph.wants_gradient(i));
    }
    CHECK(model_param_gradcheck(graph, sine_input(Shape{3, 5}), Pass{Mode::kTrain, 0}, 1e-3F) <
          2e-3);

    Model chain = make_layers_model(R"([
      {type: Flatten},
      {type: Dropout, rate: 0.0},
      {type: Dense, units: 4, activation: tanh},
      {type: Dense, units: 3}
    ])",
                                    Shape{2, 3, 2}, 3);
    CHECK(!chain.wants_gradient(0));
    CHECK(!chain.wants_gradient(1));
    CHECK(chain.wants_gradient(2));
    CHECK(chain.wants_gradient(3));
    CHECK(model_param_gradcheck(chain, sine_input(Shape{3, 2, 3, 2}), Pass{Mode::kTrain, 0},
                                1e-3F) < 2e-3);
  }

  TEST_CASE("Maximum and Minimum send the gradient to the input holding the extreme") {
    Model m = make_layers_model(R"([
      {type: Dense, name: a, units: 5},
      {type: Dense, name: b, units: 5, inputs: input_1},
      {type: Dense, name: c, units: 5, inputs: input_1},
      {type: Maximum, inputs: [a, b, c]},
      {type: Minimum, inputs: [a, b, c]},
      {type: Concatenate, inputs: [maximum, minimum]},
      {type: Dense, units: 2}])",
                                Shape{3}, 4);
    const Tensor x = sine_input(Shape{4, 3});
    CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}, 1e-4F) < 2e-3);
  }

  TEST_CASE("A residual convolution block with a broadcast gate matches finite differences") {
    // kConvGraph with smooth functions: central differences across the kinks of relu and max
    // pooling miss by 1e-2 in a plain chain already.
    std::string smooth = kConvGraph;
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"relu", "tanh"},
                                   {"MaxPooling2D", "AveragePooling2D"},
                                   {"max_pooling2d", "average_pooling2d"}}) {
      for (auto at = smooth.find(from); at != std::string::npos; at = smooth.find(from, at)) {
        smooth.replace(at, from.size(), to);
      }
    }
    Model m = make_layers_model(smooth, Shape{6, 6, 2}, 2);
    const Tensor x = sine_input(Shape{2, 6, 6, 2});
    CHECK(model_param_gradcheck(m, x, Pass{Mode::kTrain, 0}, 1e-3F) < 3e-3);
  }

  TEST_CASE("Fusion in a graph model changes no output or gradient bit") {
    // The stem fuses its pooling (only the pooling reads it); c2 feeds only the sum.
    Model fused = make_layers_model(kConvGraph, Shape{8, 8, 2}, 4);
    Model plain = make_layers_model(kConvGraph, Shape{8, 8, 2}, 4);
    plain.set_fusion(false);
    const Tensor x = sine_input(Shape{4, 8, 8, 2});
    CHECK(bitwise_equal(pass_bits(fused, x), pass_bits(plain, x)));
  }

  TEST_CASE("Shared gradient buffers change no bit in a graph model") {
    // Fan-out sums, merges writing several inputs' gradients, hand-overs (Reshape, Flatten).
    Model dense = make_layers_model(kDenseGraph, Shape{4}, 3);
    Model dense_apart = make_layers_model(kDenseGraph, Shape{4}, 3);
    dense_apart.set_gradient_sharing(false);
    CHECK(dense.gradient_buffer_count() < dense_apart.gradient_buffer_count());
    const Tensor v = sine_input(Shape{3, 4});
    CHECK(bitwise_equal(pass_bits(dense, v), pass_bits(dense_apart, v)));
    Model conv = make_layers_model(kConvGraph, Shape{8, 8, 2}, 4);
    Model conv_apart = make_layers_model(kConvGraph, Shape{8, 8, 2}, 4);
    conv_apart.set_gradient_sharing(false);
    CHECK(conv.gradient_buffer_count() < conv_apart.gradient_buffer_count());
    const Tensor x = sine_input(Shape{4, 8, 8, 2});
    CHECK(bitwise_equal(pass_bits(conv, x), pass_bits(conv_apart, x)));
  }

  TEST_CASE("A merge fuses a following ReLU: the same bits as the two layers apart") {
    // Add of full inputs (the residual block), Subtract with a broadcast input, Average of
    // three: each followed by a ReLU that the merge computes when fusion is on.
    const char* const graph = R"([
      {type: Conv2D, name: a, filters: 4, kernel_size: 3, padding: same},
      {type: Conv2D, name: b, filters: 4, kernel_size: 3, padding: same, inputs: input_1},
      {type: Add, inputs: [a, b]},
      {type: Activation, name: add_relu, activation: relu},
      {type: GlobalAveragePooling2D, name: pool, inputs: b},
      {type: Reshape, target_shape: [1, 1, 4]},
      {type: Subtract, inputs: [add_relu, reshape]},
      {type: Activation, name: subtract_relu, activation: relu},
      {type: Average, inputs: [subtract_relu, a, b]},
      {type: Activation, activation: relu},
      {type: Flatten},
      {type: Dense, units: 3}
    ])";
    Model fused = make_layers_model(graph, Shape{6, 6, 2}, 5);
    Model plain = make_layers_model(graph, Shape{6, 6, 2}, 5);
    plain.set_fusion(false);
    int merges = 0;
    for (std::size_t i = 0; i < fused.size(); ++i) {
      if (fused.entry(i).layer->as_merge() != nullptr) {
        CHECK(fused.fuses_next(i, Mode::kTrain));
        ++merges;
      }
    }
    CHECK(merges == 3);
    const Tensor x = sine_input(Shape{5, 6, 6, 2});
    CHECK(bitwise_equal(pass_bits(fused, x), pass_bits(plain, x)));
    // And the gradient reaching the input layers through the masked merges.
    CHECK(model_param_gradcheck(fused, x, Pass{Mode::kTrain, 0}, 1e-3F) < 3e-2);
  }

  TEST_CASE("A chain written as a graph computes the same bits as the list form") {
    const char* const list = R"([
      {type: Conv2D, filters: 4, kernel_size: 3, activation: relu},
      {type: MaxPooling2D, pool_size: 2},
      {type: Flatten},
      {type: Dense, units: 5, activation: softmax}])";
    const char* const graph = R"([
      {type: Conv2D, filters: 4, kernel_size: 3, activation: relu, inputs: input_1},
      {type: MaxPooling2D, pool_size: 2, inputs: conv2d},
      {type: Flatten, inputs: [max_pooling2d]},
      {type: Dense, units: 5, activation: softmax, inputs: flatten}])";
    Model a = make_layers_model(list, Shape{8, 8, 1}, 3);
    Model b = make_layers_model(graph, Shape{8, 8, 1}, 3);
    CHECK_FALSE(a.is_graph());
    CHECK(b.is_graph());
    const Tensor x = sine_input(Shape{3, 8, 8, 1});
    CHECK(bitwise_equal(pass_bits(a, x), pass_bits(b, x)));
  }

  TEST_CASE("A graph model gives bitwise-equal results on 1 and 2 threads") {
    const Tensor x = sine_input(Shape{64, 8, 8, 2});  // the broadcast gate spans chunks
    const auto run = [&](int threads) {
      return with_threads(threads, [&] {
        Model m = make_layers_model(kConvGraph, Shape{8, 8, 2}, 64);
        return pass_bits(m, x);
      });
    };
    CHECK(bitwise_equal(run(1), run(2)));
  }

  TEST_CASE("A graph model's summary is Keras' Functional summary") {
    const Model m = make_layers_model(R"([
      {type: Conv2D, name: stem, filters: 2, kernel_size: 3, padding: same},
      {type: Conv2D, filters: 2, kernel_size: 3, padding: same},
      {type: Add, inputs: [stem, conv2d]},
      {type: Flatten},
      {type: Dense, units: 3}])",
                                      Shape{4, 4, 1}, 1);
    // Keras 2.11 print_summary of a non-sequential model: line_length 98, columns at
    // 32/53/65/98, the InputLayer row, connections as Python's str() of a list, wrapped after
    // "',".
    const std::string expected =
        "Model: \"model\"\n"
        "__________________________________________________________________________________________"
        "________\n"
        " Layer (type)                   Output Shape         Param #     Connected to           "
        "          \n"
        "=========================================================================================="
        "========\n"
        " input_1 (InputLayer)           [(None, 4, 4, 1)]    0           []                     "
        "          \n"
        "                                                                                          "
        "        \n"
        " stem (Conv2D)                  (None, 4, 4, 2)      20          ['input_1[0][0]']      "
        "          \n"
        "                                                                                          "
        "        \n"
        " conv2d (Conv2D)                (None, 4, 4, 2)      38          ['stem[0][0]']         "
        "          \n"
        "                                                                                          "
        "        \n"
        " add (Add)                      (None, 4, 4, 2)      0           ['stem[0][0]',         "
        "          \n"
        "                                                                  'conv2d[0][0]']       "
        "          \n"
        "                                                                                          "
        "        \n"
        " flatten (Flatten)              (None, 32)           0           ['add[0][0]']          "
        "          \n"
        "                                                                                          "
        "        \n"
        " dense (Dense)                  (None, 3)            99          ['flatten[0][0]']      "
        "          \n"
        "                                                                                          "
        "        \n"
        "=========================================================================================="
        "========\n"
        "Total params: 157\n"
        "Trainable params: 157\n"
        "Non-trainable params: 0\n"
        "__________________________________________________________________________________________"
        "________\n";
    CHECK(m.summary("model") == expected);
  }

  TEST_CASE("A chain-shaped graph prints Keras' sequential-like summary with its InputLayer") {
    const Model m = make_layers_model("[{type: Dense, units: 2, inputs: input_1}]", Shape{3}, 1);
    const std::string summary = m.summary("model");
    CHECK(summary.find("Connected to") == std::string::npos);
    CHECK(summary.find(" input_1 (InputLayer)        [(None, 3)]               0         \n") !=
          std::string::npos);
  }

  TEST_CASE("A bad graph is refused with the layer and its position") {
    const auto error = [](const std::string& yaml, const Shape& input) {
      try {
        (void)make_layers_model(yaml, input, 1);
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK(error("[{type: Dense, name: stem, units: 2}, {type: Dense, units: 2, inputs: stm}]",
                Shape{3}) ==
          "test:1:71: model.layers[1].inputs: input 'stm' is not the model input nor a layer "
          "declared above this one (these are: input_1, stem); did you mean 'stem'?");
    CHECK(error("[{type: Dense, units: 2, inputs: dense_1}, {type: Dense, units: 2}]", Shape{3}) ==
          "test:1:34: model.layers[0].inputs: input 'dense_1' is not the model input nor a layer "
          "declared above this one (these are: input_1)");
    CHECK(error("[{type: Dense, units: 2, inputs: []}]", Shape{3}) ==
          "test:1:34: model.layers[0].inputs: expected a layer name or a non-empty list of layer "
          "names, got a list");
    CHECK(error("[{type: Dense, name: a, units: 2}, {type: Dense, units: 2, inputs: input_1}]",
                Shape{3}) ==
          "test:1:2: model.layers[0]: layer 0 'a' (Dense): no layer reads its output, so it does "
          "not lead to the model's output (the last layer, 'dense')");
    CHECK(error("[{type: Dense, units: 2}, {type: Dense, units: 2, inputs: [input_1, dense]}]",
                Shape{3}) ==
          "test:1:27: model.layers[1]: layer 1 'dense_1' (Dense): takes one input, got 2; "
          "combine them first with a merge layer (Add, Concatenate, ...)");
    CHECK(error("[{type: Dense, units: 2}, {type: Add, inputs: [input_1, dense]}]", Shape{3}) ==
          "test:1:27: model.layers[1]: layer 1 'add' (Add): inputs have incompatible shapes "
          "(None, 3) and (None, 2) (each dimension must be equal or 1, aligned at the end)");
    CHECK(
        error("[{type: Subtract, inputs: [input_1, input_1, input_1]}]", Shape{3}) ==
        "test:1:2: model.layers[0]: layer 0 'subtract' (Subtract): takes exactly 2 inputs, got 3");
    CHECK(error("[{type: Dense, units: 2}, {type: Concatenate, axis: 0, inputs: [input_1, dense]}]",
                Shape{3}) ==
          "test:1:27: model.layers[1]: layer 1 'concatenate' (Concatenate): axis 0 is not a "
          "feature axis of inputs of rank 2 (batch included): use 1 to 1 or -1 to -1");
    CHECK(error("[{type: Reshape, target_shape: [3, 1]}, {type: Concatenate, axis: 1, "
                "inputs: [input_1, reshape]}]",
                Shape{3}) ==
          "test:1:41: model.layers[1]: layer 1 'concatenate' (Concatenate): inputs (None, 3), "
          "(None, 3, 1) must match in every dimension but axis 1");
    CHECK(error("[{type: Dense, name: input_1, units: 2}]", Shape{3}) ==
          "test:1:2: model.layers[0].name: layer name 'input_1' is used twice; layer names must "
          "be unique");
  }
}

}  // namespace runner::test
