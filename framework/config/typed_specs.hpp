#pragma once
// The experiment's `compile:` and `callbacks:` sections, checked through the optimizer and
// callback registries.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"

namespace runner {

void read_compile(MapReader& top, Experiment& e);
void read_callbacks(MapReader& top, Experiment& e);
YAML::Node resolved_compile(const Experiment& e);
YAML::Node resolved_callbacks(const Experiment& e);

// Creates the experiment's optimizer / loss / callbacks (already checked by load_experiment).
std::unique_ptr<Optimizer> make_optimizer(const Experiment& e);
std::unique_ptr<Loss> make_loss(const Experiment& e);
std::vector<std::unique_ptr<Callback>> make_callbacks(const Experiment& e);

// Names accepted for `metrics`.
const std::vector<std::string>& known_metrics();

}  // namespace runner
