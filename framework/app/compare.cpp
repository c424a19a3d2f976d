#include "framework/app/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <sstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/search/trial_state.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner {

namespace {
// Keras' "auto" rule, as the callbacks apply it.
bool higher_is_better(const std::string& metric) {
  return resolve_mode("auto", metric) == MonitorMode::kMax;
}

void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(),
              out);
    }
  } else if (node.IsSequence()) {
    const bool layers = prefix == "model.layers";
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node& item = node[i];
      const bool named =
          layers && item.IsMap() && item["name"].IsDefined() && item["name"].IsScalar();
      flatten(item, named ? prefix + "." + item["name"].Scalar() : fmt::format("{}[{}]", prefix, i),
              out);
    }
    if (!layers &&
        std::all_of(node.begin(), node.end(), [](const YAML::Node& n) { return n.IsScalar(); })) {
      YAML::Emitter e;
      e << YAML::Flow << node;
      out[prefix] = e.c_str();
    }
  } else if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  } else if (node.IsNull()) {
    out[prefix] = "null";
  }
}

void read_history(RunRow& row, const std::filesystem::path& csv_path, const std::string& metric) {
  const History history = read_history_csv(csv_path);
  const bool maximize = higher_is_better(metric);
  double seconds = 0;
  std::optional<double> best;
  for (const auto& record : history.epochs()) {
    ++row.epochs;
    seconds += record.seconds;
    const auto value = record.logs.get(metric);
    if (value && (!best || (maximize ? *value > *best : *value < *best))) {
      best = value;
      row.best_epoch = record.epoch;
      row.at_best.clear();
      for (const auto& [name, v] : record.logs.items()) {
        if (name != "learning_rate") {
          row.at_best[name] = v;
        }
      }
    }
  }
  if (row.epochs > 0) {
    row.seconds_per_epoch = seconds / static_cast<double>(row.epochs);
  }
}

void read_evaluation(RunRow& row, const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "results.h5")) {
    const h5::Object file = h5::open_file((dir / "results.h5").string());
    if (file.has("evaluation")) {
      const h5::Object evaluation = file.group("evaluation");
      for (const char* split : {"train", "validation", "test"}) {
        if (evaluation.has(split)) {
          const h5::Object g = evaluation.group(split);
          for (const auto& metric : g.children()) {
            if (metric == "per_class" || metric == "confusion_matrix") {
              continue;  // per-class results: in the run's report, not a column
            }
            row.evaluation[std::string(split) + "_" + metric] = g.read_doubles(metric).at(0);
          }
        }
      }
    }
  }
  if (std::filesystem::exists(dir / "summary.json")) {
    const YAML::Node summary =
        parse_json(read_text_file(dir / "summary.json"), (dir / "summary.json").string());
    if (summary["params"].IsDefined()) {
      row.params = summary["params"].as<std::int64_t>();
    }
  }
}

// A finished run's status from its summary.json: pruned by a sweep's pruner, or completed.
std::string finished_status(const std::filesystem::path& dir) {
  const YAML::Node summary =
      parse_json(read_text_file(dir / "summary.json"), (dir / "summary.json").string());
  return summary.IsMap() && summary["status"].IsDefined() && summary["status"].IsScalar() &&
                 summary["status"].Scalar() == "pruned"
             ? "pruned"
             : "completed";
}

RunRow read_run(const std::filesystem::path& dir, const std::filesystem::path& root,
                const std::string& metric) {
  RunRow row;
  row.run = dir.lexically_relative(root.parent_path()).string();
  row.dir = dir;
  try {
    if (!std::filesystem::exists(dir / "config.yaml")) {
      throw Error("config.yaml is missing");
    }
    flatten(load_yaml_file((dir / "config.yaml").string()), "", row.config);
    // A saved state without a summary: stopped before the end, and `runner resume` continues
    // it (in its first epoch it has no history yet).
    const bool finished = std::filesystem::exists(dir / "summary.json");
    const bool resumable = !finished && std::filesystem::exists(dir / "state.bin");
    if (!std::filesystem::exists(dir / "history.csv")) {
      if (resumable) {
        row.status = "interrupted";
        return row;
      }
      throw Error("history.csv is missing");
    }
    read_history(row, dir / "history.csv", metric);
    read_evaluation(row, dir);
    row.status = finished ? finished_status(dir) : resumable ? "interrupted" : "failed";
  } catch (const std::exception& e) {
    row.status = "failed";
    row.problem = e.what();
  }
  return row;
}

void find_runs(const std::filesystem::path& dir, const std::filesystem::path& root, int depth,
               const std::string& metric, std::vector<RunRow>& out) {
  if (std::filesystem::exists(dir / "config.yaml") ||
      std::filesystem::exists(dir / "history.csv")) {
    out.push_back(read_run(dir, root, metric));
    return;
  }
  if (depth == 0) {
    return;
  }
  std::vector<std::filesystem::path> children;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) {
      children.push_back(entry.path());
    }
  }
  std::sort(children.begin(), children.end());
  for (const auto& child : children) {
    find_runs(child, root, depth - 1, metric, out);
  }
}

// Full precision (the shortest text that reads back as the same double); "-" when missing.
std::string cell(const std::optional<double>& v) {
  return v ? fmt::format("{}", *v) : "-";
}
}  // namespace

std::vector<RunRow> collect_runs(const std::vector<std::filesystem::path>& paths,
                                 const std::string& metric) {
  std::vector<RunRow> rows;
  for (const auto& p : paths) {
    if (!std::filesystem::is_directory(p)) {
      throw ConfigError(fmt::format("{}: no such folder", p.string()));
    }
    find_runs(p, p, 3, metric, rows);
  }
  return rows;
}

namespace {
// Who wins when a terminal is too narrow: the run, its status and result first, the settings that
// differ, then validation and test metrics, then the rest.
int importance(const std::string& column, const std::vector<std::string>& varied,
               const std::string& metric) {
  if (column == "run") {
    return 100;
  }
  if (column == "status" || column == "best_" + metric) {
    return 90;
  }
  if (std::find(varied.begin(), varied.end(), column) != varied.end()) {
    return 80;
  }
  if (column.starts_with("val_")) {
    return 60;
  }
  if (column.starts_with("test_")) {
    return 55;
  }
  if (column == "best_epoch") {
    return 50;
  }
  if (column == "epochs") {
    return 40;
  }
  if (column == "params") {
    return 25;
  }
  if (column == "s/epoch") {
    return 20;
  }
  return 30;  // training metrics
}
}  // namespace

std::vector<RunRow> filter_runs(std::vector<RunRow> rows, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    const auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(fmt::format("--filter {}: expected KEY=VALUE", f));
    }
    const std::string key = f.substr(0, eq);
    const std::string value = f.substr(eq + 1);
    if (key == "status") {
      const auto names = state_names();
      if (std::find(names.begin(), names.end(), value) == names.end()) {
        throw ConfigError(fmt::format("--filter {}: '{}' is not a status (statuses: {}){}", f,
                                      value, fmt::join(names, ", "), did_you_mean(value, names)));
      }
      std::erase_if(rows, [&](const RunRow& r) { return r.status != value; });
      continue;
    }
    // The key and the value must be ones the runs have: a typo is an error, not an empty table.
    std::set<std::string> keys{"status"};
    std::set<std::string> values;
    for (const auto& r : rows) {
      for (const auto& [k, v] : r.config) {
        keys.insert(k);
        if (k == key) {
          values.insert(v);
        }
      }
    }
    if (keys.count(key) == 0) {
      const std::vector<std::string> known(keys.begin(), keys.end());
      throw ConfigError(
          fmt::format("--filter {}: no run has the key '{}'{}", f, key, did_you_mean(key, known)));
    }
    if (values.count(value) == 0) {
      const std::vector<std::string> known(values.begin(), values.end());
      throw ConfigError(fmt::format("--filter {}: no run has {} = {} (values: {}){}", f, key, value,
                                    fmt::join(known, ", "), did_you_mean(value, known)));
    }
    std::erase_if(rows, [&](const RunRow& r) {
      const auto it = r.config.find(key);
      return it == r.config.end() || it->second != value;
    });
  }
  return rows;
}

ComparisonTable comparison_table(std::vector<RunRow> rows, const CompareOptions& options) {
  rows = filter_runs(std::move(rows), options.filters);
  // Config values that differ between the readable runs (the "varied parameters").
  std::set<std::string> keys;
  for (const auto& r : rows) {
    if (r.broken()) {
      continue;
    }
    for (const auto& kv : r.config) {
      keys.insert(kv.first);
    }
  }
  std::vector<std::string> varied;
  for (const auto& k : keys) {
    // Run-specific or derived settings are not "parameters".
    if (k == "results_dir" || k.starts_with("overrides") ||
        (k.starts_with("model.layers") && k.ends_with(".seed"))) {
      continue;
    }
    std::set<std::string> values;
    for (const auto& r : rows) {
      if (r.broken()) {
        continue;
      }
      const auto it = r.config.find(k);
      values.insert(it == r.config.end() ? "" : it->second);
    }
    if (values.size() > 1) {
      varied.push_back(k);
    }
  }
  // Result columns: the sort metric, then loss and every metric the runs log (training, then
  // validation), then the test split's.
  std::vector<std::string> logged{"loss"};
  for (const auto& r : rows) {
    for (const auto& [name, value] : r.at_best) {
      if (!name.starts_with("val_") && name != "learning_rate" && name != "lr" &&
          std::find(logged.begin(), logged.end(), name) == logged.end()) {
        logged.push_back(name);
      }
    }
  }
  if (logged.size() == 1) {
    logged.emplace_back("accuracy");  // runs without history: the reference's columns
  }
  std::vector<std::string> metric_columns{options.metric};
  for (const char* prefix : {"", "val_"}) {
    for (const auto& name : logged) {
      if (prefix + name != options.metric) {
        metric_columns.push_back(prefix + name);
      }
    }
  }
  std::vector<std::string> header{"run", "status"};
  header.insert(header.end(), varied.begin(), varied.end());
  header.emplace_back("best_epoch");
  for (const auto& c : metric_columns) {
    header.push_back(c == options.metric ? "best_" + c : c);
  }
  for (const auto& name : logged) {
    header.push_back("test_" + name);
  }
  for (const char* c : {"epochs", "s/epoch", "params"}) {
    header.emplace_back(c);
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::optional<double>> sort_keys;
  const std::string sort_column = options.sort.empty() ? "best_" + options.metric : options.sort;
  const auto sort_index = std::find(header.begin(), header.end(), sort_column) - header.begin();
  if (static_cast<std::size_t>(sort_index) == header.size()) {
    throw ConfigError(fmt::format("--sort {}: no such column (columns: {})", sort_column,
                                  fmt::join(header, ", ")));
  }
  for (const auto& r : rows) {
    std::vector<std::string> line{r.run, r.status};
    for (const auto& k : varied) {
      const auto it = r.config.find(k);
      line.push_back(it == r.config.end() ? "-" : it->second);
    }
    line.push_back(r.best_epoch ? std::to_string(*r.best_epoch) : "-");
    for (const auto& c : metric_columns) {
      const auto it = r.at_best.find(c);
      line.push_back(it == r.at_best.end() ? "-" : cell(it->second));
    }
    auto eval = [&](const std::string& k) -> std::optional<double> {
      const auto it = r.evaluation.find(k);
      return it == r.evaluation.end() ? std::nullopt : std::optional<double>(it->second);
    };
    for (const auto& name : logged) {
      line.push_back(cell(eval("test_" + name)));
    }
    line.push_back(std::to_string(r.epochs));
    line.push_back(cell(r.seconds_per_epoch));
    line.push_back(r.params ? std::to_string(*r.params) : "-");
    table.push_back(line);
  }
  // Sort: numbers by value (descending for accuracies), missing values last, ties by run.
  const bool descending = higher_is_better(sort_column);
  std::vector<std::size_t> order(table.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = table[a][static_cast<std::size_t>(sort_index)];
    const auto& y = table[b][static_cast<std::size_t>(sort_index)];
    const auto nx = parse_number(x);
    const auto ny = parse_number(y);
    if (nx && ny) {
      return descending ? *nx > *ny : *nx < *ny;
    }
    if (nx || ny) {
      return nx.has_value();
    }
    return x < y;
  });
  ComparisonTable result;
  // Tables show metrics with 4 decimals and seconds with 2; config values and counts as they are.
  for (const auto& h : header) {
    const bool metric =
        std::find(metric_columns.begin(), metric_columns.end(), h) != metric_columns.end() ||
        h == "best_" + options.metric || h.starts_with("test_");
    result.decimals.push_back(metric ? 4 : h == "s/epoch" ? 2 : -1);
    result.importance.push_back(importance(h, varied, options.metric));
  }
  result.header = std::move(header);
  result.varied = std::move(varied);
  for (auto i : order) {
    result.cells.push_back(std::move(table[i]));
    result.runs.push_back(std::move(rows[i]));
  }
  return result;
}

std::string ComparisonTable::shown(std::size_t row, std::size_t column) const {
  const std::string& text = cells[row][column];
  const auto number = decimals[column] >= 0 ? parse_number(text) : std::nullopt;
  return number ? fixed(*number, decimals[column]) : text;
}

namespace {
// The folder ("results/sweep/") every run's name starts with, when there are several runs.
std::string common_folder(const ComparisonTable& t) {
  if (t.cells.size() < 2) {
    return "";
  }
  std::string prefix = t.cells[0][0];
  for (const auto& line : t.cells) {
    const std::string& run = line[0];
    std::size_t n = 0;
    while (n < prefix.size() && n < run.size() && prefix[n] == run[n]) {
      ++n;
    }
    prefix.resize(n);
  }
  const auto slash = prefix.rfind('/');
  return slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
}
}  // namespace

std::string format_comparison(std::vector<RunRow> rows, const CompareOptions& options) {
  const ComparisonTable t = comparison_table(std::move(rows), options);
  const auto& header = t.header;
  std::string out;
  // Why a failed run's files could not be read: a column of csv and json, lines under a table.
  const bool problems =
      std::any_of(t.runs.begin(), t.runs.end(), [](const RunRow& r) { return r.broken(); });
  std::string footer;
  for (const auto& r : t.runs) {
    footer +=
        r.broken() ? wrap_words(fmt::format("{} failed: {}", r.run, r.problem), options.width) : "";
  }
  if (options.format == "csv") {
    out = fmt::format("{}{}\n", fmt::join(header, ","), problems ? ",problem" : "");
    for (std::size_t r = 0; r < t.cells.size(); ++r) {
      out += fmt::format("{}{}\n", fmt::join(t.cells[r], ","),
                         problems ? "," + csv_field(t.runs[r].problem) : "");
    }
  } else if (options.format == "json") {
    YAML::Node list(YAML::NodeType::Sequence);
    for (std::size_t r = 0; r < t.cells.size(); ++r) {
      const auto& line = t.cells[r];
      YAML::Node item;
      for (std::size_t c = 0; c < header.size(); ++c) {
        item[header[c]] = line[c] == "-" ? YAML::Node(YAML::NodeType::Null) : YAML::Node(line[c]);
      }
      if (t.runs[r].broken()) {
        item["problem"] = t.runs[r].problem;
      }
      list.push_back(item);
    }
    out = to_json(list) + "\n";
  } else if (options.format == "markdown") {
    out = fmt::format("| {} |\n|{}\n", fmt::join(header, " | "), [&] {
      std::string s;
      for (std::size_t c = 0; c < header.size(); ++c) {
        s += c < 2 ? "---|" : "---:|";
      }
      return s;
    }());
    for (std::size_t r = 0; r < t.cells.size(); ++r) {
      std::vector<std::string> line;
      for (std::size_t c = 0; c < header.size(); ++c) {
        line.push_back(t.shown(r, c));
      }
      out += fmt::format("| {} |\n", fmt::join(line, " | "));
    }
    out += footer.empty() ? "" : "\n" + footer;
  } else {
    // Settings by their last distinct parts (the csv and json keep the full paths).
    const std::vector<std::string> short_names = short_key_names(t.varied);
    TextTable table;
    for (std::size_t c = 0; c < header.size(); ++c) {
      const auto varied = std::find(t.varied.begin(), t.varied.end(), header[c]);
      table.columns.push_back(
          {varied == t.varied.end() ? header[c] : short_names[varied - t.varied.begin()], c < 2,
           t.importance[c]});
    }
    // Runs in one folder are named within it, under a line that names the folder.
    const std::string folder = common_folder(t);
    for (std::size_t r = 0; r < t.cells.size(); ++r) {
      auto& line = table.rows.emplace_back();
      for (std::size_t c = 0; c < header.size(); ++c) {
        line.push_back(c == 0 ? t.cells[r][c].substr(folder.size()) : t.shown(r, c));
      }
    }
    out = folder.empty() ? "" : fmt::format("runs in {}\n", folder);
    out += render_text_table(table, options.width,
                             "--format csv or json shows every column and full key names");
    out += footer;
  }
  return out;
}

}  // namespace runner
