#include "framework/train/callbacks/callback.hpp"

namespace runner {

CallbackRegistry& callback_registry() {
  static CallbackRegistry registry("callback");
  return registry;
}

MonitorMode resolve_mode(const std::string& mode, const std::string& monitor) {
  if (mode == "min") {
    return MonitorMode::kMin;
  }
  if (mode == "max") {
    return MonitorMode::kMax;
  }
  // Keras: "acc" in the name (accuracy, val_accuracy, ...) or auc/fmeasure means higher is better.
  const bool higher_is_better = monitor.find("acc") != std::string::npos ||
                                monitor.starts_with("fmeasure") ||
                                monitor.find("auc") != std::string::npos;
  return higher_is_better ? MonitorMode::kMax : MonitorMode::kMin;
}

Schema& declare_mode(Schema& schema) {
  return schema.choice("mode",
                       "whether lower or higher `monitor` is better; auto: higher for "
                       "accuracy and AUC, else lower",
                       {"auto", "min", "max"}, "auto");
}

MonitorMode mode_of(const Params& params) {
  return resolve_mode(params.text("mode"), params.text("monitor"));
}

const char* mode_name(MonitorMode mode) {
  return mode == MonitorMode::kMin ? "min" : "max";
}

}  // namespace runner
