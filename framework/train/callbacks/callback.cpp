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
  const bool higher_is_better = monitor.find("acc") != std::string::npos ||
                                monitor.starts_with("fmeasure") ||
                                monitor.find("auc") != std::string::npos ||
                                monitor.ends_with("precision") || monitor.ends_with("recall");
  return higher_is_better ? MonitorMode::kMax : MonitorMode::kMin;
}

Schema& declare_mode(Schema& schema) {
  return schema.choice("mode",
                       "whether lower or higher `monitor` is better; auto: Keras' rule for "
                       "this callback (docs/callbacks.md)",
                       {"auto", "min", "max"}, "auto");
}

MonitorMode mode_of(const Params& params, KerasAutoMode rule) {
  const std::string mode = params.text("mode");
  if (mode != "auto") {
    return resolve_mode(mode, "");
  }
  const std::string m = params.text("monitor");
  bool higher = false;
  switch (rule) {
    case KerasAutoMode::kEarlyStopping:
      higher = m.ends_with("acc") || m.ends_with("accuracy") || m.ends_with("auc");
      break;
    case KerasAutoMode::kModelCheckpoint:
      higher = m.find("acc") != std::string::npos || m.starts_with("fmeasure");
      break;
    case KerasAutoMode::kReduceLROnPlateau:
      higher = m.find("acc") != std::string::npos;
      break;
  }
  return higher ? MonitorMode::kMax : MonitorMode::kMin;
}

const char* mode_name(MonitorMode mode) {
  return mode == MonitorMode::kMin ? "min" : "max";
}

}  // namespace runner
