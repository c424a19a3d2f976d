#include <fmt/format.h>

#include <iostream>

#include "framework/app/run_data.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/model_source.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"
#include "framework/train/class_report.hpp"
#include "framework/train/trainer.hpp"

namespace runner::cli {

int evaluate_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string source_path;
  std::string split;
  std::int64_t batch_size = 32;
  po::options_description desc(
      "runner evaluate RUN_FOLDER|CHECKPOINT.h5 [options]\n"
      "Loss, metrics and per-class results of a trained model on one split, from the files alone");
  desc.add_options()("source", po::value(&source_path), "run folder or HDF5 checkpoint")(
      "split", po::value(&split)->default_value("test"), "test | validation | train")(
      "batch-size", po::value(&batch_size)->default_value(32), "evaluation batch size")(
      "experiment", po::value(&common.experiment),
      "take data settings from this experiment file (for checkpoints that lack them)");
  add_common_options(desc, common);
  parse(args, desc, {"source"}, "evaluate");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (source_path.empty()) {
    throw ConfigError("runner evaluate: missing RUN_FOLDER or CHECKPOINT.h5");
  }
  check_split(split, "evaluate");
  if (batch_size <= 0 || batch_size > 65536) {
    throw ConfigError(
        fmt::format("runner evaluate: --batch-size must be in 1..65536, got {}", batch_size));
  }
  ThreadLimit threads(common.threads);
  ModelSource source = open_model_source(source_path, common.experiment, common.overrides);
  source.model.prepare(batch_size);
  RunData d;
  load_run_data(source.experiment, *source.loss, d);
  plan_run_data(source.experiment, *source.loss, source.model, d, source.preprocessing);
  const MetricSet metrics(make_metrics(source.experiment), source.loss->targets());
  const Objective objective{*source.loss, metrics, d.preprocessing};
  const Part& part = d.parts[split];
  if (part.size() == 0) {
    throw ConfigError(
        fmt::format("runner evaluate: the {} split is empty for this experiment", split));
  }
  const Evaluation result = evaluate(source.model, objective, part, batch_size);
  fmt::print("{}: {} split of {}, {} samples\n", source.description, split, part.set->description,
             result.count);
  std::string line = "loss " + fixed(result.loss, 4);
  for (const auto& [name, value] : result.metrics.items()) {
    line += fmt::format(" - {} {}", name, fixed(value, 4));
  }
  fmt::print("{}: {}\n", split, line);
  if (!d.class_names.empty() && part.set->has_classes()) {
    const Tensor outputs = predict(source.model, objective, *part.set, part.indices, batch_size);
    fmt::print("{}", class_report(outputs, part.classes(), d.class_names).table());
  }
  return 0;
}

}  // namespace runner::cli
