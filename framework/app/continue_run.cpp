#include "framework/app/continue_run.hpp"

#include <fmt/format.h>

#include "framework/config/experiment.hpp"
#include "framework/config/overrides.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/io/checkpoint.hpp"

namespace runner {

namespace {

// The run's config (as load_experiment read it) with fit.epochs set to `epochs` and the change
// listed in `overrides`, as config.yaml's text.
std::string longer_config(const Experiment& current, std::int64_t epochs) {
  YAML::Node root = YAML::Clone(current.root);
  Diagnostics diag(current.file);
  const std::string assignment = fmt::format("fit.epochs={}", epochs);
  (void)apply_override(root, assignment, diag);
  YAML::Node overrides = root["overrides"];
  const bool listed = overrides.IsSequence() && overrides.size() > 0 &&
                      overrides[overrides.size() - 1].Scalar() == assignment;
  if (!listed) {
    root["overrides"].push_back(assignment);
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

std::string fingerprint_of(const Experiment& e) {
  // A run's config.yaml always states the input shape (resolved_config writes it).
  if (!e.input_shape) {
    throw ConfigError(fmt::format("{}: model.input_shape is missing", e.file));
  }
  return config_fingerprint(e, build_model(e, *e.input_shape));
}

}  // namespace

TrainingState prepare_continuation(const std::filesystem::path& run_dir, std::int64_t epochs) {
  const auto config_path = run_dir / "config.yaml";
  const auto state_path = run_dir / "state.bin";
  TrainingState state = load_training_state(state_path);
  const Experiment current = load_experiment(config_path.string());
  const std::int64_t done = state.epoch;
  if (epochs <= done) {
    throw ConfigError(fmt::format(
        "--epochs {}: the run has done {} epoch{}; --epochs is the total to reach (as Keras' "
        "fit(epochs=...)), so it must be at least {}",
        epochs, done, done == 1 ? "" : "s", done + 1));
  }
  const std::string config_text = longer_config(current, epochs);
  const Experiment longer = parse_experiment(YAML::Load(config_text), config_path.string());
  const std::string new_hash = fingerprint_of(longer);
  const bool already_prepared = state.config_hash == new_hash;
  if (!already_prepared && state.config_hash != fingerprint_of(current)) {
    throw CheckpointError(
        fmt::format("{}: the saved state belongs to another configuration", state_path.string()));
  }
  const bool finished =
      std::filesystem::exists(run_dir / "summary.json") || state.weights_in_checkpoint;
  if (!already_prepared && finished && state.step == 0) {
    // A new fit on the same model: the model's final weights (EarlyStopping may have restored
    // earlier ones after the last state was saved), callbacks as new. A compacted state
    // (weights_in_checkpoint) has its weights and optimizer slots only there.
    const auto final_model = run_dir / "model-final.h5";
    if (state.weights_in_checkpoint && !std::filesystem::exists(final_model)) {
      throw CheckpointError(fmt::format(
          "{}: missing; a finished run continues from its final weights and optimizer state, "
          "which are kept there",
          final_model.string()));
    }
    if (std::filesystem::exists(final_model)) {
      const LoadedModel loaded = load_model_checkpoint(final_model);
      const auto params = loaded.model.parameters();
      if (state.weights_in_checkpoint) {
        SavedOptimizerState optimizer = load_optimizer_state(final_model, loaded.model);
        if (optimizer.iterations != state.iterations) {
          throw CheckpointError(fmt::format(
              "{}: its optimizer has done {} steps, the run's state {}; it is not this run's "
              "final model",
              final_model.string(), optimizer.iterations, state.iterations));
        }
        state.params.assign(params.begin(), params.end());
        state.slots = std::move(optimizer.slots);
        state.weights_in_checkpoint = false;
      } else if (params.size() == state.params.size()) {
        state.params.assign(params.begin(), params.end());
      }
    }
    // An empty callback state starts that callback afresh (fit's restore skips it).
    for (CallbackState& callback : state.callbacks) {
      callback = CallbackState{};
    }
  }
  state.config_hash = new_hash;
  save_training_state(state_path, state);
  write_text_file(config_path, config_text);
  std::error_code ec;
  std::filesystem::remove(run_dir / "summary.json", ec);
  if (ec) {
    throw Error(
        fmt::format("{}: cannot remove it: {}", (run_dir / "summary.json").string(), ec.message()));
  }
  return state;
}

}  // namespace runner
