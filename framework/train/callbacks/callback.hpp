#pragma once
// Callbacks with Keras' hooks and semantics. Each callback file registers itself
// (RUNNER_REGISTER_CALLBACK); the experiment's `callbacks:` list names them by `type:`.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/registry.hpp"
#include "framework/train/history.hpp"
#include "framework/train/training_state.hpp"

namespace runner {

class Model;
class Optimizer;

// What callbacks may see and change while fit() runs.
struct TrainContext {
  Model* model = nullptr;
  Optimizer* optimizer = nullptr;
  std::filesystem::path run_dir;  // relative file paths of callbacks resolve here
  const History* history = nullptr;
  bool stop_training = false;
  // Writes the model to an HDF5 checkpoint (weights only, or with optimizer state).
  std::function<void(const std::filesystem::path&, bool weights_only)> save_checkpoint;
  // Prints a line between progress output ("Epoch 8: early stopping").
  std::function<void(const std::string&)> message;
  // Set by a callback that put other weights into the model at the end (EarlyStopping).
  std::optional<std::string> restored_note;
  // True when fit() continues a saved run: on_train_begin must not start afresh where that
  // would lose files (CSVLogger appends); load_state() follows it.
  bool resuming = false;
  // Why training had to stop (TerminateOnNaN); the run then exits non-zero after its files.
  std::optional<std::string> failure;
  // Saves a training state (run_experiment writes state.bin); may be empty (no saving).
  std::function<void(TrainingState&)> save_state;
};

class Callback {
 public:
  virtual ~Callback() = default;
  [[nodiscard]] virtual std::string_view type() const = 0;
  // The resolved parameters (config.yaml); `mode: auto` is written as what it resolved to.
  [[nodiscard]] YAML::Node config() const { return YAML::Clone(config_); }
  // Keras' hooks; epochs are 0-based as in Keras (messages print epoch + 1).
  virtual void on_train_begin(TrainContext& /*ctx*/) {}
  virtual void on_epoch_begin(std::int64_t /*epoch*/, TrainContext& /*ctx*/) {}
  virtual void on_batch_end(std::int64_t /*step*/, const Logs& /*logs*/, TrainContext& /*ctx*/) {}
  virtual void on_epoch_end(std::int64_t /*epoch*/, const Logs& /*logs*/, TrainContext& /*ctx*/) {}
  virtual void on_train_end(TrainContext& /*ctx*/) {}
  // Whether it sets the optimizer's learning rate (then the rate must not be a schedule, and
  // the epoch logs show `lr` as Keras' do).
  [[nodiscard]] virtual bool changes_learning_rate() const { return false; }
  // A file-name parameter's {fields} the callback could not fill in when the epoch logs hold
  // `logged` (Keras raises KeyError on them, after the first epoch): checked at load time.
  struct UnknownField {
    std::string param;               // the parameter naming the file ("filepath")
    std::string field;               // the name between the braces
    std::vector<std::string> known;  // what it can fill in
  };
  [[nodiscard]] virtual std::vector<UnknownField> unknown_fields(
      const std::vector<std::string>& /*logged*/) const {
    return {};
  }
  // The files it writes, as its config names them (ModelCheckpoint's a template it fills in):
  // checked at load time, each inside the run folder unless absolute, and none of runner's own.
  struct OutputFile {
    std::string param;  // "filepath"
    std::string name;   // as written
  };
  [[nodiscard]] virtual std::vector<OutputFile> output_files() const { return {}; }
  // What must survive an interrupted run for the resumed one to behave identically.
  virtual void save_state(CallbackState& /*state*/) const {}
  virtual void load_state(const CallbackState& /*state*/) {}

 protected:
  YAML::Node config_;
};

using CallbackRegistry = Registry<Callback>;
CallbackRegistry& callback_registry();

enum class MonitorMode { kMin, kMax };
// Whether higher is better for a logged quantity: accuracy variants, AUC, precision and recall
// are maximised, everything else minimised (compare and report sort by it).
MonitorMode resolve_mode(const std::string& mode, const std::string& monitor);
// Keras 2.11's `mode: auto` differs by callback: EarlyStopping maximises names ending in acc,
// accuracy or auc; ModelCheckpoint names containing "acc" or starting with "fmeasure";
// ReduceLROnPlateau names containing "acc". Everything else is minimised.
enum class KerasAutoMode { kEarlyStopping, kModelCheckpoint, kReduceLROnPlateau };
// Declares `mode` (auto|min|max); mode_of resolves it for the declared `monitor` by `rule`.
Schema& declare_mode(Schema& schema);
MonitorMode mode_of(const Params& params, KerasAutoMode rule);
const char* mode_name(MonitorMode mode);

}  // namespace runner

#define RUNNER_REGISTER_CALLBACK(Class)                          \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::callback_registry().add(Class::schema(), &Class::create), true)
