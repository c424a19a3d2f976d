#include "framework/app/run_experiment.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>

#include "framework/app/run_data.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/plot/run_plots.hpp"
#include "framework/train/class_report.hpp"
#include "framework/train/trainer.hpp"

namespace runner {

namespace {
std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

// Pictures are a view of the results, not results: one that cannot be drawn is reported and
// the run goes on (its numbers are in history.csv and results.h5). Writing them fails like any
// other file (a full disk stops the run).
void save_pictures(const std::filesystem::path& dir, const std::string& what,
                   const std::function<plot::Pictures()>& render) {
  plot::Pictures pictures;
  try {
    pictures = render();
  } catch (const Error& e) {
    fmt::print(stderr, "warning: could not draw {}: {}\n", what, e.what());
    return;
  }
  for (const auto& [name, bytes] : pictures) {
    plot::write_image(dir / name, bytes);
  }
}

// Keeps history.csv and its charts current after every epoch and tells the caller.
class HistoryWriter final : public Callback {
 public:
  HistoryWriter(std::filesystem::path path, std::function<bool(const EpochRecord&)> on_epoch)
      : path_(std::move(path)), on_epoch_(std::move(on_epoch)) {}
  // The caller stopped the training (a sweep's pruner).
  [[nodiscard]] bool pruned() const { return pruned_; }
  [[nodiscard]] std::string_view type() const override { return "HistoryWriter"; }
  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& ctx) override {
    History so_far = *ctx.history;
    so_far.add(EpochRecord{epoch + 1, logs, 0});  // fit() adds the record after callbacks
    write_history_csv(path_, so_far);
    save_pictures(path_.parent_path(), "the training curves",
                  [&] { return plot::history_charts(so_far); });
    if (on_epoch_ && on_epoch_(so_far.epochs().back())) {
      pruned_ = true;
      ctx.stop_training = true;
    }
  }

 private:
  std::filesystem::path path_;
  std::function<bool(const EpochRecord&)> on_epoch_;
  bool pruned_ = false;
};

// Keras 2.11's optimizer_config for a new-style optimizer: {"class_name": "Custom>Adam",
// "config": {name, the base class's keys, is_legacy_optimizer: false, then its own}}. Without
// is_legacy_optimizer, Keras builds its legacy optimizer, whose slot order differs, and drops
// the saved state. The learning rate is Keras' float32 variable read back (0.0010000000474974513).
YAML::Node keras_optimizer_config(const Optimizer& built) {
  const YAML::Node optimizer = built.config();
  const std::string keras_class = keras_optimizer_name(optimizer["type"].Scalar());
  YAML::Node args;
  args["name"] = keras_class;
  const std::vector<std::string> common{"weight_decay", "clipnorm", "global_clipnorm", "clipvalue"};
  for (const auto& key : common) {
    const YAML::Node value = optimizer[key];
    args[key] = value.IsDefined() ? YAML::Clone(value) : YAML::Node(YAML::NodeType::Null);
  }
  args["use_ema"] = false;
  args["ema_momentum"] = 0.99;
  args["ema_overwrite_frequency"] = YAML::Node(YAML::NodeType::Null);
  args["jit_compile"] = true;
  args["is_legacy_optimizer"] = false;
  const YAML::Node lr = optimizer["learning_rate"];
  if (lr.IsMap()) {  // a schedule as Keras serializes one: {class_name, config}
    YAML::Node schedule;
    schedule["class_name"] = lr["type"].Scalar();
    YAML::Node config;
    for (const auto& kv : lr) {
      if (kv.first.Scalar() != "type") {
        config[kv.first.Scalar()] = kv.second;
      }
    }
    schedule["config"] = config;
    args["learning_rate"] = schedule;
  } else {
    args["learning_rate"] = yaml_number(static_cast<float>(lr.as<double>()));
  }
  for (const auto& kv : optimizer) {
    const std::string key = kv.first.Scalar();
    if (key != "type" && key != "learning_rate" &&
        std::find(common.begin(), common.end(), key) == common.end()) {
      args[key] = kv.second;
    }
  }
  YAML::Node out;
  out["class_name"] = "Custom>" + keras_class;
  out["config"] = args;
  return out;
}
}  // namespace

std::string keras_training_config(const Experiment& e) {
  const YAML::Node keras_optimizer = keras_optimizer_config(*make_optimizer(e));
  YAML::Node root;
  root["loss"] = std::string(make_loss(e)->type());  // Keras writes the function name
  // Keras 2.11 writes the compiled metrics as [[{class_name, config}, ...]] (one list per
  // output), each as its load_model() reads it back (Metric::keras_config).
  YAML::Node inner(YAML::NodeType::Sequence);
  const auto loss_targets = make_loss(e)->targets();
  for (const auto& m : make_metrics(e)) {
    inner.push_back(m->keras_config(loss_targets));
  }
  root["metrics"].push_back(inner);
  root["weighted_metrics"] = YAML::Node(YAML::NodeType::Null);
  root["loss_weights"] = YAML::Node(YAML::NodeType::Null);
  root["optimizer_config"] = keras_optimizer;
  return to_json(root);
}

namespace {

Model build_checked_model(const Experiment& e, const Loss& loss, RunData& d) {
  Model model = build_model(e, d.input);
  plan_run_data(e, loss, model, d, std::nullopt);
  model.prepare(e.batch_size);
  if (loss.takes_softmax_logits()) {
    model.use_logits_output();
  }
  return model;
}

// The run folder, with config.yaml written (a resumed run keeps its own, with its overrides).
std::filesystem::path open_run_dir(const Experiment& e, const RunOptions& options,
                                   const std::string& config_yaml, const std::string& run_hash) {
  std::filesystem::path run_dir = options.run_dir;
  if (run_dir.empty()) {
    run_dir = create_run_dir(e.results_dir, e.name);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(run_dir, ec);
    if (ec) {
      throw Error(
          fmt::format("{}: cannot create the run folder: {}", run_dir.string(), ec.message()));
    }
  }
  if (options.resume == nullptr) {
    write_text_file(run_dir / "config.yaml", config_yaml);
  }
  if (options.resume != nullptr && options.resume->config_hash != run_hash) {
    throw CheckpointError(fmt::format("{}: the saved state belongs to another configuration",
                                      (run_dir / "state.bin").string()));
  }
  return run_dir;
}

// summary.json's fields about the fit: what ran, how long, the best epoch by val_loss (or loss
// without validation), as the history shows it.
YAML::Node fit_summary(const Experiment& e, const RunOptions& options, const RunData& d,
                       const Model& model, const FitOutcome& fitted, double train_seconds,
                       const std::filesystem::path& run_dir) {
  YAML::Node summary;
  summary["experiment"] = e.name;
  summary["run_id"] = run_dir.filename().string();
  summary["status"] = fitted.stopped_early ? "stopped_early" : "completed";
  summary["epochs_run"] = static_cast<std::int64_t>(fitted.history.epochs().size());
  summary["params"] = static_cast<std::int64_t>(model.parameter_count());
  summary["threads"] = static_cast<std::int64_t>(options.threads);
  if (options.data_parallel != nullptr) {
    summary["data_parallel_ranks"] = options.data_parallel->ranks;
  }
  summary["train_seconds"] = yaml_number(train_seconds);
  summary["seconds_per_epoch"] = yaml_number(
      fitted.epochs_run > 0 ? train_seconds / static_cast<double>(fitted.epochs_run) : 0.0);
  const std::string monitor = d.parts.validation.size() == 0 ? "loss" : "val_loss";
  std::int64_t best_epoch = 0;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& r : fitted.history.epochs()) {
    if (const auto v = r.logs.get(monitor); v && *v < best) {
      best = *v;
      best_epoch = r.epoch;
    }
  }
  summary["best_epoch"] = best_epoch;
  summary["best_" + monitor] = yaml_number(best);
  return summary;
}

// summary.json's per_class {name: {precision, recall, f1, support}} and confusion_matrix.
void write_class_summary(const ClassReport& report, YAML::Node node) {
  for (std::size_t c = 0; c < report.class_names.size(); ++c) {
    YAML::Node s;
    s["precision"] = yaml_number(report.classes[c].precision);
    s["recall"] = yaml_number(report.classes[c].recall);
    s["f1"] = yaml_number(report.classes[c].f1);
    s["support"] = report.classes[c].support;
    node["per_class"][report.class_names[c]] = s;
  }
  const std::size_t k = report.class_names.size();
  for (std::size_t t = 0; t < k; ++t) {
    YAML::Node row(YAML::NodeType::Sequence);
    for (std::size_t p = 0; p < k; ++p) {
      row.push_back(report.count(t, p));
    }
    node["confusion_matrix"].push_back(row);
  }
}

// The experiment's `evaluate:` splits, into the outcome and the summary.
void evaluate_splits(const Experiment& e, const RunOptions& options, const RunData& d, Model& model,
                     const Objective& objective, YAML::Node& summary, RunOutcome& outcome) {
  for (const auto& split_name : e.evaluate) {
    const Part& part = d.parts[split_name];
    if (part.size() == 0) {
      if (options.verbosity != Verbosity::kQuiet) {
        fmt::print(options.out, "{:<12}no samples (skipped)\n", split_name + ":");
      }
      continue;
    }
    const Evaluation result = evaluate(model, objective, part, e.batch_size);
    Logs& logs = outcome.evaluation[split_name];
    logs.set("loss", result.loss);
    std::string line = "loss " + fixed(result.loss, 4);
    for (const auto& [name, value] : result.metrics.items()) {
      logs.set(name, value);
      line += fmt::format(" - {} {}", name, fixed(value, 4));
    }
    for (const auto& [name, value] : logs.items()) {
      summary["evaluation"][split_name][name] = yaml_number(value);
    }
    if (options.verbosity != Verbosity::kQuiet) {
      fmt::print(options.out, "{:<12}{}\n", split_name + ":", line);
    }
    if (!d.class_names.empty() && part.set->has_classes()) {
      const ClassReport report =
          class_report(predict(model, objective, *part.set, part.indices, e.batch_size),
                       part.classes(), d.class_names);
      write_class_summary(report, summary["evaluation"][split_name]);
      save_pictures(outcome.run_dir, "the confusion matrix", [&] {
        const plot::ConfusionView view{"Confusion matrix: " + split_name, report.class_names,
                                       report.confusion};
        return plot::Pictures{{fmt::format("confusion-{}.png", split_name),
                               plot::render_confusion_matrix(view, plot::ImageFormat::kPng)}};
      });
      if (options.verbosity != Verbosity::kQuiet) {
        fmt::print(options.out, "{}", report.table());
      }
      outcome.class_reports[split_name] = report;
    }
  }
}

// The experiment's `predict:` samples: their outputs into the summary, a picture each (images).
void predict_samples(const Experiment& e, const RunOptions& options, const RunData& d, Model& model,
                     const Objective& objective, const std::filesystem::path& run_dir,
                     YAML::Node& summary) {
  for (const auto& request : e.predict) {
    const Part& part = d.parts[request.split];
    if (request.index >= part.size()) {
      throw ConfigError(fmt::format("{}: predict {}[{}]: the {} split has {} samples", e.file,
                                    request.split, request.index, request.split, part.size()));
    }
    const Samples& set = *part.set;
    const std::int64_t sample = part.indices[static_cast<std::size_t>(request.index)];
    const std::int64_t one[] = {sample};
    const Tensor out = predict(model, objective, set, one, 1);
    const std::vector<float> outputs(out.data(), out.data() + out.size());
    YAML::Node p;
    p["split"] = request.split;
    p["index"] = request.index;
    for (float v : outputs) {
      p[d.class_names.empty() ? "outputs" : "probabilities"].push_back(yaml_number(v));
    }
    std::string said;
    if (d.class_names.empty()) {  // regression
      const auto width = static_cast<std::size_t>(set.value_width);
      for (std::size_t j = 0; j < width; ++j) {
        p["target"].push_back(
            yaml_number(set.values[static_cast<std::size_t>(sample) * width + j]));
      }
      said = fmt::format("{:.4g} (target: {:.4g})", outputs.front(),
                         set.values[static_cast<std::size_t>(sample) * width]);
    } else {
      const std::vector<float> probs = class_probabilities(outputs);
      const std::size_t predicted = predicted_class(probs);
      const float confidence = probs[predicted];
      const auto label = static_cast<std::size_t>(set.classes[static_cast<std::size_t>(sample)]);
      p["label"] = d.class_names[label];
      p["predicted"] = d.class_names[predicted];
      said = fmt::format("{} (p={}; label: {})", d.class_names[predicted], fixed(confidence, 3),
                         d.class_names[label]);
      if (plot::drawable_as_image(set) && outputs.size() == d.class_names.size()) {
        p["image"] = plot::prediction_file_name(request.split, request.index);
        save_pictures(run_dir, p["image"].Scalar(), [&] {
          const auto view = plot::prediction_view(
              set, sample, fmt::format("{}[{}]", request.split, request.index), d.class_names,
              outputs);
          return plot::Pictures{
              {p["image"].Scalar(), plot::render_prediction(view, plot::ImageFormat::kPng)}};
        });
      }
    }
    summary["predictions"].push_back(p);
    if (options.verbosity != Verbosity::kQuiet) {
      fmt::print(options.out, "predict {}[{}]: {}\n", request.split, request.index, said);
    }
  }
}

// The files a finished run leaves besides its checkpoints: results.h5, the final history.csv
// and charts, summary.json (last: its presence marks the run finished).
void write_run_files(const Experiment& e, const RunData& d, const std::string& config_yaml,
                     const History& history, const RunOutcome& outcome, YAML::Node& summary) {
  const std::filesystem::path& run_dir = outcome.run_dir;
  RunResults results{e.name,
                     run_dir.filename().string(),
                     config_yaml,
                     history,
                     d.parts.train.indices,
                     d.parts.validation.indices,
                     outcome.evaluation,
                     {d.preprocessing, d.class_names, d.data.feature_names},
                     outcome.class_reports};
  write_results_h5(run_dir / "results.h5", results);
  write_history_csv(run_dir / "history.csv", history);
  save_pictures(run_dir, "the training curves", [&] { return plot::history_charts(history); });
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  summary["peak_rss_mb"] = yaml_number(static_cast<double>(usage.ru_maxrss) / 1024.0);
  write_text_file(run_dir / "summary.json", to_json(summary) + "\n");
}

}  // namespace

RunOutcome run_experiment(const Experiment& e, const RunOptions& options) {
  Progress progress(options.verbosity, options.out);
  const auto loss = make_loss(e);
  RunData d;
  load_run_data(e, *loss, d);
  Model model = build_checked_model(e, *loss, d);
  auto optimizer = make_optimizer(e);
  auto callbacks = make_callbacks(e);
  const MetricSet metrics(make_metrics(e), loss->targets());
  const Objective objective{*loss, metrics, d.preprocessing};

  const YAML::Node resolved = resolved_config(e, model);
  const std::string config_yaml = emit(resolved);
  const std::string run_hash = config_fingerprint(e, model);
  const std::filesystem::path run_dir = open_run_dir(e, options, config_yaml, run_hash);
  auto history_writer = std::make_unique<HistoryWriter>(run_dir / "history.csv", options.on_epoch);
  const HistoryWriter& history_file = *history_writer;
  callbacks.push_back(std::move(history_writer));
  save_pictures(run_dir, "the model diagram",
                [&] { return plot::model_diagrams(model, e.model_name); });

  CheckpointInfo info;
  info.model_name = e.model_name;
  info.runner_config = emit(resolved["model"]);
  info.training_config = keras_training_config(e);
  info.experiment_yaml = config_yaml;
  info.preprocessing = StoredPreprocessing{d.preprocessing, d.class_names, d.data.feature_names};

  if (options.verbosity != Verbosity::kQuiet) {
    fmt::print(options.out, "{}", model.summary(e.model_name));
    fmt::print(options.out, "data: {} training, {} validation, {} test samples\n",
               d.parts.train.size(), d.parts.validation.size(), d.parts.test.size());
    for (const auto& callback : callbacks) {
      for (const auto& file : callback->output_files()) {
        if (std::filesystem::path(file.name).is_absolute()) {
          fmt::print(options.out, "{} writes outside the run folder: {}\n", callback->type(),
                     file.name);
        }
      }
    }
  }
  TrainContext ctx;
  ctx.run_dir = run_dir;
  ctx.save_state = [&](TrainingState& state) {
    state.config_hash = run_hash;
    save_training_state(run_dir / "state.bin", state);
  };
  ctx.save_checkpoint = [&](const std::filesystem::path& path, bool weights_only) {
    create_parent_folder(path);  // ModelCheckpoint's filepath may name a subfolder, as in Keras
    save_checkpoint(path, model, info, optimizer.get(), weights_only);
  };
  FitSettings settings{e.epochs, e.batch_size,   e.initial_epoch,      e.shuffle,
                       e.seed,   options.resume, options.data_parallel};
  const auto started = std::chrono::steady_clock::now();
  FitOutcome fitted = fit(model, *optimizer, objective, callbacks, d.parts.train,
                          d.parts.validation, settings, ctx, progress);
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // TerminateOnNaN stops training too, but that run failed: it did not stop early.
  if (fitted.stopped_early && !history_file.pruned() && !ctx.failure &&
      options.verbosity != Verbosity::kQuiet) {
    fmt::print(options.out, "Epoch {}/{}: early stopping{}\n", fitted.history.epochs().back().epoch,
               e.epochs, fitted.restored_note ? "; " + *fitted.restored_note : "");
  }
  save_checkpoint(run_dir / "model-final.h5", model, info, optimizer.get(), false);

  RunOutcome outcome;
  outcome.run_dir = run_dir;
  outcome.epochs_run = static_cast<std::int64_t>(fitted.history.epochs().size());
  outcome.stopped_early = fitted.stopped_early;
  outcome.pruned = history_file.pruned();
  YAML::Node summary = fit_summary(e, options, d, model, fitted, train_seconds, run_dir);
  if (outcome.pruned) {
    summary["status"] = "pruned";
  }
  evaluate_splits(e, options, d, model, objective, summary, outcome);
  predict_samples(e, options, d, model, objective, run_dir, summary);
  write_run_files(e, d, config_yaml, fitted.history, outcome, summary);
  // Finished: model-final.h5 holds the weights and optimizer state that continuing needs.
  if (std::filesystem::exists(run_dir / "state.bin")) {
    compact_finished_state(run_dir / "state.bin");
  }
  if (options.verbosity != Verbosity::kQuiet) {
    fmt::print(options.out, "run folder: {}/\n", run_dir.string());
  }
  if (ctx.failure) {
    throw Error(*ctx.failure +
                fmt::format(" (the run folder {}/ holds what was done)", run_dir.string()));
  }
  return outcome;
}

}  // namespace runner
