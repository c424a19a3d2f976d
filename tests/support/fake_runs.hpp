#pragma once
// Run folders written by hand (config.yaml, history.csv, summary.json), for report and compare
// tests that need many runs but no training.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace runner::test {

struct FakeRun {
  std::string folder;  // under the sweep folder
  int filters = 16;
  double rate = 0.2;
  std::vector<double> val_loss;  // one per epoch
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline void write_fake_run(const std::filesystem::path& dir, const FakeRun& run) {
  write_file(dir / "config.yaml", fmt::format("name: grid\nseed: 42\nmodel:\n  layers:\n"
                                              "    - {{name: conv2d, type: Conv2D, filters: {}}}\n"
                                              "    - {{name: dropout, type: Dropout, rate: {}}}\n",
                                              run.filters, run.rate));
  std::string csv = "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds\n";
  for (std::size_t e = 0; e < run.val_loss.size(); ++e) {
    csv += fmt::format("{},{},{},{},{},0.001,1.5\n", e + 1, run.val_loss[e] + 0.05,
                       0.8 + 0.01 * static_cast<double>(e), run.val_loss[e],
                       0.79 + 0.01 * static_cast<double>(e));
  }
  write_file(dir / "history.csv", csv);
  write_file(dir / "summary.json",
             fmt::format(R"({{"experiment": "grid", "status": "completed", "epochs_run": {}, )"
                         R"("params": 1234, "evaluation": {{"test": {{"loss": 0.31, )"
                         R"("accuracy": 0.9}}}}}})",
                         run.val_loss.size()));
}

// A 2 x 2 grid (filters 16/32 x rate 0.2/0.4) whose best run is filters 32, rate 0.2.
inline std::vector<FakeRun> grid_runs() {
  return {{"trial-a", 16, 0.2, {0.60, 0.50, 0.52}},
          {"trial-b", 16, 0.4, {0.62, 0.55, 0.54}},
          {"trial-c", 32, 0.2, {0.55, 0.40, 0.45}},
          {"trial-d", 32, 0.4, {0.58, 0.47, 0.46}}};
}

inline void write_grid_sweep(const std::filesystem::path& sweep) {
  for (const auto& run : grid_runs()) {
    write_fake_run(sweep / run.folder, run);
  }
  write_file(sweep / "summary.csv", "rank,trial\n1,trial-c\n");
}

}  // namespace runner::test
