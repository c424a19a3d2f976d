// Inference of a large batch a group of samples at a time through every layer (Model::forward):
// the bits of the whole batch at once, and only where the activations outgrow the caches.
#include <doctest/doctest.h>

#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/core/yaml_reader.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

namespace {
std::vector<float> inference_bits(Model& model, const Tensor& x) {
  const Tensor& y = model.forward(x, Pass{});
  return {y.data(), y.data() + y.size()};
}

// Every convolution path that sums each output in a fixed order (in place, Winograd with a
// fused normalization, dilated Winograd, implicit strided, depthwise), pooling and a graph merge.
const char* const kConvolutions = R"([
  {type: Conv2D, name: stem, filters: 32, kernel_size: 3, padding: same, activation: relu},
  {type: Conv2D, name: wino, filters: 32, kernel_size: 3, padding: same},
  {type: BatchNormalization, name: bn},
  {type: Activation, name: act, activation: relu},
  {type: Add, name: skip, inputs: [act, stem]},
  {type: Conv2D, name: dilated, filters: 16, kernel_size: 3, dilation_rate: 2, padding: same,
   activation: relu},
  {type: MaxPooling2D, name: pool, pool_size: 2},
  {type: Conv2D, name: strided, filters: 32, kernel_size: 3, strides: 2, padding: same,
   activation: relu},
  {type: DepthwiseConv2D, name: depthwise, kernel_size: 3, padding: same, activation: relu},
  {type: GlobalAveragePooling2D, name: gap}])";

// The same with layers on oneDNN's GEMM after it (SeparableConv2D's pointwise half, Dense),
// whose AVX2 kernels may round a row differently for another number of rows (docs/design.md).
const char* const kWithGemms = R"([
  {type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu},
  {type: SeparableConv2D, filters: 32, kernel_size: 3, padding: same},
  {type: GlobalAveragePooling2D},
  {type: Dense, units: 100, activation: relu},
  {type: Dense, units: 10, activation: softmax}])";
}  // namespace

TEST_SUITE("model") {
  TEST_CASE("Inference in groups of samples gives the bits of the whole batch at once") {
    const Shape input{28, 28, 1};
    const long batch = 150;  // four full groups and a short one
    const Tensor x = sine_input(input.with_batch(batch));
    for (const char* const yaml : {kConvolutions, kWithGemms}) {
      Model model = make_layers_model(yaml, input, batch);
      // 28x28x32 floats a sample: 15 MB for the batch, past the cache budget, and 6.4 MB for
      // 64 samples: the smaller groups.
      REQUIRE(model.inference_group(batch) == Model::kLargeActivationGroup);
      CHECK(model.inference_group(Model::kInferenceGroup) == Model::kLargeActivationGroup);
      const std::vector<float> grouped = inference_bits(model, x);
      model.set_inference_groups(false);
      CHECK(model.inference_group(batch) == batch);
      const std::vector<float> whole = inference_bits(model, x);
      CHECK(grouped.size() == static_cast<std::size_t>(batch * model.output_shape().elements()));
      if (yaml == kConvolutions) {
        CHECK(bitwise_equal(grouped, whole));
      } else {
        CHECK(max_abs_difference(grouped, whole) < 1e-6);
      }
      // Training never groups: its sums run across the batch.
      model.set_inference_groups(true);
      const Tensor& trained = model.forward(x, Pass{Mode::kTrain, 0});
      CHECK(trained.batch() == batch);
    }
  }

  TEST_CASE("Inference groups are sized by the activations the layers write") {
    // The 28x28x32 convolution computes its pooling: it writes 14x14x32 floats a sample, so
    // groups of 64 (1.6 MB each) fit the budget; with fusion off it writes the 28x28x32 too.
    Model model = make_layers_model(R"([
      {type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu},
      {type: MaxPooling2D, pool_size: 2},
      {type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu},
      {type: GlobalAveragePooling2D}])",
                                    Shape{28, 28, 1}, 256);
    CHECK(model.inference_group(256) == Model::kInferenceGroup);
    model.set_fusion(false);
    CHECK(model.inference_group(256) == Model::kLargeActivationGroup);
    model.set_fusion(true);
    CHECK(model.inference_group(256) == Model::kInferenceGroup);
  }

  TEST_CASE("Inference of small activations runs the batch whole") {
    Model mlp = make_layers_model(
        "[{type: Dense, units: 512, activation: relu}, {type: Dense, units: 2}]", Shape{30}, 256);
    CHECK(mlp.inference_group(256) == 256);  // 512 floats a sample: 0.5 MB for the batch
  }
}

}  // namespace runner::test
