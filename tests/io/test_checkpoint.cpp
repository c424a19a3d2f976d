#include <doctest/doctest.h>
#include <hdf5.h>

#include <fstream>
#include <numeric>

#include "framework/app/run_data.hpp"
#include "framework/app/run_experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "framework/train/trainer.hpp"
#include "tests/support/layer_checks.hpp"
#include "tests/support/skip.hpp"

namespace runner::test {

namespace {

Model reference_model() {
  Model m = build_model(load_experiment("experiments/cnn.yaml"), Shape{28, 28, 1});
  m.prepare(32);
  m.use_logits_output();
  return m;
}
}  // namespace

TEST_SUITE("checkpoint") {
  TEST_CASE("Our checkpoints use Keras' HDF5 layout and names and shapes") {
    TempDir dir;
    const Model m = reference_model();
    save_checkpoint(dir / "m.h5", m, CheckpointInfo{}, nullptr, false);
    const h5::Object file = h5::open_file((dir / "m.h5").string());
    CHECK(file.read_string_attribute("keras_version") == "2.11.0");
    const h5::Object weights = file.group("model_weights");
    CHECK(weights.read_string_list_attribute("layer_names") ==
          std::vector<std::string>{"conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                                   "flatten", "dense", "dropout", "dense_1"});
    CHECK(weights.group("conv2d").read_string_list_attribute("weight_names") ==
          std::vector<std::string>{"conv2d/kernel:0", "conv2d/bias:0"});
    CHECK(weights.dataset_shape("conv2d/conv2d/kernel:0") == Shape{3, 3, 1, 32});
    CHECK(weights.dataset_shape("conv2d_1/conv2d_1/kernel:0") == Shape{3, 3, 32, 64});
    CHECK(weights.dataset_shape("dense/dense/kernel:0") == Shape{3136, 100});
    CHECK(weights.dataset_shape("dense_1/dense_1/bias:0") == Shape{10});
    CHECK(weights.group("flatten").read_string_list_attribute("weight_names").empty());
    const std::string config = file.read_string_attribute("model_config");
    CHECK(config.find("\"class_name\": \"Sequential\"") != std::string::npos);
    CHECK(config.find("\"batch_input_shape\": [null, 28, 28, 1]") != std::string::npos);
  }

  TEST_CASE("A full save carries Adam's slots under Keras' names") {
    TempDir dir;
    Model m = reference_model();
    Diagnostics diag("t");
    auto adam = optimizer_registry().create(Spec(YAML::Node("adam"), "o", diag, 0, 0));
    adam->prepare(m.parameter_count());
    adam->set_iterations(10500);
    save_checkpoint(dir / "m.h5", m, CheckpointInfo{}, adam.get(), false);
    const h5::Object opt = h5::open_file((dir / "m.h5").string()).group("optimizer_weights");
    const auto names = opt.read_string_list_attribute("weight_names");
    REQUIRE(names.size() == 17);
    CHECK(names[0] == "iteration:0");
    CHECK(names[1] == "Adam/m/conv2d/kernel:0");
    CHECK(names[2] == "Adam/v/conv2d/kernel:0");
    CHECK(opt.dataset_shape("Adam/v/dense/kernel:0") == Shape{3136, 100});
  }

  TEST_CASE("Optimizer slots are saved in the order Keras builds them") {
    // Keras 2.11 sets a file's optimizer weights as one list: Adam builds m and v variable by
    // variable, then every vhat; RMSprop every velocity, then every momentum.
    const Model m = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    const auto names_for = [&m](const char* optimizer) {
      TempDir dir;
      Diagnostics diag("t");
      auto built =
          optimizer_registry().create(Spec(load_yaml_string(optimizer, "t"), "o", diag, 0, 0));
      REQUIRE(built != nullptr);
      built->prepare(m.parameter_count());
      save_checkpoint(dir / "m.h5", m, CheckpointInfo{}, built.get(), false);
      return h5::open_file((dir / "m.h5").string())
          .group("optimizer_weights")
          .read_string_list_attribute("weight_names");
    };
    CHECK(names_for("{type: adam, amsgrad: true}") ==
          std::vector<std::string>{"iteration:0", "Adam/m/dense/kernel:0", "Adam/v/dense/kernel:0",
                                   "Adam/m/dense/bias:0", "Adam/v/dense/bias:0",
                                   "Adam/vhat/dense/kernel:0", "Adam/vhat/dense/bias:0"});
    CHECK(names_for("{type: rmsprop, momentum: 0.9}") ==
          std::vector<std::string>{
              "iteration:0", "RMSprop/velocity/dense/kernel:0", "RMSprop/velocity/dense/bias:0",
              "RMSprop/momentum/dense/kernel:0", "RMSprop/momentum/dense/bias:0"});
  }

  TEST_CASE("training_config names the optimizer as Keras 2.11 does") {
    // Keys and order of the optimizer_config in the training_config attribute of a file Keras
    // 2.11 saved with model.save() after compile(optimizer='adam') (its new Adam's get_config).
    const YAML::Node config =
        parse_json(keras_training_config(load_experiment("experiments/cnn.yaml")), "t");
    const YAML::Node optimizer = config["optimizer_config"];
    CHECK(optimizer["class_name"].as<std::string>() == "Custom>Adam");
    std::vector<std::string> keys;
    for (const auto& kv : optimizer["config"]) {
      keys.push_back(kv.first.as<std::string>());
    }
    CHECK(keys == std::vector<std::string>{"name", "weight_decay", "clipnorm", "global_clipnorm",
                                           "clipvalue", "use_ema", "ema_momentum",
                                           "ema_overwrite_frequency", "jit_compile",
                                           "is_legacy_optimizer", "learning_rate", "beta_1",
                                           "beta_2", "epsilon", "amsgrad"});
    CHECK(optimizer["config"]["is_legacy_optimizer"].as<bool>() == false);
    CHECK(optimizer["config"]["name"].as<std::string>() == "Adam");
    CHECK(optimizer["config"]["learning_rate"].as<double>() ==
          static_cast<double>(static_cast<float>(0.001)));
  }

  TEST_CASE("Save then load rebuilds the model and gives identical predictions") {
    TempDir dir;
    Model m = reference_model();
    CheckpointInfo info;
    info.runner_config =
        "name: sequential\ninput_shape: [28, 28, 1]\nlayers:\n"
        "  - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu, padding: same}\n"
        "  - {type: MaxPooling2D}\n  - {type: Conv2D, filters: 64, kernel_size: 3, activation: "
        "relu, padding: same}\n"
        "  - {type: MaxPooling2D}\n  - Flatten\n  - {type: Dense, units: 100, activation: relu}\n"
        "  - {type: Dropout, rate: 0.4}\n  - {type: Dense, units: 10, activation: softmax}\n";
    save_checkpoint(dir / "m.h5", m, info, nullptr, true);
    LoadedModel loaded = load_model_checkpoint(dir / "m.h5");
    loaded.model.prepare(4);
    loaded.model.use_logits_output();
    const Tensor x = sine_input(Shape{4, 28, 28, 1});
    const Tensor expected = m.forward(x, Pass{});
    CHECK(bitwise_equal(expected.span(), loaded.model.forward(x, Pass{}).span()));
  }

  TEST_CASE("Every layer's Keras model_config reads back to the same layer") {
    // Keras' keys both ways come from the schemas; runner-only keys (seeds) are left out of
    // Keras' config and come back as derived defaults.
    const std::vector<std::string> entries = {
        "{type: ZeroPadding2D, padding: [[1, 0], [0, 2]]}",
        "{type: RandomFlip, mode: horizontal}",
        "{type: RandomTranslation, height_factor: [-0.1, 0.2], width_factor: 0.1, "
        "fill_mode: constant, fill_value: 0.5}",
        "{type: RandomRotation, factor: 0.05, interpolation: nearest}",
        "{type: RandomZoom, height_factor: 0.1, width_factor: [-0.2, 0.1], fill_mode: wrap}",
        "{type: Conv2D, filters: 4, kernel_size: [3, 2], dilation_rate: 2, padding: same, "
        "use_bias: false}",
        "{type: BatchNormalization, momentum: 0.9, epsilon: 0.01, center: false}",
        "{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2, strides: [1, 2]}",
        "{type: SeparableConv2D, filters: 3, kernel_size: 2, dilation_rate: [1, 2], "
        "activation: relu}",
        "{type: Activation, activation: gelu}",
        "{type: LeakyReLU, alpha: 0.1}",
        "{type: AveragePooling2D, pool_size: 2, strides: 1}",
        "{type: MaxPooling2D, pool_size: 2, padding: same}",
        "{type: GlobalMaxPooling2D, keepdims: true}",
        "{type: Reshape, target_shape: [-1]}",
        "{type: Dropout, rate: 0.25}",
        "{type: Dense, units: 5, activation: tanh, use_bias: false, kernel_regularizer: l1_l2}",
        "{type: Reshape, target_shape: [1, 1, 5]}",
        "GlobalAveragePooling2D",
    };
    std::vector<YAML::Node> layers;
    for (const auto& e : entries) {
      layers.push_back(load_yaml_string(e, "test"));
    }
    const Model original = build_layers(layers, Shape{8, 8, 3}, 42, "test");
    const YAML::Node section =
        model_section_from_keras(keras_model_config(original, "zoo"), "zoo.h5:model_config");
    std::vector<YAML::Node> read_back(section["layers"].begin(), section["layers"].end());
    REQUIRE(read_back.size() == entries.size());
    const Model rebuilt = build_layers(read_back, Shape{8, 8, 3}, 42, "zoo.h5");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      CAPTURE(entries[i]);
      CHECK(YAML::Dump(rebuilt.entry(i).layer->config()) ==
            YAML::Dump(original.entry(i).layer->config()));
      CHECK(rebuilt.entry(i).name == original.entry(i).name);
    }
  }

  TEST_CASE("Keras' own 2.11 checkpoint evaluates to the accuracy its weights have") {
    // Oracle: tests/reference/keras_checkpoint_accuracy.py (PyTorch on the h5py arrays):
    // test loss 0.236287 accuracy 0.916800; validation loss 0.215720 accuracy 0.922083.
    const auto keras_file = keras_checkpoint();
    if (!keras_file) {
      return;
    }
    LoadedModel loaded = load_model_checkpoint(*keras_file);
    CHECK(loaded.model.parameter_count() == 333526);
    loaded.model.prepare(100);
    loaded.model.use_logits_output();
    // The reference data settings, as `runner evaluate` uses for a Keras file.
    YAML::Node root;
    root["name"] = "keras";
    root["model"] = loaded.model_section;
    const Experiment e = parse_experiment(root, "keras");
    const auto loss = make_loss(e);
    RunData d;
    load_run_data(e, *loss, d);
    plan_run_data(e, *loss, loaded.model, d, std::nullopt);
    const MetricSet metrics(make_metrics(e), loss->targets());
    const Objective objective{*loss, metrics, d.preprocessing};
    const Evaluation test = evaluate(loaded.model, objective, d.parts.test, 100);
    CHECK(test.metric("accuracy") == doctest::Approx(0.9168).epsilon(1e-9));
    CHECK(test.loss == doctest::Approx(0.236287).epsilon(1e-4));
    const Evaluation val = evaluate(loaded.model, objective, d.parts.validation, 100);
    CHECK(val.metric("accuracy") == doctest::Approx(11065.0 / 12000.0).epsilon(1e-9));
  }

  TEST_CASE("Loading a checkpoint of another model says what does not match") {
    TempDir dir;
    const Model small = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    save_checkpoint(dir / "small.h5", small, CheckpointInfo{}, nullptr, false);
    Model other = make_layer_model("{type: Dense, units: 5}", Shape{4}, 1);
    CHECK_THROWS_WITH_AS(
        load_weights(other, dir / "small.h5"),
        ((dir / "small.h5").string() +
         ":/model_weights/dense/dense/kernel:0: shape [4, 3] != [4, 5] expected by "
         "the model")
            .c_str(),
        CheckpointError);
    Model deeper = build_layers({load_yaml_string("{type: Dense, units: 3}", "t"),
                                 load_yaml_string("{type: Dense, units: 3}", "t")},
                                Shape{4}, 1, "t");
    CHECK_THROWS_WITH_AS(load_weights(deeper, dir / "small.h5"),
                         ((dir / "small.h5").string() +
                          ": the file has 1 layers with weights (dense), the model has 2 (dense, "
                          "dense_1)")
                             .c_str(),
                         CheckpointError);
  }

  TEST_CASE("Truncated or foreign or missing files fail cleanly") {
    TempDir dir;
    const Model m = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    save_checkpoint(dir / "m.h5", m, CheckpointInfo{}, nullptr, false);
    const auto size = std::filesystem::file_size(dir / "m.h5");
    std::filesystem::copy_file(dir / "m.h5", dir / "cut.h5");
    std::filesystem::resize_file(dir / "cut.h5", size / 2);
    Model target = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    CHECK_THROWS_AS(load_weights(target, dir / "cut.h5"), CheckpointError);
    std::ofstream(dir / "text.h5") << "not hdf5";
    CHECK_THROWS_WITH_AS(load_weights(target, dir / "text.h5"),
                         ((dir / "text.h5").string() + ": not an HDF5 file (or truncated)").c_str(),
                         CheckpointError);
    CHECK_THROWS_WITH_AS(load_weights(target, dir / "none.h5"),
                         ((dir / "none.h5").string() + ": file not found").c_str(),
                         CheckpointError);
  }

  TEST_CASE("Files of another Keras generation or backend are refused with the reason") {
    TempDir dir;
    const Model m = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    // A runner checkpoint whose root attribute says otherwise.
    const auto stamped = [&](const char* name, const char* attribute, const char* value) {
      const auto path = dir / name;
      save_checkpoint(path, m, CheckpointInfo{}, nullptr, false);
      const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
      REQUIRE(id >= 0);
      REQUIRE(H5Adelete(id, attribute) >= 0);
      const h5::Object file(id, path.string(), "/");
      file.write_string_attribute(attribute, value);
      return path;
    };
    Model target = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    const auto keras1 = stamped("keras1.h5", "keras_version", "1.2.2");
    CHECK_THROWS_WITH_AS(load_weights(target, keras1),
                         (keras1.string() + ": written by Keras 1.2.2; runner reads the HDF5 files "
                                            "of Keras 2 (it writes 2.11.0's)")
                             .c_str(),
                         CheckpointError);
    CHECK_THROWS_AS(load_model_checkpoint(stamped("keras3.h5", "keras_version", "3.0.1")),
                    CheckpointError);
    const auto theano = stamped("theano.h5", "backend", "theano");
    CHECK_THROWS_WITH_AS(load_model_checkpoint(theano),
                         (theano.string() + ": written with Keras' 'theano' backend; runner reads "
                                            "TensorFlow's weight layout only")
                             .c_str(),
                         CheckpointError);
    // Any Keras 2 release is read.
    load_weights(target, stamped("keras24.h5", "keras_version", "2.4.0"));
  }

  TEST_CASE("A checkpoint with NaN weights is refused and the model keeps its weights") {
    TempDir dir;
    Model bad = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    bad.parameters()[5] = std::nanf("");
    save_checkpoint(dir / "nan.h5", bad, CheckpointInfo{}, nullptr, false);
    Model target = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1, 9);
    const std::vector<float> before(target.parameters().begin(), target.parameters().end());
    CHECK_THROWS_WITH_AS(
        load_weights(target, dir / "nan.h5"),
        ((dir / "nan.h5").string() + ": the weights contain NaN or infinite values").c_str(),
        CheckpointError);
    CHECK(bitwise_equal(before, target.parameters()));
  }

  TEST_CASE("A failed save leaves no file behind") {
    const Model m = make_layer_model("{type: Dense, units: 3}", Shape{4}, 1);
    CHECK_THROWS_AS(save_checkpoint("/nonexistent-dir/m.h5", m, CheckpointInfo{}, nullptr, false),
                    CheckpointError);
    CHECK_FALSE(std::filesystem::exists("/nonexistent-dir"));
  }
}

}  // namespace runner::test
