#pragma once
// Run folders: results/<experiment>/<YYYYmmdd-HHMMSS>-<id>/ holding
//   config.yaml     the resolved experiment (every default filled in)
//   history.csv     epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds
//   results.h5      the history as datasets, the split indices, the final metrics (with
//                   per-class results and the confusion matrix), the preprocessing
//   model-final.h5  the model as training left it (after any EarlyStopping restore)
//   summary.json    the outcome in a few machine-readable lines
// plus whatever callbacks write (the best checkpoint of ModelCheckpoint).
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "framework/io/preprocessing_store.hpp"
#include "framework/train/class_report.hpp"
#include "framework/train/history.hpp"

namespace runner {

// Creates a new, uniquely named run folder. Throws Error when the folder cannot be made.
std::filesystem::path create_run_dir(const std::filesystem::path& results_dir,
                                     const std::string& experiment_name);

// Rewritten (atomically) after every epoch, so an interrupted run keeps its finished epochs.
void write_history_csv(const std::filesystem::path& path, const History& history);
std::string history_csv(const History& history);
// Reads a history.csv back (epoch and seconds into their fields, every other column into the
// logs). Throws Error for an empty file; std::invalid_argument escapes for a non-number cell.
History read_history_csv(const std::filesystem::path& path);

struct RunResults {
  std::string experiment;
  std::string run_id;
  std::string config_yaml;
  History history;
  std::vector<std::int64_t> train_indices;
  std::vector<std::int64_t> validation_indices;
  std::map<std::string, Logs> evaluation;  // split -> loss and metrics
  StoredPreprocessing preprocessing;
  std::map<std::string, ClassReport> class_reports;  // split -> per-class results
};
void write_results_h5(const std::filesystem::path& path, const RunResults& results);

// Run folder given on the command line: its resolved config and final model.
struct RunFolder {
  std::filesystem::path dir;
  std::filesystem::path config;
  std::filesystem::path final_model;
};
// Throws Error when `dir` is not a finished run folder (says which file is missing).
RunFolder open_run_folder(const std::filesystem::path& dir);

}  // namespace runner
