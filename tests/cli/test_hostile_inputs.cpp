#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/run_cli.hpp"

namespace runner::test {

// The catalogue in tests/fixtures/hostile/: each file, the exit code and the whole message.
TEST_SUITE("slow/hostile inputs") {
  TEST_CASE("Hostile experiment files get one clear message and exit code 2") {
    struct Case {
      const char* file;
      std::string err;
    };
    const std::string d = "tests/fixtures/hostile/";
    const Case cases[] = {
        {"huge_filters.yaml",
         "error: " + d +
             "huge_filters.yaml:5:7: model.layers[0]: layer 0 'conv2d' (Conv2D): its "
             "output [26, 26, 100000000] holds 67,600,000,000 values per sample, more "
             "than the 268,435,456 runner allows\n"},
        {"huge_dense.yaml",
         "error: " + d +
             "huge_dense.yaml:6:7: model.layers[1]: layer 1 'dense' (Dense): the model "
             "reaches 785,000,000 parameters here, more than the 268,435,456 runner "
             "allows\n"},
        {"negative_sizes.yaml",
         "error: " + d +
             "negative_sizes.yaml:3:16: model.input_shape: expected 1 to 3 positive "
             "sizes up to 65536, e.g. [28, 28, 1]\n" +
             d +
             "negative_sizes.yaml:5:31: model.layers[0].filters: expected a positive integer, "
             "got -3\n" +
             d +
             "negative_sizes.yaml:5:48: model.layers[0].kernel_size: expected positive sizes "
             "up to 65536, got [0, 3]\n" +
             d +
             "negative_sizes.yaml:6:28: model.layers[1].units: expected an integer that fits "
             "in 64 bits, got '99999999999999999999'\n" +
             d +
             "negative_sizes.yaml:8:15: fit.batch_size: expected at most 1048576, got "
             "100000000\n"},
        {"wrong_types.yaml",
         "error: " + d + "wrong_types.yaml:1:7: name: expected a string, got a list\n" + d +
             "wrong_types.yaml:2:7: seed: expected an integer, got '4.5'\n" + d +
             "wrong_types.yaml:3:7: data: expected a mapping, got 'just-a-string'\n" + d +
             "wrong_types.yaml:5:11: model.layers: expected a non-empty list of layers, got a "
             "mapping\n" +
             d + "wrong_types.yaml:7:11: fit.epochs: expected an integer, got '.nan'\n" + d +
             "wrong_types.yaml:8:12: fit.shuffle: expected true or false, got 'maybe'\n"},
    };
    for (const auto& c : cases) {
      CAPTURE(std::string(c.file));
      const CliResult r = run_cli("summary " + d + c.file);
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());
      CHECK(r.err == c.err);
    }
  }

  TEST_CASE("Callback files outside the run folder or on runner's own files are refused at load") {
    struct Case {
      std::string callbacks;  // --set callbacks=...
      std::string says;
    };
    const Case cases[] = {
        {"[{type: ModelCheckpoint, filepath: ../../outside.h5}]",
         "callbacks[0].filepath: '../../outside.h5' leaves the run folder; name a file inside "
         "it, or write an absolute path to put it elsewhere"},
        {"[{type: ModelCheckpoint, filepath: config.yaml}]",
         "callbacks[0].filepath: 'config.yaml' is one of the files runner writes in the run "
         "folder"},
        {"[{type: ModelCheckpoint, filepath: state.bin}]", "'state.bin' is one of the files"},
        {"[{type: CSVLogger, filename: history.csv}]",
         "callbacks[0].filename: 'history.csv' is one of the files"},
        {"[{type: CSVLogger, filename: \"\"}]", "'' names no file (an empty name or a folder)"},
        {"[{type: ModelCheckpoint, filepath: sub/}]", "'sub/' names no file"},
        {"[{type: CSVLogger, filename: a.log}, {type: CSVLogger, filename: ./a.log}]",
         "callbacks[1].filename: './a.log' is written by another callback too"},
        {"[{type: ModelCheckpoint, filepath: \"m-{epoch:2000000000d}.h5\"}]",
         "a width or precision of 2000000000 is longer than a file name may be"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.callbacks);
      TempDir results;
      const CliResult r =
          run_cli("tests/fixtures/tiny.yaml --set results_dir=" + results.path().string() +
                  " --set 'callbacks=" + c.callbacks + "'");
      CHECK(r.exit_code == 2);
      CHECK(r.err.find(c.says) != std::string::npos);
      CHECK(r.err.starts_with("error: --set callbacks=" + c.callbacks + ": callbacks["));
      CHECK_FALSE(std::filesystem::exists(results / "tiny"));  // nothing written
    }
  }

  TEST_CASE("A callback file at an absolute path is written there and the run says so") {
    TempDir results;
    TempDir elsewhere;
    const auto target = elsewhere / "best.h5";
    const CliResult r = run_cli(
        "tests/fixtures/tiny.yaml --set fit.epochs=1 --set results_dir=" + results.path().string() +
        " --set 'callbacks=[{type: ModelCheckpoint, filepath: " + target.string() + "}]'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::filesystem::exists(target));
    CHECK(r.out.find("ModelCheckpoint writes outside the run folder: " + target.string()) !=
          std::string::npos);
  }

  TEST_CASE("A bad --threads is a usage error") {
    for (const char* value : {"-1", "two", "1e3", "99999999999999999999", "5000"}) {
      CAPTURE(value);
      const CliResult run = run_cli(std::string("tests/fixtures/tiny.yaml --threads ") + value);
      CHECK(run.exit_code == 2);
      CHECK(run.err == fmt::format("error: --threads {}: expected 0 (all cores) or a number of "
                                   "threads from 1 to 4096\n",
                                   value));
    }
    const CliResult resume = run_cli("resume /nonexistent --threads -1");
    CHECK(resume.exit_code == 2);
    CHECK(resume.err.starts_with("error: --threads -1: expected 0 (all cores)"));
  }

  TEST_CASE("Binary garbage and unterminated or deeply nested YAML fail cleanly") {
    for (const char* file : {"binary_garbage.yaml", "unterminated_string.yaml"}) {
      CAPTURE(std::string(file));
      const CliResult r = run_cli(std::string("summary tests/fixtures/hostile/") + file);
      CHECK(r.exit_code == 2);
      CHECK(r.err.starts_with(std::string("error: tests/fixtures/hostile/") + file + ":1:"));
    }
    TempDir dir;
    std::ofstream(dir / "deep.yaml")
        << "a: " << std::string(5000, '[') << std::string(5000, ']') << "\n";
    const CliResult deep = run_cli("summary " + (dir / "deep.yaml").string());
    CHECK(deep.exit_code == 2);
    CHECK(deep.err ==
          "error: " + (dir / "deep.yaml").string() +
              ":1:10004: invalid YAML: nested deeper than yaml-cpp's limit of 2000 levels\n");
  }

  TEST_CASE("A results folder that cannot be created fails before training with the path") {
    const CliResult r = run_cli("tests/fixtures/tiny.yaml --set results_dir=/etc/passwd/runs");
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("error: /etc/passwd/runs/tiny: cannot create the results folder: "));
  }
}

}  // namespace runner::test

namespace runner::test {

TEST_SUITE("slow/hostile inputs") {
  TEST_CASE("A full disk stops the run with a message and leaves no half-written file") {
    TempDir dir;
    const auto mount_point = dir / "small";
    std::filesystem::create_directories(mount_point);
    // A 192 KiB tmpfs: the config and history fit, the checkpoints do not.
    const std::string mount =
        "mount -t tmpfs -o size=192k tmpfs " + mount_point.string() + " 2>/dev/null";
    if (std::system(mount.c_str()) != 0) {
      MESSAGE("cannot mount a tmpfs here (needs root): full-disk test not run");
      return;
    }
    const CliResult r =
        run_cli("tests/fixtures/tiny.yaml --set results_dir=" + mount_point.string());
    std::vector<std::string> leftovers;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(mount_point)) {
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) {
        leftovers.push_back(entry.path().string());
      }
      if (entry.is_regular_file()) {
        files.push_back(entry.path());
      }
    }
    std::string config;
    for (const auto& f : files) {
      if (f.filename() == "config.yaml") {
        config = slurp(f);
      }
    }
    (void)std::system(("umount " + mount_point.string()).c_str());
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("error: "));
    INFO(r.err);
    CHECK(r.err.find(": No space left on device") != std::string::npos);  // what the OS said
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(leftovers.empty());
    CHECK(config.starts_with("name: tiny\n"));  // files written before stay whole
  }
}

}  // namespace runner::test
