#include "framework/app/report/views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"
#include "framework/io/run_store.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner::report {

namespace {

std::string value_of(const RunRow& run, const std::string& key) {
  const auto it = run.config.find(key);
  return it == run.config.end() ? "-" : it->second;
}

// Numbers in numeric order, anything else after them in text order.
void sort_values(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end(), [&](const std::string& a, const std::string& b) {
    const auto x = parse_number(a), y = parse_number(b);
    if (x && y) {
      return *x < *y;
    }
    if (x || y) {
      return x.has_value();
    }
    return a < b;
  });
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

std::optional<double> best_of(const RunRow& run, const std::string& metric) {
  const auto it = run.at_best.find(metric);
  return it == run.at_best.end() ? std::nullopt : std::optional(it->second);
}
}  // namespace

std::string run_label(const RunRow& run, const std::vector<std::string>& varied) {
  if (varied.empty()) {
    return run.run;
  }
  const std::vector<std::string> names = short_key_names(varied);
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < varied.size(); ++k) {
    parts.push_back(fmt::format("{}={}", names[k], value_of(run, varied[k])));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

plot::LineChart overlay_chart(const std::vector<RunRow>& runs,
                              const std::vector<std::string>& varied, const std::string& metric) {
  plot::LineChart chart;
  chart.title = fmt::format("{} of every run", metric);
  chart.x_label = "epoch";
  chart.y_label = metric;
  chart.width = 1100;
  chart.height = 520;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRow& run = runs[i];
    if (run.broken()) {
      continue;
    }
    plot::Series s;
    s.name = run_label(run, varied);
    s.dashed = chart.series.size() >= 10;  // the palette has ten colours
    try {
      const History history = read_history_csv(run.dir / "history.csv");
      for (const auto& r : history.epochs()) {
        s.x.push_back(static_cast<double>(r.epoch));
        s.y.push_back(r.logs.get(metric).value_or(std::numeric_limits<double>::quiet_NaN()));
      }
    } catch (const std::exception&) {
      continue;  // compare already marked it; a partial file draws nothing
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

plot::HeatMap heat_map(const std::vector<RunRow>& runs, const std::vector<std::string>& varied,
                       const std::string& metric) {
  plot::HeatMap map;
  map.lower_is_better = resolve_mode("auto", metric) == MonitorMode::kMin;
  if (varied.empty()) {
    return map;
  }
  const std::string column_key = varied.back();
  const std::vector<std::string> row_keys(varied.begin(), varied.end() - 1);
  map.title = fmt::format("best {} per setting", metric);
  // Named as the leaderboard names them.
  std::vector<std::string> row_names = short_key_names(varied);
  map.column_label = row_names.back();
  row_names.pop_back();
  map.row_label = row_keys.empty() ? "" : fmt::format("{}", fmt::join(row_names, " / "));

  auto row_of = [&](const RunRow& run) {
    std::vector<std::string> values;
    for (const auto& k : row_keys) {
      values.push_back(value_of(run, k));
    }
    return fmt::format("{}", fmt::join(values, " / "));
  };
  // Rows sorted by their values key by key (numbers numerically).
  std::vector<std::vector<std::string>> row_values;
  std::map<std::string, std::vector<std::string>> seen;
  for (const auto& run : runs) {
    if (!run.broken()) {
      map.columns.push_back(value_of(run, column_key));
      std::vector<std::string> values;
      for (const auto& k : row_keys) {
        values.push_back(value_of(run, k));
      }
      seen[row_of(run)] = values;
    }
  }
  sort_values(map.columns);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, values] : seen) {
    rows.push_back(values);
  }
  for (std::size_t k = row_keys.size(); k-- > 0;) {  // stable sorts, last key first
    std::vector<std::string> order;
    for (const auto& r : rows) {
      order.push_back(r[k]);
    }
    sort_values(order);
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return std::find(order.begin(), order.end(), a[k]) <
             std::find(order.begin(), order.end(), b[k]);
    });
  }
  for (const auto& r : rows) {
    map.rows.push_back(r.empty() ? metric : fmt::format("{}", fmt::join(r, " / ")));
  }
  if (map.rows.empty()) {
    return map;
  }
  const double none = std::numeric_limits<double>::quiet_NaN();
  map.values.assign(map.rows.size(), std::vector<double>(map.columns.size(), none));
  for (const auto& run : runs) {
    const auto value = best_of(run, metric);
    if (run.broken() || !value) {
      continue;
    }
    const std::string row_name = row_keys.empty() ? metric : row_of(run);
    const auto r = static_cast<std::size_t>(std::find(map.rows.begin(), map.rows.end(), row_name) -
                                            map.rows.begin());
    const auto c = static_cast<std::size_t>(
        std::find(map.columns.begin(), map.columns.end(), value_of(run, column_key)) -
        map.columns.begin());
    double& cell = map.values[r][c];
    // Repeated settings (several runs of one grid point) show their best.
    if (std::isnan(cell) || (map.lower_is_better ? *value < cell : *value > cell)) {
      cell = *value;
    }
  }
  return map;
}

}  // namespace runner::report
