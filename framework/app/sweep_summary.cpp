#include "framework/app/sweep_summary.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/io/hdf5.hpp"

namespace runner {

namespace {
std::string number_text(double v) {
  return std::isnan(v) ? std::string() : fmt::format("{}", v);
}

}  // namespace

SummaryTable summary_table(const Sweep& sweep, const std::vector<TrialResult>& ranked) {
  SummaryTable t;
  t.columns = {"rank", "trial", "number", "status"};
  for (const auto& p : sweep.space.parameters) {
    t.columns.push_back(p.path);
  }
  for (const char* c : {"validation_loss", "validation_accuracy", "test_loss", "test_accuracy",
                        "epochs_run", "seconds_per_epoch", "params", "folder"}) {
    t.columns.emplace_back(c);
  }
  t.columns.insert(t.columns.begin() + 4 + static_cast<long>(sweep.space.parameters.size()),
                   {"best_" + sweep.metric, "best_epoch"});
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const auto& r = ranked[i];
    std::vector<std::string> row{std::to_string(i + 1), r.id, std::to_string(r.number), r.status()};
    for (const auto& p : sweep.space.parameters) {
      std::string value;  // empty: the parameter does not apply to this trial (a condition)
      for (const auto& [path, text] : r.trial.assignments) {
        if (path == p.path) {
          value = text;
        }
      }
      row.push_back(value);
    }
    auto eval = [&](const std::string& split, const char* metric) {
      const auto it = r.evaluation.find(split);
      const auto v = it == r.evaluation.end() ? std::nullopt : it->second.get(metric);
      return v ? number_text(*v) : std::string();
    };
    const bool ran = is_finished(r.state);
    row.push_back(number_text(r.best));
    row.push_back(ran || r.best_epoch > 0 ? std::to_string(r.best_epoch) : "");
    row.push_back(eval("validation", "loss"));
    row.push_back(eval("validation", "accuracy"));
    row.push_back(eval("test", "loss"));
    row.push_back(eval("test", "accuracy"));
    row.push_back(std::to_string(r.epochs_run));
    row.push_back(ran ? fmt::format("{:.3f}", r.seconds_per_epoch) : "");
    row.push_back(ran ? std::to_string(r.params) : "");
    row.push_back(r.dir.filename().string());
    t.rows.push_back(std::move(row));
  }
  return t;
}

bool numeric_column(const SummaryTable& table, std::size_t column) {
  for (const auto& row : table.rows) {
    if (!row[column].empty() && !parse_number(row[column])) {
      return false;
    }
  }
  return true;
}

void write_sweep_summaries(const Sweep& sweep, const std::filesystem::path& dir,
                           const std::vector<TrialResult>& ranked) {
  const SummaryTable table = summary_table(sweep, ranked);
  std::string csv;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (c > 0) {
      csv += ',';
    }
    csv += csv_field(table.columns[c]);
  }
  csv += "\n";
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) {
        csv += ',';
      }
      csv += csv_field(row[c]);
    }
    csv += "\n";
  }
  write_text_file(dir / "summary.csv", csv);

  write_atomically(dir / "summary.h5", [&](const std::filesystem::path& tmp) {
    h5::Object file = h5::create_file(tmp.string());
    file.write_string_attribute("sweep", sweep.name);
    file.write_string_attribute("metric", sweep.metric);
    file.write_string_attribute("goal", sweep.minimize ? "minimize" : "maximize");
    const h5::Object trials = file.create_group("trials");
    // The columns in summary.csv's order (HDF5 lists members by name), and the parameters
    // searched on a log scale (reports draw their axes so).
    trials.write_string_list_attribute("columns", table.columns);
    std::vector<std::string> log_scale;
    for (const auto& p : sweep.space.parameters) {
      if (p.distribution.log) {
        log_scale.push_back(p.path);
      }
    }
    if (log_scale.empty()) {
      trials.write_empty_list_attribute("log_scale");
    } else {
      trials.write_string_list_attribute("log_scale", log_scale);
    }
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      if (numeric_column(table, c)) {
        std::vector<double> values;
        for (const auto& row : table.rows) {
          values.push_back(row[c].empty() ? std::nan("") : std::strtod(row[c].c_str(), nullptr));
        }
        trials.write_doubles(table.columns[c], values);
      } else {
        std::vector<std::string> values;
        for (const auto& row : table.rows) {
          values.push_back(row[c]);
        }
        trials.write_strings(table.columns[c], values);
      }
    }
    const h5::Object histories = file.create_group("histories");
    for (const auto& r : ranked) {
      if (r.history.empty() || histories.has(r.id)) {
        continue;
      }
      const h5::Object g = histories.create_group(r.id);
      for (const auto& column : r.history.metric_names()) {
        std::vector<double> values;
        for (const auto& rec : r.history.epochs()) {
          values.push_back(rec.logs.get(column).value_or(std::nan("")));
        }
        g.write_doubles(column, values);
      }
    }
    file.close();
  });
}

}  // namespace runner
