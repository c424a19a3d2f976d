#include "framework/config/typed_specs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "framework/core/file_util.hpp"

namespace runner {

namespace {
template <typename Product>
std::unique_ptr<Product> make(const Registry<Product>& registry, const TypedSpec& entry,
                              const Experiment& e, std::size_t index) {
  Diagnostics diag(e.file);
  Spec spec(entry.node, entry.key_path, diag, index, e.seed);
  auto product = registry.create(spec);
  diag.throw_if_any();
  return product;
}
}  // namespace

namespace {
bool has_schedule(const Experiment& e) {
  const YAML::Node& optimizer = e.optimizer.node;
  return optimizer.IsMap() && optimizer["learning_rate"].IsDefined() &&
         optimizer["learning_rate"].IsMap();
}
}  // namespace

namespace {
// The list's entries (names or {type: ...} mappings), each checked by its registry.
void read_metrics(MapReader& c, Experiment& e, const Loss* loss) {
  Diagnostics& diag = c.diagnostics();
  const YAML::Node list = c.child("metrics");
  const bool regression = loss != nullptr && loss->targets() == LossTargets::kValue;
  if (!list.IsDefined() || list.IsNull()) {
    if (!regression) {  // runner's default since the reference experiment (Keras: none)
      e.metrics.push_back(TypedSpec{"", YAML::Node("accuracy"), "compile.metrics (default)"});
    }
    return;
  }
  if (!list.IsSequence()) {
    diag.error(list, "compile.metrics", "expected a list of metrics, got " + describe(list));
    return;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    TypedSpec entry{"", list[i], fmt::format("compile.metrics[{}]", i)};
    const auto metric = check_entry(metric_registry(), entry, diag, e.seed);
    e.metrics.push_back(entry);
    if (!metric || loss == nullptr) {
      continue;
    }
    if (metric->for_classification() && regression) {
      diag.error(list[i], entry.key_path,
                 fmt::format("{} measures classes, but the loss ({}) is a regression loss; use "
                             "mae, mse or root_mean_squared_error",
                             metric->type(), loss->type()));
    } else if (!metric->for_classification() && loss->targets() == LossTargets::kClassIndex) {
      diag.error(list[i], entry.key_path,
                 fmt::format("{} compares real values, but the loss ({}) reads class indices",
                             metric->type(), loss->type()));
    }
    if (std::find(names.begin(), names.end(), metric->name()) != names.end()) {
      diag.error(list[i], entry.key_path,
                 fmt::format("a second metric named '{}'; give one a `name:`", metric->name()));
    }
    names.push_back(metric->name());
  }
}
}  // namespace

void read_compile(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  MapReader c(top.child("compile"), "compile", diag);
  const YAML::Node optimizer = c.child("optimizer");
  e.optimizer.key_path = "compile.optimizer";
  e.optimizer.node = optimizer.IsDefined() && !optimizer.IsNull() ? optimizer : YAML::Node("adam");
  (void)check_entry(optimizer_registry(), e.optimizer, diag, e.seed);
  const YAML::Node loss = c.child("loss");
  e.loss.key_path = "compile.loss";
  e.loss.node =
      loss.IsDefined() && !loss.IsNull() ? loss : YAML::Node("sparse_categorical_crossentropy");
  const auto made_loss = check_entry(loss_registry(), e.loss, diag, e.seed);
  read_metrics(c, e, made_loss.get());
  c.reject_unknown();
}

namespace {
// What the run's epoch logs hold (loss, each metric, their val_ forms, the learning rate when a
// callback changes it), and for each metric whether higher is better; empty when a metric is
// invalid (reported where it is).
struct LoggedNames {
  std::vector<std::string> names{"loss", "val_loss", "lr"};
  std::map<std::string, bool> higher_is_better{{"loss", false}};
};

std::optional<LoggedNames> logged_names(const Experiment& e) {
  LoggedNames logged;
  Diagnostics quiet(e.file);
  for (const auto& spec : e.metrics) {
    const auto metric = check_entry(metric_registry(), spec, quiet, e.seed);
    if (!metric) {
      return std::nullopt;
    }
    logged.names.push_back(metric->name());
    logged.names.push_back("val_" + metric->name());
    logged.higher_is_better[metric->name()] = metric->for_classification();
  }
  return logged;
}

// A callback's `monitor` must name something the run logs, and Keras' `mode: auto` for it must
// agree with the metric's direction (Keras 2.11's ModelCheckpoint would minimise val_auc): the
// fix is an explicit mode.
void check_monitor(const LoggedNames& logged, const Callback& callback, const YAML::Node& node,
                   const std::string& key_path, Diagnostics& diag) {
  const YAML::Node config = callback.config();
  if (!config["monitor"].IsDefined() || !config["monitor"].IsScalar()) {
    return;
  }
  const std::string monitor = config["monitor"].Scalar();
  const std::string base = monitor.starts_with("val_") ? monitor.substr(4) : monitor;
  if (std::find(logged.names.begin(), logged.names.end(), monitor) == logged.names.end()) {
    const YAML::Node& const_node = node;
    diag.error(const_node["monitor"], key_path + ".monitor",
               fmt::format("'{}' is not logged by this run (logged: {}){}", monitor,
                           fmt::join(logged.names, ", "), did_you_mean(monitor, logged.names)));
    return;
  }
  const auto direction = logged.higher_is_better.find(base);
  const bool maximises = config["mode"].IsScalar() && config["mode"].Scalar() == "max";
  const bool auto_mode = !(node.IsMap() && node["mode"].IsDefined());
  if (direction != logged.higher_is_better.end() && auto_mode && direction->second != maximises) {
    const bool higher = direction->second;
    diag.error(node, key_path,
               fmt::format("{} with mode auto would {} '{}' (Keras' rule for this callback), but "
                           "{} is better; set mode: {}",
                           callback.type(), maximises ? "maximise" : "minimise", monitor,
                           higher ? "higher" : "lower", higher ? "max" : "min"));
  }
}

// A file name a callback formats may only name values Keras fills in (Callback::unknown_fields).
void check_file_name_fields(const LoggedNames& logged, const Callback& callback,
                            const YAML::Node& node, const std::string& key_path,
                            Diagnostics& diag) {
  for (const auto& unknown : callback.unknown_fields(logged.names)) {
    const YAML::Node& const_node = node;
    diag.error(
        const_node[unknown.param], key_path + "." + unknown.param,
        fmt::format("'{{{}}}' is not a value Keras fills in (it knows: {}){}", unknown.field,
                    fmt::join(unknown.known, ", "), did_you_mean(unknown.field, unknown.known)));
  }
}
// A callback's files stay in the run folder (unless the user writes an absolute path) and never
// take the name of one of runner's own files there.
void check_output_files(const Callback& callback, const YAML::Node& node,
                        const std::string& key_path, std::vector<std::string>& names,
                        Diagnostics& diag) {
  for (const auto& file : callback.output_files()) {
    const YAML::Node& const_node = node;
    const YAML::Node where = const_node.IsMap() ? const_node[file.param] : const_node;
    const std::string path = key_path + "." + file.param;
    const std::filesystem::path name(file.name);
    if (file.name.empty() || !name.has_filename()) {
      diag.error(where, path,
                 fmt::format("'{}' names no file (an empty name or a folder)", file.name));
      continue;
    }
    if (name.is_absolute()) {
      names.push_back(name.lexically_normal().string());
      continue;  // the user's explicit choice; the run says where it writes
    }
    const std::filesystem::path normal = name.lexically_normal();
    if (normal.empty() || *normal.begin() == "..") {
      diag.error(where, path,
                 fmt::format("'{}' leaves the run folder; name a file inside it, or write an "
                             "absolute path to put it elsewhere",
                             file.name));
      continue;
    }
    if (std::distance(normal.begin(), normal.end()) == 1 &&
        is_run_file_name(normal.filename().string())) {
      diag.error(where, path,
                 fmt::format("'{}' is one of the files runner writes in the run folder "
                             "(config.yaml, history.csv, results.h5, model-final.h5, "
                             "summary.json, state.bin, the pictures); choose another name",
                             file.name));
      continue;
    }
    const std::string key = normal.string();
    if (std::find(names.begin(), names.end(), key) != names.end()) {
      diag.error(where, path,
                 fmt::format("'{}' is written by another callback too; give each its own file",
                             file.name));
      continue;
    }
    names.push_back(key);
  }
}
}  // namespace

void read_callbacks(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  const YAML::Node list = top.child("callbacks");
  bool has_nan_guard = false;
  if (list.IsDefined() && !list.IsNull()) {
    if (!list.IsSequence()) {
      diag.error(list, "callbacks", "expected a list of callbacks, got " + describe(list));
      return;
    }
    const auto logged = logged_names(e);
    std::vector<std::string> output_names;  // of the callbacks so far
    for (std::size_t i = 0; i < list.size(); ++i) {
      TypedSpec entry{"", list[i], fmt::format("callbacks[{}]", i)};
      const auto callback = check_entry(callback_registry(), entry, diag, e.seed);
      if (callback && callback->changes_learning_rate() && has_schedule(e)) {
        diag.error(list[i], entry.key_path,
                   fmt::format("{} sets the learning rate, but compile.optimizer.learning_rate "
                               "is a schedule; use one or the other (Keras refuses both too)",
                               callback->type()));
      }
      if (callback && logged) {
        check_monitor(*logged, *callback, list[i], entry.key_path, diag);
        check_file_name_fields(*logged, *callback, list[i], entry.key_path, diag);
      }
      if (callback) {
        check_output_files(*callback, list[i], entry.key_path, output_names, diag);
      }
      e.callbacks.push_back(entry);
      const YAML::Node& item = list[i];
      has_nan_guard = has_nan_guard || (item.IsScalar() && item.Scalar() == "TerminateOnNaN") ||
                      (item.IsMap() && item["type"].IsDefined() && item["type"].IsScalar() &&
                       item["type"].Scalar() == "TerminateOnNaN");
    }
  }
  // A NaN loss always stops training with its epoch and step (and shows in the resolved config).
  if (!has_nan_guard) {
    e.callbacks.push_back(TypedSpec{"", YAML::Node("TerminateOnNaN"), "callbacks (default)"});
  }
}

std::unique_ptr<Optimizer> make_optimizer(const Experiment& e) {
  return make(optimizer_registry(), e.optimizer, e, 0);
}

std::unique_ptr<Loss> make_loss(const Experiment& e) {
  return make(loss_registry(), e.loss, e, 0);
}

std::vector<std::unique_ptr<Metric>> make_metrics(const Experiment& e) {
  std::vector<std::unique_ptr<Metric>> out;
  for (std::size_t i = 0; i < e.metrics.size(); ++i) {
    out.push_back(make(metric_registry(), e.metrics[i], e, i));
  }
  return out;
}

std::vector<std::unique_ptr<Callback>> make_callbacks(const Experiment& e) {
  std::vector<std::unique_ptr<Callback>> out;
  for (std::size_t i = 0; i < e.callbacks.size(); ++i) {
    out.push_back(make(callback_registry(), e.callbacks[i], e, i));
  }
  return out;
}

YAML::Node resolved_compile(const Experiment& e) {
  YAML::Node node;
  node["optimizer"] = make_optimizer(e)->config();
  // A loss or metric given without parameters is written in Keras' string form.
  auto named_only = [](const YAML::Node& entry) {
    return entry.IsScalar() || (entry.IsMap() && entry.size() == 1);
  };
  const YAML::Node loss = make_loss(e)->config();
  node["loss"] = named_only(e.loss.node) ? loss["type"] : loss;
  YAML::Node metrics(YAML::NodeType::Sequence);
  const auto made = make_metrics(e);
  for (std::size_t i = 0; i < made.size(); ++i) {
    const YAML::Node config = made[i]->config();
    metrics.push_back(named_only(e.metrics[i].node) ? config["type"] : config);
  }
  node["metrics"] = metrics;
  return node;
}

YAML::Node resolved_callbacks(const Experiment& e) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const auto& callback : make_callbacks(e)) {
    node.push_back(callback->config());
  }
  return node;
}

}  // namespace runner
