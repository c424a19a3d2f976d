#include "framework/io/run_store.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <random>
#include <sstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/io/hdf5.hpp"

namespace runner {

namespace {
// History columns in the documented order; other logs follow.
const std::vector<std::string>& fixed_columns() {
  static const std::vector<std::string> columns{"loss", "accuracy", "val_loss", "val_accuracy",
                                                "learning_rate"};
  return columns;
}

std::vector<std::string> columns_of(const History& history) {
  std::vector<std::string> columns;
  const auto present = history.metric_names();
  for (const auto& c : fixed_columns()) {
    if (std::find(present.begin(), present.end(), c) != present.end()) {
      columns.push_back(c);
    }
  }
  for (const auto& c : present) {
    if (std::find(columns.begin(), columns.end(), c) == columns.end()) {
      columns.push_back(c);
    }
  }
  return columns;
}
}  // namespace

std::filesystem::path create_run_dir(const std::filesystem::path& results_dir,
                                     const std::string& experiment_name) {
  const std::filesystem::path parent = results_dir / experiment_name;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw Error(
        fmt::format("{}: cannot create the results folder: {}", parent.string(), ec.message()));
  }
  const auto now = std::chrono::system_clock::now();
  const std::string stamp =
      fmt::format("{:%Y%m%d-%H%M%S}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
  std::random_device entropy;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::filesystem::path dir =
        parent / fmt::format("{}-{:06x}", stamp, entropy() & 0xFFFFFFU);
    // create_directory is atomic: two runs never share a folder.
    if (std::filesystem::create_directory(dir, ec)) {
      return dir;
    }
    if (ec) {
      throw Error(fmt::format("{}: cannot create the run folder: {}", dir.string(), ec.message()));
    }
  }
  throw Error(fmt::format("{}: could not find a free run folder name", parent.string()));
}

std::string history_csv(const History& history) {
  const auto columns = columns_of(history);
  std::string out = "epoch";
  for (const auto& c : columns) {
    out += "," + c;
  }
  out += ",seconds\n";
  for (const auto& record : history.epochs()) {
    out += fmt::format("{}", record.epoch);
    for (const auto& c : columns) {
      const auto v = record.logs.get(c);
      out += v ? fmt::format(",{}", *v) : std::string(",");
    }
    out += fmt::format(",{:.3f}\n", record.seconds);
  }
  return out;
}

History read_history_csv(const std::filesystem::path& path) {
  std::istringstream csv(read_text_file(path));
  std::string line;
  if (!std::getline(csv, line)) {
    throw Error(fmt::format("{} is empty", path.filename().string()));
  }
  std::vector<std::string> columns;
  std::stringstream header(line);
  for (std::string c; std::getline(header, c, ',');) {
    columns.push_back(c);
  }
  History history;
  while (std::getline(csv, line)) {
    std::stringstream cells(line);
    EpochRecord record;
    std::size_t i = 0;
    for (std::string cell; std::getline(cells, cell, ','); ++i) {
      if (i >= columns.size() || cell.empty()) {
        continue;
      }
      if (columns[i] == "epoch") {
        record.epoch = std::stoll(cell);
      } else if (columns[i] == "seconds") {
        record.seconds = std::stod(cell);
      } else {
        record.logs.set(columns[i], std::stod(cell));
      }
    }
    history.add(record);
  }
  return history;
}

void write_history_csv(const std::filesystem::path& path, const History& history) {
  write_text_file(path, history_csv(history));
}

namespace {
// evaluation/<split>/per_class/{precision, recall, f1, support} (one per class, in class
// order, the names as an attribute) and evaluation/<split>/confusion_matrix [true][predicted].
void write_class_report(const h5::Object& split, const ClassReport& report) {
  const h5::Object per_class = split.create_group("per_class");
  per_class.write_string_list_attribute("class_names", report.class_names);
  std::vector<double> precision, recall, f1;
  std::vector<std::int64_t> support;
  for (const ClassScores& s : report.classes) {
    precision.push_back(s.precision);
    recall.push_back(s.recall);
    f1.push_back(s.f1);
    support.push_back(s.support);
  }
  per_class.write_doubles("precision", precision);
  per_class.write_doubles("recall", recall);
  per_class.write_doubles("f1", f1);
  per_class.write_int64s("support", support);
  const auto k = static_cast<std::int64_t>(report.class_names.size());
  split.write_int64s("confusion_matrix", Shape{k, k}, report.confusion);
}
}  // namespace

void write_results_h5(const std::filesystem::path& path, const RunResults& results) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    h5::Object file = h5::create_file(tmp.string());
    file.write_string_attribute("experiment", results.experiment);
    file.write_string_attribute("run_id", results.run_id);
    file.write_string_attribute("config", results.config_yaml);
    const h5::Object history = file.create_group("history");
    std::vector<std::int64_t> epochs;
    std::vector<double> seconds;
    for (const auto& r : results.history.epochs()) {
      epochs.push_back(r.epoch);
      seconds.push_back(r.seconds);
    }
    history.write_int64s("epoch", epochs);
    for (const auto& c : columns_of(results.history)) {
      std::vector<double> values;
      for (const auto& r : results.history.epochs()) {
        values.push_back(r.logs.get(c).value_or(std::nan("")));
      }
      history.write_doubles(c, values);
    }
    history.write_doubles("seconds", seconds);
    const h5::Object split = file.create_group("split");
    split.write_int64s("train_indices", results.train_indices);
    split.write_int64s("validation_indices", results.validation_indices);
    write_preprocessing(file, "preprocessing", results.preprocessing);
    const h5::Object evaluation = file.create_group("evaluation");
    for (const auto& [name, metrics] : results.evaluation) {
      const h5::Object group = evaluation.create_group(name);
      for (const auto& [metric, value] : metrics.items()) {
        group.write_doubles(metric, {value});
      }
      if (const auto it = results.class_reports.find(name); it != results.class_reports.end()) {
        write_class_report(group, it->second);
      }
    }
    file.close();
  });
}

RunFolder open_run_folder(const std::filesystem::path& dir) {
  RunFolder run{dir, dir / "config.yaml", dir / "model-final.h5"};
  for (const auto& p : {run.config, run.final_model}) {
    if (!std::filesystem::exists(p)) {
      throw Error(fmt::format("{}: not a finished run folder ({} is missing)", dir.string(),
                              p.filename().string()));
    }
  }
  return run;
}

}  // namespace runner
