#include "framework/app/report/sweep_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/search/importance.hpp"

namespace runner::report {

namespace fs = std::filesystem;

namespace {
double number_or_nan(const std::string& text) {
  return parse_number(text).value_or(std::nan(""));
}

bool completed(const SweepTrials::Trial& t) {
  return t.status == "completed" && std::isfinite(t.value);
}
}  // namespace

std::optional<SweepTrials> read_sweep_trials(const fs::path& dir) {
  if (!fs::exists(dir / "summary.csv")) {
    return std::nullopt;
  }
  const std::string text = read_text_file(dir / "summary.csv");
  std::vector<std::vector<std::string>> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    rows.push_back(split_csv_line(text.substr(start, end - start)));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  if (rows.empty()) {
    return std::nullopt;
  }
  const auto& header = rows.front();
  auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t number = column("number");
  const std::size_t status = column("status");
  std::size_t best = header.size();
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].starts_with("best_") && header[c] != "best_epoch") {
      best = c;
      break;
    }
  }
  if (number == header.size() || status == header.size() || best == header.size() ||
      best < status) {
    return std::nullopt;  // a summary of an older runner: no trial numbers
  }
  SweepTrials sweep;
  sweep.metric = header[best].substr(5);
  sweep.minimize = sweep.metric.find("acc") == std::string::npos;
  try {
    const h5::Object file = h5::open_file((dir / "summary.h5").string());
    sweep.minimize = file.read_string_attribute("goal") != "maximize";
    const h5::Object trials = file.group("trials");
    if (trials.has_attribute("log_scale")) {
      sweep.log_scale = trials.read_string_list_attribute("log_scale");
    }
  } catch (const std::exception&) {
    // no summary.h5: guessed from the metric's name, as compare does
  }
  sweep.parameters.assign(header.begin() + static_cast<long>(status) + 1,
                          header.begin() + static_cast<long>(best));
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != header.size()) {
      continue;
    }
    SweepTrials::Trial t;
    t.number = static_cast<std::int64_t>(number_or_nan(row[number]));
    t.status = row[status];
    t.values.assign(row.begin() + static_cast<long>(status) + 1,
                    row.begin() + static_cast<long>(best));
    t.value = number_or_nan(row[best]);
    sweep.trials.push_back(std::move(t));
  }
  std::sort(sweep.trials.begin(), sweep.trials.end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });
  return sweep;
}

plot::LineChart optimisation_history(const SweepTrials& sweep) {
  plot::LineChart chart;
  chart.title = fmt::format("Optimisation history: {} by trial", sweep.metric);
  chart.x_label = "trial";
  chart.y_label = sweep.metric;
  chart.width = 1100;
  chart.height = 440;
  plot::Series trials{"completed trial", {}, {}, false, true};
  plot::Series pruned{"pruned trial (best before it stopped)", {}, {}, false, true};
  plot::Series best{"best so far", {}, {}, false, false};
  double so_far = std::nan("");
  for (const auto& t : sweep.trials) {
    if (t.status == "pruned" && std::isfinite(t.value)) {
      pruned.x.push_back(static_cast<double>(t.number));
      pruned.y.push_back(t.value);
    }
    if (!completed(t)) {
      continue;
    }
    trials.x.push_back(static_cast<double>(t.number));
    trials.y.push_back(t.value);
    if (std::isnan(so_far) || (sweep.minimize ? t.value < so_far : t.value > so_far)) {
      so_far = t.value;
    }
    best.x.push_back(static_cast<double>(t.number));
    best.y.push_back(so_far);
  }
  chart.series = {trials, best};
  if (!pruned.x.empty()) {
    chart.series.push_back(pruned);
  }
  return chart;
}

plot::ParallelCoordinates parallel_coordinates(const SweepTrials& sweep) {
  plot::ParallelCoordinates chart;
  chart.title = fmt::format("Settings of the completed trials, coloured by {}", sweep.metric);
  chart.lower_is_better = sweep.minimize;
  std::vector<const SweepTrials::Trial*> done;
  for (const auto& t : sweep.trials) {
    if (completed(t)) {
      done.push_back(&t);
    }
  }
  for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
    plot::ParallelAxis axis;
    axis.name = sweep.parameters[p];
    const auto dot = axis.name.rfind('.');
    const auto before =
        dot == std::string::npos ? std::string::npos : axis.name.rfind('.', dot - 1);
    axis.name = before == std::string::npos ? axis.name : axis.name.substr(before + 1);
    bool numeric = true;
    double lo = std::numeric_limits<double>::infinity();
    double hi = 0;
    std::set<std::string> distinct;
    for (const auto* t : done) {
      if (t->values[p].empty()) {
        continue;
      }
      const double v = number_or_nan(t->values[p]);
      numeric = numeric && std::isfinite(v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      distinct.insert(t->values[p]);
    }
    if (!numeric) {
      axis.categories.assign(distinct.begin(), distinct.end());
    } else {
      axis.log = lo > 0 && std::find(sweep.log_scale.begin(), sweep.log_scale.end(),
                                     sweep.parameters[p]) != sweep.log_scale.end();
    }
    chart.axes.push_back(axis);
  }
  chart.axes.push_back({sweep.metric, {}, false});
  for (const auto* t : done) {
    std::vector<double> line;
    for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
      const auto& categories = chart.axes[p].categories;
      if (t->values[p].empty()) {
        line.push_back(std::nan(""));
      } else if (!categories.empty()) {
        line.push_back(static_cast<double>(
            std::find(categories.begin(), categories.end(), t->values[p]) - categories.begin()));
      } else {
        line.push_back(number_or_nan(t->values[p]));
      }
    }
    line.push_back(t->value);
    chart.lines.push_back(std::move(line));
  }
  return chart;
}

std::vector<std::pair<std::string, double>> importances(const SweepTrials& sweep) {
  std::vector<std::vector<std::string>> columns(sweep.parameters.size());
  std::vector<double> y;
  for (const auto& t : sweep.trials) {
    if (!completed(t)) {
      continue;
    }
    for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
      columns[p].push_back(t.values[p]);
    }
    y.push_back(t.value);
  }
  const auto values = parameter_importance(columns, y);
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
    out.emplace_back(sweep.parameters[p], values[p]);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

}  // namespace runner::report
