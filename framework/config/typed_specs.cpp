#include "framework/config/typed_specs.hpp"

#include <fmt/format.h>

namespace runner {

namespace {
// Validates the entry by creating it; the product is discarded.
template <typename Product>
std::unique_ptr<Product> check_entry(const Registry<Product>& registry, const TypedSpec& entry,
                                     Diagnostics& diag, std::uint32_t seed) {
  Spec spec(entry.node, entry.key_path, diag, 0, seed);
  return registry.create(spec);
}

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

const std::vector<std::string>& known_metrics() {
  static const std::vector<std::string> names{"accuracy"};
  return names;
}

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
  (void)check_entry(loss_registry(), e.loss, diag, e.seed);
  if (auto metrics = c.get<std::vector<std::string>>("metrics")) {
    e.metrics = *metrics;
    for (std::size_t i = 0; i < metrics->size(); ++i) {
      if (auto problem = one_of(known_metrics())((*metrics)[i])) {
        diag.error(c.child("metrics")[i], fmt::format("compile.metrics[{}]", i),
                   "unknown metric: " + *problem);
      }
    }
  }
  c.reject_unknown();
}

void read_callbacks(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  const YAML::Node list = top.child("callbacks");
  bool has_nan_guard = false;
  if (list.IsDefined() && !list.IsNull()) {
    if (!list.IsSequence()) {
      diag.error(list, "callbacks", "expected a list of callbacks, got " + describe(list));
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      TypedSpec entry{"", list[i], fmt::format("callbacks[{}]", i)};
      const auto callback = check_entry(callback_registry(), entry, diag, e.seed);
      if (callback && callback->changes_learning_rate() && has_schedule(e)) {
        diag.error(list[i], entry.key_path,
                   fmt::format("{} sets the learning rate, but compile.optimizer.learning_rate "
                               "is a schedule; use one or the other (Keras refuses both too)",
                               callback->type()));
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
  // A loss with no parameters but its type is written as Keras' string form.
  const YAML::Node loss = make_loss(e)->config();
  node["loss"] = loss.size() == 1 ? loss["type"] : loss;
  node["metrics"] = e.metrics;
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
