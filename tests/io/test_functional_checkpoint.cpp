// Keras Functional files: runner's graph models written and read back, and a Functional file in
// Keras 2.11's layout (written by tests/reference/keras_functional_fixture.py) loaded.
#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "tests/io/keras_functional_reference.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/layer_checks.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

namespace {
const char* const kResidual = R"([
  {type: Conv2D, name: stem, filters: 3, kernel_size: 3, padding: same, activation: relu},
  {type: Conv2D, filters: 3, kernel_size: 3, padding: same},
  {type: Add, inputs: [conv2d, stem]},
  {type: Concatenate, inputs: [add, input_1]},
  {type: GlobalAveragePooling2D},
  {type: Dense, units: 4, activation: softmax}
])";

Model residual_model(std::uint32_t seed) {
  const YAML::Node list = load_yaml_string(kResidual, "test");
  Model m =
      build_layers(std::vector<YAML::Node>(list.begin(), list.end()), Shape{6, 6, 2}, seed, "test");
  m.prepare(3);
  return m;
}
}  // namespace

TEST_SUITE("Keras Functional files") {
  TEST_CASE("A graph model's file carries Keras' Functional model_config and layer list") {
    TempDir dir;
    const Model m = residual_model(1);
    save_checkpoint(dir / "m.h5", m, CheckpointInfo{}, nullptr, false);
    const h5::Object file = h5::open_file((dir / "m.h5").string());
    const YAML::Node config = parse_json(file.read_string_attribute("model_config"), "m.h5");
    CHECK(config["class_name"].Scalar() == "Functional");
    const YAML::Node layers = config["config"]["layers"];
    REQUIRE(layers.size() == 7);
    CHECK(to_json(layers[0]) ==
          R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 6, 6, 2], )"
          R"("dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, )"
          R"("name": "input_1", "inbound_nodes": []})");
    CHECK(to_json(layers[3]) ==
          R"({"class_name": "Add", "config": {"name": "add", "trainable": true, )"
          R"("dtype": "float32"}, "name": "add", "inbound_nodes": )"
          R"([[["conv2d", 0, 0, {}], ["stem", 0, 0, {}]]]})");
    CHECK(to_json(config["config"]["input_layers"]) == R"([["input_1", 0, 0]])");
    CHECK(to_json(config["config"]["output_layers"]) == R"([["dense", 0, 0]])");
    const auto names = file.group("model_weights").read_string_list_attribute("layer_names");
    CHECK(names == std::vector<std::string>{"input_1", "stem", "conv2d", "add", "concatenate",
                                            "global_average_pooling2d", "dense"});
  }

  TEST_CASE("A graph model survives a checkpoint round trip with its graph and weights") {
    TempDir dir;
    Model original = residual_model(1);
    const Tensor x = sine_input(Shape{3, 6, 6, 2});
    const Tensor expected(original.forward(x, Pass{}));
    CheckpointInfo info;
    info.model_name = "tiny_resnet";
    save_checkpoint(dir / "m.h5", original, info, nullptr, false);
    LoadedModel loaded = load_model_checkpoint(dir / "m.h5");  // from Keras' model_config
    CHECK(loaded.model.is_graph());
    CHECK(loaded.model_name == "tiny_resnet");
    loaded.model.prepare(3);
    const Tensor& y = loaded.model.forward(x, Pass{});
    CHECK(bitwise_equal(expected.span(), y.span()));
  }

  TEST_CASE("A Functional file in Keras 2.11's layout loads and gives its outputs") {
    LoadedModel loaded = load_model_checkpoint("tests/fixtures/keras/functional_residual.h5");
    Model& m = loaded.model;
    REQUIRE(m.size() == 6);
    CHECK(m.input_name() == "input_1");
    CHECK(m.entry(2).name == "add");
    CHECK(m.entry(2).inputs == std::vector<long>{1, 0});
    CHECK(m.entry(3).inputs == std::vector<long>{2, Model::kModelInput});
    m.prepare(3);
    Tensor x(Shape{3, 6, 6, 2});
    std::copy(keras_functional::kInputs.begin(), keras_functional::kInputs.end(), x.data());
    check_close(m.forward(x, Pass{}), keras_functional::kOutputs, 1e-5F);
  }

  TEST_CASE("Functional files runner cannot express are refused with the reason") {
    const auto error = [](const std::string& json) {
      try {
        (void)model_section_from_keras(json, "f.h5");
      } catch (const CheckpointError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    const std::string input =
        R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "x"},)"
        R"( "name": "x", "inbound_nodes": []})";
    const std::string dense =
        R"({"class_name": "Dense", "config": {"name": "d", "units": 2},)"
        R"( "name": "d", "inbound_nodes": [[["x", 0, 0, {}]], [["x", 0, 0, {}]]]})";
    CHECK(error(R"({"class_name": "Functional", "config": {"name": "m", "layers": [)" + input +
                ", " + dense +
                R"(], "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]]}})") ==
          "f.h5: layer 'd' is called 2 times; runner's graph models call each layer once (no "
          "shared layers)");
    CHECK(error(R"({"class_name": "Functional", "config": {"name": "m", "layers": [)" + input +
                R"(], "input_layers": [["x", 0, 0], ["y", 0, 0]], "output_layers": []}})") ==
          "f.h5: the model has 2 input_layers; runner's graph models have one input and one "
          "output");
    CHECK(error(R"({"class_name": "Subclassed", "config": {"layers": []}})") ==
          "f.h5: only Sequential and Functional Keras models can be loaded (this one is "
          "'Subclassed')");
  }
}

}  // namespace runner::test
