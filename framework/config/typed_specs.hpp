#pragma once
// The experiment's registry-checked entries: `data:` sources, `compile:` (optimizer, loss,
// metrics) and `callbacks:`.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <vector>

#include "data/dataset.hpp"
#include "framework/config/experiment.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/metrics/metric.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"

namespace runner {

// Checks the entry by creating it (problems go to `diag`); null when it has problems.
template <typename Product>
std::unique_ptr<Product> check_entry(const Registry<Product>& registry, const TypedSpec& entry,
                                     Diagnostics& diag, std::uint32_t seed) {
  Spec spec(entry.node, entry.key_path, diag, 0, seed);
  return registry.create(spec);
}

void read_data(MapReader& top, Experiment& e);
void read_compile(MapReader& top, Experiment& e);
void read_callbacks(MapReader& top, Experiment& e);
YAML::Node resolved_data(const Experiment& e);
YAML::Node resolved_compile(const Experiment& e);
YAML::Node resolved_callbacks(const Experiment& e);

// Creates the experiment's optimizer / loss / callbacks (already checked by load_experiment).
std::unique_ptr<Optimizer> make_optimizer(const Experiment& e);
std::unique_ptr<Loss> make_loss(const Experiment& e);
std::vector<std::unique_ptr<Callback>> make_callbacks(const Experiment& e);
std::vector<std::unique_ptr<Metric>> make_metrics(const Experiment& e);
DataSources make_data_sources(const Experiment& e);

}  // namespace runner
