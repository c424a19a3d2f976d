#include <fmt/format.h>

#include <iostream>
#include <numeric>

#include "data/new_inputs.hpp"
#include "framework/app/run_data.hpp"
#include "framework/cli/commands.hpp"
#include "framework/cli/model_source.hpp"
#include "framework/cli/options.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"
#include "framework/train/class_report.hpp"
#include "framework/train/trainer.hpp"

namespace runner::cli {

namespace {

// What the model says about one sample: the class and its probability, or the value.
struct Answer {
  std::string text;              // "Bag (p=0.981); Bag 0.9810 Sandal 0.0190" or "151.3"
  std::vector<std::string> csv;  // the row's cells after the input's name
};

Answer answer(const float* out, std::size_t width, const std::vector<std::string>& names) {
  Answer a;
  if (names.empty()) {  // regression
    std::string values;
    for (std::size_t j = 0; j < width; ++j) {
      values += fmt::format("{}{:.6g}", j > 0 ? ", " : "", out[j]);
      a.csv.push_back(fmt::format("{}", out[j]));
    }
    a.text = values;
    return a;
  }
  const std::vector<float> probs = class_probabilities(std::span(out, width));
  const std::size_t best = predicted_class(probs);
  a.text = fmt::format("{} (p={});", names[best], fixed(probs[best], 3));
  a.csv.push_back(names[best]);
  for (std::size_t c = 0; c < probs.size(); ++c) {
    a.text += fmt::format(" {} {}", names[c], fixed(probs[c], 4));
    a.csv.push_back(fmt::format("{}", probs[c]));
  }
  return a;
}

}  // namespace

int predict_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string source_path;
  std::string split;
  std::string input;
  std::string output;
  std::int64_t index = 0;
  po::options_description desc(
      "runner predict RUN_FOLDER|CHECKPOINT.h5 [options]\n"
      "Class probabilities (or regression values) of new inputs or of one sample of a split");
  desc.add_options()("source", po::value(&source_path), "run folder or HDF5 checkpoint")(
      "input", po::value(&input),
      "predict for this file: an image (.png/.jpg), an .npy array or CSV rows")(
      "output", po::value(&output), "with --input: also write one CSV row per input here")(
      "split", po::value(&split)->default_value("validation"), "test | validation | train")(
      "index", po::value(&index)->default_value(0), "position of the sample within the split")(
      "experiment", po::value(&common.experiment),
      "take data settings from this experiment file (for checkpoints that lack them)");
  add_common_options(desc, common);
  parse(args, desc, {"source"}, "predict");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (source_path.empty()) {
    throw ConfigError("runner predict: missing RUN_FOLDER or CHECKPOINT.h5");
  }
  if (!output.empty() && input.empty()) {
    throw ConfigError("runner predict: --output writes the predictions of --input FILE");
  }
  check_split(split, "predict");
  ThreadLimit threads(common.threads);
  ModelSource source = open_model_source(source_path, common.experiment, common.overrides);
  const MetricSet no_metrics;
  if (!input.empty()) {
    // New inputs need no data files: the stored preprocessing says how to transform them.
    if (!source.preprocessing) {
      throw ConfigError(
          fmt::format("runner predict --input: {} stores no preprocessing (a file "
                      "written before runner stored it, or by Keras); predict on "
                      "a split instead",
                      source.description));
    }
    const StoredPreprocessing& stored = *source.preprocessing;
    const Samples samples =
        read_new_inputs(input, source.model.input_shape(), stored.feature_names);
    std::vector<std::int64_t> all(static_cast<std::size_t>(samples.count()));
    std::iota(all.begin(), all.end(), 0);
    const Objective objective{*source.loss, no_metrics, stored.preprocessing};
    const Tensor out = predict(source.model, objective, samples, all, 32);
    const std::size_t width = out.sample_size();
    std::string csv = "input";
    if (stored.class_names.empty()) {
      for (std::size_t j = 0; j < width; ++j) {
        csv += fmt::format(",output_{}", j);
      }
    } else {
      csv += ",predicted";
      for (const auto& name : stored.class_names) {
        csv += ",p_";
        csv += csv_field(name);
      }
    }
    csv += "\n";
    for (std::int64_t i = 0; i < samples.count(); ++i) {
      const Answer a =
          answer(out.data() + static_cast<std::size_t>(i) * width, width, stored.class_names);
      const std::string name = samples.count() == 1 ? input : fmt::format("{}[{}]", input, i);
      fmt::print("{}: {}\n", name, a.text);
      csv += csv_field(name);
      for (const auto& cell : a.csv) {
        csv += ',';
        csv += csv_field(cell);
      }
      csv += "\n";
    }
    if (!output.empty()) {
      write_text_file(output, csv);
      fmt::print("wrote {} rows to {}\n", samples.count(), output);
    }
    return 0;
  }
  RunData d;
  load_run_data(source.experiment, *source.loss, d);
  plan_run_data(source.experiment, *source.loss, source.model, d, source.preprocessing);
  const Part& part = d.parts[split];
  if (index < 0 || index >= part.size()) {
    throw ConfigError(fmt::format("runner predict: --index {} is outside the {} split (0..{})",
                                  index, split, part.size() - 1));
  }
  const std::int64_t sample = part.indices[static_cast<std::size_t>(index)];
  const std::int64_t one[] = {sample};
  const Objective objective{*source.loss, no_metrics, d.preprocessing};
  const Tensor out = predict(source.model, objective, *part.set, one, 1);
  const std::size_t width = out.sample_size();
  const Samples& set = *part.set;
  fmt::print("predict {}[{}] (sample {} of {})\n", split, index, sample, set.description);
  if (d.class_names.empty()) {
    fmt::print("target: {}\n", set.values[static_cast<std::size_t>(sample) * set.value_width]);
    fmt::print("output: {}\n", answer(out.data(), width, {}).text);
    return 0;
  }
  const auto label = static_cast<std::size_t>(set.classes[static_cast<std::size_t>(sample)]);
  fmt::print("label: {}\n", d.class_names[label]);
  const std::vector<float> probs = class_probabilities(out.span());
  const std::size_t best = predicted_class(probs);
  for (std::size_t c = 0; c < probs.size(); ++c) {
    fmt::print("  {:<12} {}{}\n", d.class_names[c], fixed(probs[c], 4), c == best ? "  <-" : "");
  }
  fmt::print("class: {} (p={})\n", d.class_names[best], fixed(probs[best], 3));
  return 0;
}

}  // namespace runner::cli
