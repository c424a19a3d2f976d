// ModelCheckpoint with Keras 2.11's semantics: the file name may use {epoch:02d} (1-based), any
// log value ({val_loss:.4f}) and, saving every save_freq batches, {batch}; with save_best_only
// a file is written only when the monitored value improves on the best so far (strictly).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>

#include "framework/core/text.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner {
namespace {

// A Python replacement field of the file name: {name}, {name!conversion}, {name:spec}; group 1
// the name, 2 the conversion, 3 the spec.
const std::regex& field_pattern() {
  static const std::regex pattern(R"(\{([^}:!]*)(![^}:]*)?(?::([^}]*))?\})");
  return pattern;
}

constexpr long long kMaxFieldWidth = 99;

class ModelCheckpoint final : public Callback {
 public:
  static constexpr std::string_view kType = "ModelCheckpoint";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "saves the model (Keras HDF5) after epochs, or only the best");
      out.text("filepath",
               "file name, relative to the run folder; {epoch:02d} and log names format")
          .required()
          .text("monitor", "the log value compared for save_best_only", "val_loss")
          .integer("verbose", "1: print a line on each save", 0)
          .at_least(0)
          .flag("save_best_only", "save only when `monitor` improves", false)
          .flag("save_weights_only", "weights only (no model config, no optimizer state)", false)
          .real("initial_value_threshold",
                "with save_best_only, the value `monitor` must beat for the first save")
          .any("save_freq",
               "\"epoch\" (after each epoch) or a number of batches (the batch logs: the "
               "epoch's running loss and metrics)",
               YAML::Node("epoch"));
      return declare_mode(out);
    }();
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    auto cb = std::make_unique<ModelCheckpoint>();
    cb->filepath_ = p.text("filepath");
    cb->monitor_ = p.text("monitor");
    cb->verbose_ = p.integer("verbose");
    cb->save_best_only_ = p.flag("save_best_only");
    cb->save_weights_only_ = p.flag("save_weights_only");
    cb->threshold_ = p.maybe_real("initial_value_threshold");
    const YAML::Node freq = p.node("save_freq");
    if (freq.IsScalar() && freq.Scalar() != "epoch") {
      const auto batches = parse_number(freq.Scalar());
      if (!batches || *batches < 1 || *batches != std::floor(*batches)) {
        p.error("save_freq",
                fmt::format("expected \"epoch\" or a whole number of batches >= 1, got {}",
                            freq.Scalar()));
        return nullptr;
      }
      cb->save_every_ = static_cast<std::int64_t>(*batches);
    } else if (!freq.IsScalar()) {
      p.error("save_freq", "expected \"epoch\" or a whole number of batches >= 1");
      return nullptr;
    }
    // Python pads a field to its width: {epoch:9999999d} would make a 10 MB name. Widths and
    // precisions stay within a file name's length.
    for (auto it =
             std::sregex_iterator(cb->filepath_.begin(), cb->filepath_.end(), field_pattern());
         it != std::sregex_iterator(); ++it) {
      const std::string spec = (*it)[3];
      static const std::regex kNumber("[0-9]+");
      for (auto n = std::sregex_iterator(spec.begin(), spec.end(), kNumber);
           n != std::sregex_iterator(); ++n) {
        if (n->length() > 2 && std::stoll(n->str().substr(0, 9)) > kMaxFieldWidth) {
          p.error("filepath",
                  fmt::format("'{}': a width or precision of {} is longer than a file name may be "
                              "(at most {})",
                              it->str(), n->str(), kMaxFieldWidth));
          return nullptr;
        }
      }
    }
    cb->mode_ = mode_of(p, KerasAutoMode::kModelCheckpoint);
    cb->config_ = p.resolved();
    cb->config_["mode"] = mode_name(cb->mode_);
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] std::vector<OutputFile> output_files() const override {
    return {{"filepath", filepath_}};
  }

  void on_train_begin(TrainContext& /*ctx*/) override {
    best_ = threshold_ ? *threshold_
                       : (mode_ == MonitorMode::kMin ? std::numeric_limits<double>::infinity()
                                                     : -std::numeric_limits<double>::infinity());
  }

  void save_state(CallbackState& s) const override {
    s.numbers = {{"best", best_}, {"batches_since_save", static_cast<double>(since_save_)}};
  }
  void load_state(const CallbackState& s) override {
    best_ = s.numbers.at("best");
    const auto it = s.numbers.find("batches_since_save");  // absent in older states
    since_save_ = it != s.numbers.end() ? static_cast<std::int64_t>(it->second) : 0;
  }

  void on_epoch_begin(std::int64_t epoch, TrainContext& /*ctx*/) override { epoch_ = epoch; }

  // save_freq as a number: Keras counts batches across epochs and saves with the batch logs.
  void on_batch_end(std::int64_t step, const Logs& logs, TrainContext& ctx) override {
    if (save_every_ == 0 || ++since_save_ < save_every_) {
      return;
    }
    since_save_ = 0;
    save(epoch_, step, logs, ctx);
  }

  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& ctx) override {
    if (save_every_ == 0) {
      save(epoch, std::nullopt, logs, ctx);
    }
  }

  // Keras fills in epoch and the epoch logs, or, saving every save_freq batches, batch and the
  // batch logs (no val_ values, no lr).
  [[nodiscard]] std::vector<UnknownField> unknown_fields(
      const std::vector<std::string>& logged) const override {
    std::vector<std::string> known{"epoch"};
    if (save_every_ > 0) {
      known.emplace_back("batch");
    }
    for (const auto& name : logged) {
      if (save_every_ == 0 || (!name.starts_with("val_") && name != "lr")) {
        known.push_back(name);
      }
    }
    std::vector<UnknownField> unknown;
    for (auto it = std::sregex_iterator(filepath_.begin(), filepath_.end(), field_pattern());
         it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        unknown.push_back({"filepath", name, known});
      }
    }
    return unknown;
  }

 private:
  void save(std::int64_t epoch, std::optional<std::int64_t> batch, const Logs& logs,
            TrainContext& ctx) {
    const std::string path = format_path(epoch, batch, logs);
    if (!save_best_only_) {
      ctx.save_checkpoint(ctx.run_dir / path, save_weights_only_);
      return;
    }
    const auto current = logs.get(monitor_);
    if (!current) {
      ctx.message(
          fmt::format("ModelCheckpoint: can save best model only with {} available", monitor_));
      return;
    }
    const bool better = mode_ == MonitorMode::kMin ? *current < best_ : *current > best_;
    if (better) {
      if (verbose_ > 0) {
        ctx.message(fmt::format("Epoch {}: {} improved from {:.5f} to {:.5f}, saving model to {}",
                                epoch + 1, monitor_, best_, *current, path));
      }
      best_ = *current;
      ctx.save_checkpoint(ctx.run_dir / path, save_weights_only_);
    } else if (verbose_ > 0) {
      ctx.message(
          fmt::format("Epoch {}: {} did not improve from {:.5f}", epoch + 1, monitor_, best_));
    }
  }

  // Python's str.format for the fields Keras offers: epoch (1-based), batch (1-based, when
  // saving after a batch) and the logs.
  [[nodiscard]] std::string format_path(std::int64_t epoch, std::optional<std::int64_t> batch,
                                        const Logs& logs) const {
    std::string out;
    auto begin = std::sregex_iterator(filepath_.begin(), filepath_.end(), field_pattern());
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      out += filepath_.substr(last, static_cast<std::size_t>(m.position()) - last);
      const std::string name = m[1];
      if (m[2].matched) {  // a conversion (!r): left as written
        out += m.str();
        last = static_cast<std::size_t>(m.position() + m.length());
        continue;
      }
      // "{:02d}"-style replacement field for fmt, which reads Python's format spec, except
      // Python's '%' (the value times 100 in 'f' format, then a percent sign).
      std::string spec = m[3].str();
      const bool percent = spec.ends_with('%');
      if (percent) {
        spec.back() = 'f';
        if (spec.find('.') == std::string::npos) {
          spec.insert(spec.size() - 1, ".6");  // Python's default precision
        }
      }
      const std::string field = fmt::format("{{{}{}}}", m[3].matched ? ":" : "", spec);
      try {
        if (name == "epoch") {
          out += fmt::format(fmt::runtime(field), epoch + 1);
        } else if (name == "batch" && batch) {
          out += fmt::format(fmt::runtime(field), *batch + 1);
        } else if (auto v = logs.get(name)) {
          out += fmt::format(fmt::runtime(field), percent ? *v * 100.0 : *v) + (percent ? "%" : "");
        } else {
          out += m.str();
        }
      } catch (const fmt::format_error&) {
        out += m.str();
      }
      last = static_cast<std::size_t>(m.position() + m.length());
    }
    return out + filepath_.substr(last);
  }

  std::string filepath_;
  std::string monitor_;
  std::int64_t verbose_ = 0;
  bool save_best_only_ = false;
  bool save_weights_only_ = false;
  MonitorMode mode_ = MonitorMode::kMin;
  std::optional<double> threshold_;  // initial_value_threshold
  std::int64_t save_every_ = 0;      // save_freq in batches; 0: "epoch"
  std::int64_t since_save_ = 0;      // batches since the last save (Keras counts across epochs)
  std::int64_t epoch_ = 0;
  double best_ = 0;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(ModelCheckpoint);
}  // namespace runner
