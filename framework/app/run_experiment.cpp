#include "framework/app/run_experiment.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>

#include "data/split.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/io/checkpoint.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/nn/metrics/accuracy.hpp"
#include "framework/plot/run_plots.hpp"
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
  HistoryWriter(std::filesystem::path path, std::function<void(const EpochRecord&)> on_epoch)
      : path_(std::move(path)), on_epoch_(std::move(on_epoch)) {}
  [[nodiscard]] std::string_view type() const override { return "HistoryWriter"; }
  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& ctx) override {
    History so_far = *ctx.history;
    so_far.add(EpochRecord{epoch + 1, logs, 0});  // fit() adds the record after callbacks
    write_history_csv(path_, so_far);
    save_pictures(path_.parent_path(), "the training curves",
                  [&] { return plot::history_charts(so_far); });
    if (on_epoch_) {
      on_epoch_(so_far.epochs().back());
    }
  }

 private:
  std::filesystem::path path_;
  std::function<void(const EpochRecord&)> on_epoch_;
};

const std::vector<std::int64_t>& indices_of(const std::string& split, const SplitIndices& s,
                                            const std::vector<std::int64_t>& test) {
  if (split == "train") {
    return s.train;
  }
  if (split == "validation") {
    return s.validation;
  }
  return test;
}
}  // namespace

std::string keras_training_config(const Experiment& e) {
  YAML::Node optimizer = make_optimizer(e)->config();
  YAML::Node keras_optimizer;
  const std::string type = optimizer["type"].Scalar();
  keras_optimizer["class_name"] = keras_optimizer_name(type);
  YAML::Node args;
  for (const auto& kv : optimizer) {
    if (kv.first.Scalar() != "type") {
      args[kv.first.Scalar()] = kv.second;
    }
  }
  // A schedule as Keras serializes one: {class_name, config}.
  const YAML::Node lr = optimizer["learning_rate"];
  if (lr.IsMap()) {
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
  }
  keras_optimizer["config"] = args;
  YAML::Node root;
  root["loss"] = std::string(make_loss(e)->type());  // Keras writes the function name
  YAML::Node metric;
  metric["class_name"] = "MeanMetricWrapper";
  metric["config"]["name"] = "accuracy";
  metric["config"]["dtype"] = "float32";
  metric["config"]["fn"] = "sparse_categorical_accuracy";
  YAML::Node inner(YAML::NodeType::Sequence);
  inner.push_back(metric);
  root["metrics"].push_back(inner);
  root["weighted_metrics"] = YAML::Node(YAML::NodeType::Null);
  root["loss_weights"] = YAML::Node(YAML::NodeType::Null);
  root["optimizer_config"] = keras_optimizer;
  return to_json(root);
}

namespace {

// The data of a run: the dataset, its class names, the model's input shape, the split.
struct RunData {
  Dataset data;
  std::vector<std::string> class_names;
  Shape input;
  SplitIndices split;
  std::vector<std::int64_t> test_indices;  // every test image, in file order

  [[nodiscard]] const ImageSet& images_of(const std::string& split_name) const {
    return split_name == "test" ? data.test : data.train;
  }
};

RunData load_run_data(const Experiment& e) {
  RunData d;
  d.data = load_dataset(e.data);
  d.class_names = e.class_names.empty() ? d.data.class_names : e.class_names;
  d.input = e.input_shape.value_or(d.data.train.sample_shape());
  if (d.input != d.data.train.sample_shape()) {
    throw ConfigError(fmt::format("{}: model.input_shape {} does not match the images of {} ({})",
                                  e.file, d.input.str(), e.data.name,
                                  d.data.train.sample_shape().str()));
  }
  d.split = train_validation_split(d.data.train.count, e.validation_split, e.seed);
  if (d.split.train.empty()) {
    throw ConfigError(
        fmt::format("{}: no training images left after the validation split", e.file));
  }
  d.test_indices.resize(static_cast<std::size_t>(d.data.test.count));
  std::iota(d.test_indices.begin(), d.test_indices.end(), 0);
  return d;
}

Model build_checked_model(const Experiment& e, const RunData& d) {
  Model model = build_model(e, d.input);
  if (model.output_shape() != Shape{static_cast<std::int64_t>(d.class_names.size())}) {
    throw ConfigError(fmt::format("{}: the model's output is {} but {} has {} classes", e.file,
                                  model.output_shape().str(), e.data.name, d.class_names.size()));
  }
  model.prepare(e.batch_size);
  model.use_logits_output();
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
  const std::string monitor = d.split.validation.empty() ? "loss" : "val_loss";
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

// The experiment's `evaluate:` splits, into the outcome and the summary.
void evaluate_splits(const Experiment& e, const RunOptions& options, const RunData& d, Model& model,
                     const Loss& loss, YAML::Node& summary, RunOutcome& outcome) {
  for (const auto& split_name : e.evaluate) {
    const auto& indices = indices_of(split_name, d.split, d.test_indices);
    const Evaluation result = evaluate(model, loss, d.images_of(split_name), indices, e.batch_size);
    outcome.evaluation[split_name] = {result.loss, result.accuracy};
    summary["evaluation"][split_name]["loss"] = yaml_number(result.loss);
    summary["evaluation"][split_name]["accuracy"] = yaml_number(result.accuracy);
    if (options.verbosity != Verbosity::kQuiet) {
      fmt::print(options.out, "{:<12}loss {:.4f} - accuracy {:.4f}\n", split_name + ":",
                 result.loss, result.accuracy);
    }
  }
}

// The experiment's `predict:` samples: their probabilities into the summary, a picture each.
void predict_samples(const Experiment& e, const RunOptions& options, const RunData& d, Model& model,
                     const std::filesystem::path& run_dir, YAML::Node& summary) {
  for (const auto& request : e.predict) {
    const auto& indices = indices_of(request.split, d.split, d.test_indices);
    if (request.index >= static_cast<std::int64_t>(indices.size())) {
      throw ConfigError(fmt::format("{}: predict {}[{}]: the {} split has {} images", e.file,
                                    request.split, request.index, request.split, indices.size()));
    }
    const ImageSet& set = d.images_of(request.split);
    const std::int64_t image = indices[static_cast<std::size_t>(request.index)];
    const auto probs = predict_one(model, set, image);
    const std::size_t predicted = argmax(probs);
    const auto& names = d.class_names;
    YAML::Node p;
    p["split"] = request.split;
    p["index"] = request.index;
    p["label"] = names[static_cast<std::size_t>(set.labels[static_cast<std::size_t>(image)])];
    p["predicted"] = names[predicted];
    for (float v : probs) {
      p["probabilities"].push_back(yaml_number(v));
    }
    p["image"] = plot::prediction_file_name(request.split, request.index);
    summary["predictions"].push_back(p);
    save_pictures(run_dir, p["image"].Scalar(), [&] {
      const auto view = plot::prediction_view(
          set, image, fmt::format("{}[{}]", request.split, request.index), names, probs);
      return plot::Pictures{
          {p["image"].Scalar(), plot::render_prediction(view, plot::ImageFormat::kPng)}};
    });
    if (options.verbosity != Verbosity::kQuiet) {
      fmt::print(options.out, "predict {}[{}]: {} (p={:.3f}; label: {})\n", request.split,
                 request.index, names[predicted], probs[predicted], p["label"].Scalar());
    }
  }
}

// The files a finished run leaves besides its checkpoints: results.h5, the final history.csv
// and charts, summary.json (last: its presence marks the run finished).
void write_run_files(const Experiment& e, const RunData& d, const std::string& config_yaml,
                     const History& history, const RunOutcome& outcome, YAML::Node& summary) {
  const std::filesystem::path& run_dir = outcome.run_dir;
  RunResults results{e.name,        run_dir.filename().string(), config_yaml,       history,
                     d.split.train, d.split.validation,          outcome.evaluation};
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
  const RunData d = load_run_data(e);
  Model model = build_checked_model(e, d);
  auto optimizer = make_optimizer(e);
  const auto loss = make_loss(e);
  auto callbacks = make_callbacks(e);

  const YAML::Node resolved = resolved_config(e, model);
  const std::string config_yaml = emit(resolved);
  const std::string run_hash = config_fingerprint(e, model);
  const std::filesystem::path run_dir = open_run_dir(e, options, config_yaml, run_hash);
  callbacks.push_back(std::make_unique<HistoryWriter>(run_dir / "history.csv", options.on_epoch));
  save_pictures(run_dir, "the model diagram",
                [&] { return plot::model_diagrams(model, e.model_name); });

  CheckpointInfo info;
  info.model_name = e.model_name;
  info.runner_config = emit(resolved["model"]);
  info.training_config = keras_training_config(e);
  info.experiment_yaml = config_yaml;

  if (options.verbosity != Verbosity::kQuiet) {
    fmt::print(options.out, "{}", model.summary(e.model_name));
    fmt::print(options.out, "data: {} training, {} validation, {} test images\n",
               d.split.train.size(), d.split.validation.size(), d.data.test.count);
  }
  TrainContext ctx;
  ctx.run_dir = run_dir;
  ctx.save_state = [&](TrainingState& state) {
    state.config_hash = run_hash;
    save_training_state(run_dir / "state.bin", state);
  };
  ctx.save_checkpoint = [&](const std::filesystem::path& path, bool weights_only) {
    save_checkpoint(path, model, info, optimizer.get(), weights_only);
  };
  FitSettings settings{e.epochs, e.batch_size,   e.initial_epoch,      e.shuffle,
                       e.seed,   options.resume, options.data_parallel};
  const auto started = std::chrono::steady_clock::now();
  FitOutcome fitted = fit(model, *optimizer, *loss, callbacks, d.data.train, d.split.train,
                          d.split.validation, settings, ctx, progress);
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (fitted.stopped_early && options.verbosity != Verbosity::kQuiet) {
    fmt::print(options.out, "Epoch {}/{}: early stopping{}\n", fitted.history.epochs().back().epoch,
               e.epochs, fitted.restored_note ? "; " + *fitted.restored_note : "");
  }
  save_checkpoint(run_dir / "model-final.h5", model, info, optimizer.get(), false);

  RunOutcome outcome;
  outcome.run_dir = run_dir;
  outcome.epochs_run = static_cast<std::int64_t>(fitted.history.epochs().size());
  outcome.stopped_early = fitted.stopped_early;
  YAML::Node summary = fit_summary(e, options, d, model, fitted, train_seconds, run_dir);
  evaluate_splits(e, options, d, model, *loss, summary, outcome);
  predict_samples(e, options, d, model, run_dir, summary);
  write_run_files(e, d, config_yaml, fitted.history, outcome, summary);
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
