#include <doctest/doctest.h>

#include "framework/core/yaml_reader.hpp"
#include "framework/io/json.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
YAML::Node summary_of(const std::filesystem::path& run) {
  return parse_json(slurp(run / "summary.json"), "summary.json");
}
}  // namespace

TEST_SUITE("data cli") {
  TEST_CASE("A CSV classification trains and evaluates per class and predicts new CSV rows") {
    TempDir dir;
    const CliResult r =
        run_cli("experiments/breast-cancer.yaml --set fit.epochs=3 --set results_dir=" +
                dir.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.find("data: 364 training, 91 validation, 114 test samples") != std::string::npos);
    CHECK(r.out.find("   malignant     ") != std::string::npos);  // the per-class table
    const auto run = only_run(dir.path(), "breast-cancer");
    const YAML::Node s = summary_of(run);
    CHECK(s["evaluation"]["test"]["auc"].as<double>() > 0.8);
    CHECK(s["evaluation"]["test"]["per_class"]["benign"]["support"].as<int>() == 72);
    CHECK(s["evaluation"]["test"]["confusion_matrix"].size() == 2);
    CHECK(std::filesystem::exists(run / "confusion-test.png"));
    CHECK(std::filesystem::exists(run / "auc.png"));
    // New rows by column name (the label column may be there; it is not read).
    {
      std::ifstream in("experiments/data/breast_cancer.csv");
      std::ofstream out(dir / "rows.csv");
      std::string line;
      for (int i = 0; i < 4 && std::getline(in, line); ++i) {
        out << line << "\n";
      }
    }
    const CliResult p =
        run_cli("predict " + run.string() + " --input " + (dir / "rows.csv").string() +
                " --output " + (dir / "out.csv").string());
    REQUIRE_MESSAGE(p.exit_code == 0, p.err);
    CHECK(count_of(p.out, "rows.csv[") == 3);
    const std::string csv = slurp(dir / "out.csv");
    CHECK(csv.starts_with("input,predicted,p_benign,p_malignant\n"));
    CHECK(count_of(csv, "\n") == 4);
    const CliResult ev = run_cli("evaluate " + run.string() + " --split test");
    REQUIRE_MESSAGE(ev.exit_code == 0, ev.err);
    CHECK(ev.out.find("test: loss ") != std::string::npos);
    CHECK(ev.out.find(" - auc ") != std::string::npos);
  }

  TEST_CASE("A CSV regression reports MAE and RMSE and predicts values") {
    TempDir dir;
    const CliResult r = run_cli("experiments/diabetes.yaml --set fit.epochs=5 --set results_dir=" +
                                dir.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto run = only_run(dir.path(), "diabetes");
    const YAML::Node s = summary_of(run);
    CHECK(s["evaluation"]["test"]["mae"].as<double>() > 0);
    CHECK(!s["evaluation"]["test"]["per_class"].IsDefined());
    CHECK(std::filesystem::exists(run / "root_mean_squared_error.png"));
    {
      std::ofstream out(dir / "rows.csv");
      out << "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n0.03,0.05,0.06,0.02,-0.04,-0.03,-0.04,0,0.02,-0."
             "01\n";
    }
    const CliResult p =
        run_cli("predict " + run.string() + " --input " + (dir / "rows.csv").string());
    REQUIRE_MESSAGE(p.exit_code == 0, p.err);
    CHECK(p.out.find("rows.csv: ") != std::string::npos);
  }

  TEST_CASE("An image-folder run predicts a PNG file resized as in training") {
    TempDir dir;
    const CliResult r =
        run_cli("tests/fixtures/image_folder.yaml --set results_dir=" + dir.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto run = only_run(dir.path(), "folder");
    CHECK(std::filesystem::exists(run / "best.h5"));
    CHECK(std::filesystem::exists(run / "prediction-validation-1.png"));
    CHECK(summary_of(run)["evaluation"]["train"]["top2"].IsDefined());
    const CliResult p =
        run_cli("predict " + run.string() + " --input tests/fixtures/data/rgb/owl/02.png");
    REQUIRE_MESSAGE(p.exit_code == 0, p.err);
    CHECK(p.out.find("02.png: ") != std::string::npos);
    CHECK(p.out.find("(p=") != std::string::npos);
  }

  TEST_CASE("IDX and HDF5 and npy sources of three classes train the same three-class model") {
    // The three files hold the same uint8 samples in the same order: the same run, bit for bit
    // (history.csv without its seconds column).
    const std::string d = "tests/fixtures/data/";
    std::vector<std::string> histories;
    for (const std::string& source :
         {"{type: idx, images: " + d + "images.idx, labels: " + d + "labels.idx}",
          "{type: hdf5, path: " + d + "data.h5}",
          "{type: npy, x: " + d + "images.npy, y: " + d + "labels.npy}"}) {
      CAPTURE(source);
      TempDir dir;
      const CliResult r = run_cli("tests/fixtures/image_folder.yaml --set 'data.train=" + source +
                                  "' --set results_dir=" + dir.path().string());
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      CHECK(r.out.find("data: 9 training, 3 validation, 0 test samples") != std::string::npos);
      std::istringstream csv(slurp(only_run(dir.path(), "folder") / "history.csv"));
      std::string kept;
      for (std::string line; std::getline(csv, line);) {
        kept += line.substr(0, line.rfind(',')) + "\n";
      }
      histories.push_back(kept);
    }
    CHECK(histories[0] == histories[1]);
    CHECK(histories[0] == histories[2]);
  }

  TEST_CASE("One-hot labels from preprocessing train categorical cross-entropy from an npz") {
    TempDir dir;
    const CliResult r =
        run_cli("tests/fixtures/npz_onehot.yaml --set results_dir=" + dir.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto run = only_run(dir.path(), "npz-onehot");
    CHECK(summary_of(run)["evaluation"]["validation"]["auc"].IsDefined());
    // The checkpoint keeps the preprocessing: predict a stack of inputs without the data files.
    const CliResult p =
        run_cli("predict " + run.string() + " --input tests/fixtures/data/images.npy");
    REQUIRE_MESSAGE(p.exit_code == 0, p.err);
    CHECK(count_of(p.out, "images.npy[") == 12);
  }

  TEST_CASE("Broken data files stop the run before training with the file and place") {
    TempDir dir;
    const std::string results = " --set results_dir=" + dir.path().string();
    const CliResult ragged = run_cli(
        "experiments/breast-cancer.yaml --set data.train.path=tests/fixtures/data/ragged.csv "
        "--set data.train.label=species --set model.input_shape=[30]" +
        results);
    CHECK(ragged.exit_code == 1);
    CHECK(ragged.err.find("tests/fixtures/data/ragged.csv: line 6: 30 fields, but the header has "
                          "31 columns") != std::string::npos);
    const CliResult label = run_cli(
        "tests/fixtures/npz_onehot.yaml --set 'data.train={type: npy, x: "
        "tests/fixtures/data/images.npy, y: tests/fixtures/data/labels_bad.npy}'" +
        results);
    CHECK(label.exit_code == 1);
    CHECK(label.err.find("tests/fixtures/data/labels_bad.npy: item 5: label 7 is outside the 3 "
                         "classes the model outputs (0..2 for categorical_crossentropy)") !=
          std::string::npos);
    const CliResult missing = run_cli(
        "tests/fixtures/image_folder.yaml --set data.train.path=tests/fixtures/data/bad_folder" +
        results);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("bad_folder/dog/notes.png: not a PNG or JPEG image") !=
          std::string::npos);
    CHECK(!std::filesystem::exists(dir / "folder"));  // nothing written
    CHECK(!std::filesystem::exists(dir / "npz-onehot"));
    CHECK(!std::filesystem::exists(dir / "breast-cancer"));
  }

  TEST_CASE("A task that does not fit the loss or the metrics is a config error") {
    const CliResult sparse_rows = run_cli(
        "tests/fixtures/npz_onehot.yaml --set compile.loss=sparse_categorical_crossentropy");
    CHECK(sparse_rows.exit_code == 2);
    CHECK(sparse_rows.err.find("data.preprocessing.one_hot makes label rows, but "
                               "sparse_categorical_crossentropy reads class indices") !=
          std::string::npos);
    const CliResult no_one_hot =
        run_cli("tests/fixtures/npz_onehot.yaml --set data.preprocessing.one_hot=false");
    CHECK(no_one_hot.exit_code == 2);
    CHECK(no_one_hot.err.find("categorical_crossentropy needs one-hot label rows: set "
                              "data.preprocessing.one_hot: true") != std::string::npos);
    const CliResult accuracy =
        run_cli("experiments/diabetes.yaml --set 'compile.metrics=[mae, accuracy]'");
    CHECK(accuracy.exit_code == 2);
    CHECK(accuracy.err.find("--set compile.metrics=[mae, accuracy]: compile.metrics[1]: accuracy "
                            "measures classes, but the loss (mean_squared_error) is a regression "
                            "loss") != std::string::npos);
    const CliResult monitor =
        run_cli("experiments/breast-cancer.yaml --set callbacks[0].monitor=val_aucc");
    CHECK(monitor.exit_code == 2);
    CHECK(monitor.err.find("callbacks[0].monitor: 'val_aucc' is not logged by this run") !=
          std::string::npos);
    CHECK(monitor.err.find("did you mean 'val_auc'?") != std::string::npos);
  }
}

}  // namespace runner::test
