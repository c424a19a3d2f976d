// Checkpoints runner writes pass tests/reference/keras_load_model.py, a step-by-step emulation
// of Keras 2.11's load_model() (no TensorFlow here): the model rebuilt from model_config, the
// weights loaded, the model compiled from training_config, and the optimizer's state restored
// in full. Every optimizer, every metric and every layer type runner can write.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "tests/support/run_cli.hpp"
#include "tests/support/skip.hpp"

namespace runner::test {

namespace {
constexpr const char* kEmulator = "/usr/bin/python3 tests/reference/keras_load_model.py ";

// Debian's python3-h5py (scripts/setup --tests): without it the tests report themselves
// skipped, except under CI, which installs it.
bool have_h5py() {
  if (run_shell("/usr/bin/python3 -c 'import h5py'").exit_code == 0) {
    return true;
  }
  REQUIRE_MESSAGE(std::getenv("CI") == nullptr, "CI without python3-h5py");
  report_skipped("python3-h5py is not installed (scripts/setup --tests installs it)");
  return false;
}

// The model-final.h5 of a short run of `experiment` (YAML text) with `extra` --set overrides.
std::filesystem::path trained(const TempDir& dir, const std::string& name,
                              const std::string& experiment, const std::string& extra = "") {
  const auto file = dir / (name + ".yaml");
  std::ofstream(file) << experiment;
  const CliResult r = run_cli(fmt::format("{} -q --set results_dir={} {}", file.string(),
                                          (dir / "results").string(), extra));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const auto& run : std::filesystem::directory_iterator(dir / "results" / name)) {
    return run.path() / "model-final.h5";
  }
  FAIL("no run folder");
  return {};
}

CliResult emulate(const std::filesystem::path& checkpoint) {
  return run_shell(kEmulator + checkpoint.string());
}

const char* kRegression = R"(name: {name}
seed: 1
data:
  train: {{type: csv, path: experiments/data/diabetes.csv, label: progression}}
  test_split: 0.2
  validation_split: 0.2
  preprocessing: {{standardize: true}}
model:
  input_shape: [10]
  layers:
    - {{type: Dense, units: 8, activation: relu, kernel_regularizer: l2}}
    - {{type: BatchNormalization}}
    - {{type: Dropout, rate: 0.1}}
    - {{type: Dense, units: 1}}
compile:
  optimizer: {optimizer}
  loss: mean_squared_error
  metrics: [mae, mse, rmse, root_mean_squared_error, mean_absolute_error]
fit: {{epochs: 2, batch_size: 64}}
)";

const char* kImages = R"(name: images
seed: 3
data: {limit: 128, test_limit: 32, validation_split: 0.25}
model:
  input_shape: [28, 28, 1]
  layers:
    - {type: RandomFlip, mode: horizontal}
    - {type: RandomRotation, factor: 0.05}
    - {type: RandomTranslation, height_factor: 0.1, width_factor: 0.1}
    - {type: RandomZoom, height_factor: 0.1}
    - {type: ZeroPadding2D, padding: 1}
    - {type: Conv2D, filters: 4, kernel_size: 3, strides: 2, activation: relu}
    - {type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2, padding: same}
    - {type: BatchNormalization, center: false}
    - {type: LeakyReLU}
    - {type: SeparableConv2D, filters: 6, kernel_size: 3, use_bias: false}
    - {type: AveragePooling2D, pool_size: 2}
    - {type: Activation, activation: tanh}
    - {type: MaxPooling2D, pool_size: 2, padding: same}
    - {type: GlobalAveragePooling2D}
    - {type: Reshape, target_shape: [2, 3]}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
compile:
  optimizer: {type: rmsprop, momentum: 0.5, centered: true}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy, sparse_categorical_accuracy, {type: sparse_top_k_categorical_accuracy, k: 3, name: top3},
            sparse_top_k_categorical_accuracy]
fit: {epochs: 1, batch_size: 32}
)";
}  // namespace

TEST_SUITE("slow/keras") {
  TEST_CASE("Keras 2.11's load_model would restore every optimizer's state from runner's files") {
    if (!have_h5py()) {
      return;
    }
    TempDir dir;
    for (const std::string optimizer :
         {"{type: adam, amsgrad: true}", "{type: sgd, learning_rate: 0.001}",
          "{type: sgd, learning_rate: 0.001, momentum: 0.9, nesterov: true}", "{type: rmsprop}",
          "{type: rmsprop, momentum: 0.9, centered: true}", "{type: adagrad}", "{type: nadam}",
          "{type: adamw, weight_decay: 0.01}",
          "{type: adam, learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.01, "
          "decay_steps: 10, decay_rate: 0.9}}"}) {
      CAPTURE(optimizer);
      const std::string name =
          fmt::format("regression-{}", std::hash<std::string>{}(optimizer) % 1000);
      const auto file = trained(dir, name,
                                fmt::format(fmt::runtime(kRegression), fmt::arg("name", name),
                                            fmt::arg("optimizer", optimizer)));
      const CliResult r = emulate(file);
      INFO(r.out, r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.out.starts_with("ok: "));
    }
  }

  TEST_CASE("Keras 2.11's load_model reads runner's classification metrics and every layer type") {
    if (!have_h5py()) {
      return;
    }
    TempDir dir;
    const auto binary = trained(dir, "breast-cancer", slurp("experiments/breast-cancer.yaml"),
                                "--set fit.epochs=2 --set callbacks=[]");
    const auto images = trained(dir, "images", kImages);
    const auto graph =
        trained(dir, "tiny-graph", slurp("tests/fixtures/tiny_graph.yaml"), "--set fit.epochs=1");
    for (const auto& file : {binary, images, graph}) {
      CAPTURE(file);
      const CliResult r = emulate(file);
      INFO(r.out, r.err);
      CHECK(r.exit_code == 0);
    }
    // Binary accuracy at another threshold is Keras' BinaryAccuracy class.
    const auto threshold =
        trained(dir, "threshold", slurp("experiments/breast-cancer.yaml"),
                "--set name=threshold --set fit.epochs=1 --set callbacks=[] --set "
                "'compile.metrics=[{type: binary_accuracy, "
                "threshold: 0.7}, {type: precision, class_id: 0}]'");
    CHECK(emulate(threshold).exit_code == 0);
  }

  TEST_CASE("The load_model emulation accepts Keras' own checkpoint") {
    if (!have_h5py()) {
      return;
    }
    const auto keras = keras_checkpoint();
    if (!keras) {
      return;
    }
    const CliResult r = emulate(*keras);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "ok: 8 layers, 8 trainable variables, optimizer Adam with 17 variables restored\n");
  }

  TEST_CASE("The load_model emulation notices what would make Keras drop the optimizer state") {
    if (!have_h5py()) {
      return;
    }
    TempDir dir;
    const auto file = trained(dir, "regression",
                              fmt::format(fmt::runtime(kRegression), fmt::arg("name", "regression"),
                                          fmt::arg("optimizer", "adam")));
    REQUIRE(emulate(file).exit_code == 0);
    struct Damage {
      const char* python;  // edits the copy opened as f
      const char* says;
    };
    for (const Damage d :
         {Damage{"w = f['optimizer_weights']; n = list(w.attrs['weight_names']); "
                 "n[1], n[2] = n[2], n[1]; w.attrs['weight_names'] = n",
                 "would be assigned to"},
          Damage{"import json; c = json.loads(f.attrs['training_config']); "
                 "del c['optimizer_config']['config']['is_legacy_optimizer']; "
                 "f.attrs['training_config'] = json.dumps(c)",
                 "legacy class"},
          Damage{"import json; c = json.loads(f.attrs['training_config']); "
                 "c['metrics'] = [[{'class_name': 'mae', 'config': {'name': 'mae'}}]]; "
                 "f.attrs['training_config'] = json.dumps(c)",
                 "is not a metric class"},
          Damage{"w = f['optimizer_weights']; n = list(w.attrs['weight_names'])[:-1]; "
                 "w.attrs['weight_names'] = n",
                 "optimizer weights saved"},
          Damage{"import json; c = json.loads(f.attrs['model_config']); "
                 "c['config']['layers'][1]['config']['units'] = 9; "
                 "f.attrs['model_config'] = json.dumps(c)",
                 "has shape"}}) {
      CAPTURE(d.says);
      const auto copy = dir / "damaged.h5";
      std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
      const CliResult edit = run_shell(fmt::format(
          "/usr/bin/python3 -c \"import h5py; f = h5py.File('{}', 'r+'); {}; f.close()\"",
          copy.string(), d.python));
      REQUIRE(edit.exit_code == 0);
      const CliResult r = emulate(copy);
      INFO(r.out);
      CHECK(r.exit_code == 1);
      CHECK(r.out.find(d.says) != std::string::npos);
    }
  }
}

}  // namespace runner::test
