#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/config/experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/nn/layer_registry.hpp"
#include "framework/nn/metrics/metric.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

namespace {
std::string fixture_path(const std::string& name) {
  return (std::filesystem::path("tests/fixtures") / name).string();
}

// The registered names as the "known: ..." list shows them (new components change it).
template <typename Registry>
std::string known(const Registry& registry) {
  return fmt::format("{}", fmt::join(registry.types(), ", "));
}
}  // namespace

TEST_SUITE("experiment") {
  TEST_CASE("The reference experiment reads with Keras' settings") {
    const Experiment e = load_experiment("experiments/cnn.yaml");
    CHECK(e.name == "fashion-cnn");
    CHECK(e.seed == 42U);
    CHECK(e.data.split.validation_split == 0.2);
    CHECK(e.data.path == "/usr/share/datasets/fashion-mnist");
    CHECK(e.layers.size() == 8);
    CHECK(e.epochs == 20);
    CHECK(e.batch_size == 32);
    REQUIRE(e.callbacks.size() ==
            3);  // EarlyStopping, ModelCheckpoint and the default TerminateOnNaN
    CHECK(e.callbacks[2].node.Scalar() == "TerminateOnNaN");
    CHECK(e.evaluate == std::vector<std::string>{"validation", "test"});
    REQUIRE(e.predict.size() == 1);
    CHECK(e.predict[0].split == "validation");
  }

  TEST_CASE("Every problem in a file is reported with file:line:column") {
    const std::string f = fixture_path("many_errors.yaml");
    CHECK_THROWS_WITH_AS(
        load_experiment(f),
        (f +
         ":1:7: name: expected a name of letters, digits, '.', '_' or '-' (it names the "
         "results folder), got 'bad name!'\n" +
         f + ":2:7: seed: expected an integer in [0, 4294967295], got -1\n" + f +
         ":4:21: data.validation_split: expected a number in [0, 1), got 1.5\n" + f +
         ":5:3: data.limt: unknown key 'limt'; did you mean 'limit'? (known keys: class_names, "
         "dataset, limit, path, preprocessing, stratify, test, test_limit, test_split, train, "
         "validation, validation_split)\n" +
         f + ":8:14: model.layers[0].type: unknown layer type 'Conv2d' (known: " +
         known(layer_registry()) + "); did you mean 'Conv2D'?\n" + f +
         ":9:28: model.layers[1].units: expected an integer, got 'abc'\n" + f +
         ":11:21: compile.optimizer.type: unknown optimizer 'adan' (known: " +
         known(optimizer_registry()) + "); did you mean 'adam'?\n" + f +
         ":12:23: compile.metrics[1]: unknown metric 'precison' (known: " +
         known(metric_registry()) + "); did you mean 'precision'?\n" + f +
         ":15:3: fit.epochs: duplicate key 'epochs' (first given on line 14)\n" + f +
         ":14:11: fit.epochs: expected a positive integer, got 0\n" + f +
         ":17:12: callbacks[0].type: unknown callback 'EarlyStoping' (known: " +
         known(callback_registry()) + "); did you mean 'EarlyStopping'?")
            .c_str(),
        ConfigError);
  }

  TEST_CASE("A YAML syntax error points at the place") {
    const std::string f = fixture_path("syntax_error.yaml");
    CHECK_THROWS_WITH_AS(load_experiment(f),
                         (f + ":4:1: invalid YAML: end of sequence flow not found").c_str(),
                         ConfigError);
  }

  TEST_CASE("A top level that is not a mapping and a missing file are reported") {
    const std::string f = fixture_path("not_a_mapping.yaml");
    CHECK_THROWS_WITH_AS(
        load_experiment(f),
        (f + ":1:1: expected a mapping of experiment settings, got a list").c_str(), ConfigError);
    CHECK_THROWS_WITH_AS(load_experiment("nope.yaml"),
                         "nope.yaml: cannot open the file: No such file or directory", ConfigError);
  }

  TEST_CASE("A shape error names the layer and its position") {
    const std::string f = fixture_path("shape_error.yaml");
    const Experiment e = load_experiment(f);
    CHECK_THROWS_WITH_AS(build_model(e, Shape{28, 28, 1}),
                         (f + ":6:7: model.layers[1]: layer 1 'dense' (Dense): expects rank-1 "
                              "input, got [26, 26, 8]; add Flatten")
                             .c_str(),
                         ConfigError);
  }

  TEST_CASE("--set overrides values by path or list index or layer name") {
    const Experiment e = load_experiment(
        "experiments/cnn.yaml",
        {"fit.epochs=3", "model.layers.dropout.rate=0.25", "model.layers[0].filters=8",
         "model.layers.conv2d_1.filters=16", "data.limit=100"});
    CHECK(e.epochs == 3);
    CHECK(e.data.limit == 100);
    const Model m = build_model(e, Shape{28, 28, 1});
    CHECK(m.entry(0).output_shape == Shape{28, 28, 8});
    CHECK(m.entry(2).output_shape == Shape{14, 14, 16});
    CHECK(e.overrides[1] == "model.layers[6].rate=0.25");
  }

  TEST_CASE("--set reaches inside a component written by its name alone") {
    // cnn.yaml says `optimizer: adam`; the most common thing to sweep is its learning rate.
    const Experiment e =
        load_experiment("experiments/cnn.yaml", {"compile.optimizer.learning_rate=0.003"});
    CHECK(make_optimizer(e)->config()["learning_rate"].as<double>() == doctest::Approx(0.003));
    CHECK(make_optimizer(e)->type() == "adam");
    // A word that is not a component still fails where it should, with the key.
    CHECK_THROWS_WITH_AS(
        load_experiment("experiments/cnn.yaml", {"compile.optimizer.learnin_rate=0.003"}),
        doctest::Contains("unknown key 'learnin_rate'; did you mean 'learning_rate'?"),
        ConfigError);
    CHECK_THROWS_WITH_AS(load_experiment("experiments/cnn.yaml", {"fit.epochs.x=1"}),
                         "--set fit.epochs.x=1: 'fit.epochs' is not a mapping, cannot set 'x' "
                         "inside it",
                         ConfigError);
  }

  TEST_CASE("A ModelCheckpoint filepath may only name values Keras fills in") {
    // cnn.yaml's callbacks[1] is its ModelCheckpoint.
    CHECK_NOTHROW(load_experiment("experiments/cnn.yaml",
                                  {"callbacks[1].filepath=m-{epoch:02d}-{val_accuracy:.2%}.h5"}));
    CHECK_THROWS_WITH_AS(
        load_experiment("experiments/cnn.yaml", {"callbacks[1].filepath=m-{val_acuracy}.h5"}),
        "--set callbacks[1].filepath=m-{val_acuracy}.h5: callbacks[1].filepath: '{val_acuracy}' is "
        "not a value Keras "
        "fills in (it knows: epoch, loss, val_loss, lr, accuracy, val_accuracy); did you mean "
        "'val_accuracy'?",
        ConfigError);
    // Saved every few batches, the logs are the batch's: no validation values, but a batch.
    CHECK_NOTHROW(load_experiment(
        "experiments/cnn.yaml", {"callbacks[1].save_freq=100", "callbacks[1].filepath=b{batch}.h5",
                                 "callbacks[1].save_best_only=false"}));
    CHECK_THROWS_AS(
        load_experiment("experiments/cnn.yaml",
                        {"callbacks[1].save_freq=100", "callbacks[1].save_best_only=false",
                         "callbacks[1].filepath=b{val_loss}.h5"}),
        ConfigError);
  }

  TEST_CASE("Bad --set assignments say what is wrong") {
    CHECK_THROWS_WITH_AS(load_experiment("experiments/cnn.yaml", {"fit.epochs"}),
                         "--set fit.epochs: expected KEY=VALUE, e.g. --set fit.epochs=3",
                         ConfigError);
    CHECK_THROWS_WITH_AS(load_experiment("experiments/cnn.yaml", {"model.layers.dense_9.units=3"}),
                         "--set model.layers.dense_9.units=3: 'model.layers' has no element named "
                         "'dense_9' (names: conv2d, max_pooling2d, conv2d_1, max_pooling2d_1, "
                         "flatten, dense, dropout, dense_1); did you mean 'dense_1'?",
                         ConfigError);
    CHECK_THROWS_WITH_AS(
        load_experiment("experiments/cnn.yaml", {"fit.epocs=3"}),
        "--set fit.epocs=3: fit.epocs: unknown key 'epocs'; did you mean 'epochs'? "
        "(known keys: batch_size, epochs, initial_epoch, shuffle)",
        ConfigError);
    CHECK_THROWS_WITH_AS(load_experiment("experiments/cnn.yaml", {"fit.epochs=many"}),
                         "--set fit.epochs=many: fit.epochs: expected an integer, got 'many'",
                         ConfigError);
    CHECK_THROWS_WITH_AS(load_experiment("experiments/cnn.yaml", {"model.layers[12].rate=1"}),
                         "--set model.layers[12].rate=1: index 12 is out of range: 'model.layers' "
                         "has 8 elements",
                         ConfigError);
  }

  TEST_CASE("The resolved config fills in every default and reads back the same") {
    const Experiment e = load_experiment(fixture_path("tiny.yaml"));
    const Model m = build_model(e, Shape{28, 28, 1});
    const YAML::Node resolved = resolved_config(e, m);
    CHECK(resolved["fit"]["shuffle"].as<bool>());
    CHECK(resolved["compile"]["optimizer"]["beta_2"].as<std::string>() == "0.999");
    CHECK(resolved["model"]["layers"][0]["strides"][0].as<int>() == 1);
    CHECK(resolved["callbacks"][0]["mode"].as<std::string>() == "min");
    YAML::Emitter out;
    out << resolved;
    const Experiment again =
        parse_experiment(load_yaml_string(out.c_str(), "resolved"), "resolved");
    const Model m2 = build_model(again, Shape{28, 28, 1});
    YAML::Emitter out2;
    out2 << resolved_config(again, m2);
    CHECK(std::string(out.c_str()) == std::string(out2.c_str()));
  }
}

}  // namespace runner::test
