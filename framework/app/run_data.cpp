#include "framework/app/run_data.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"

namespace runner {

void load_run_data(const Experiment& e, const Loss& loss, RunData& d) {
  const Task task =
      loss.targets() == LossTargets::kValue ? Task::kRegression : Task::kClassification;
  d.data = load_dataset(make_data_sources(e), task, e.input_shape);
  d.input = e.input_shape.value_or(d.data.train.sample_shape());
  if (d.input != d.data.train.sample_shape()) {
    throw ConfigError(fmt::format("{}: model.input_shape {} does not match the inputs of {} ({})",
                                  e.file, d.input.str(), d.data.train.description,
                                  d.data.train.sample_shape().str()));
  }
  d.parts = partition(d.data, e.data.split, e.seed);
  if (d.parts.train.size() == 0) {
    throw ConfigError(
        fmt::format("{}: no training samples left after the validation and test splits", e.file));
  }
}

namespace {

void plan_targets(const Experiment& e, const Loss& loss, RunData& d, std::int64_t outputs) {
  const Samples& train = d.data.train;
  Preprocessing& p = d.preprocessing;
  const std::string loss_name(loss.type());
  auto fail = [&](const std::string& why) {
    throw ConfigError(fmt::format("{}: {}", e.file, why));
  };
  // A label the model cannot output is the data file's problem: DataError (exit 1).
  auto check_classes = [&](std::int64_t classes) {
    for (const Samples* s : {&d.data.train, &d.data.validation, &d.data.test}) {
      if (const std::string bad = label_outside(*s, classes); !bad.empty()) {
        throw DataError(fmt::format("{} is outside the {} classes the model outputs (0..{} for {})",
                                    bad, classes, classes - 1, loss_name));
      }
    }
  };
  switch (loss.targets()) {
    case LossTargets::kClassIndex:
      if (!train.has_classes()) {
        fail(
            fmt::format("{} needs one class index per sample, but the labels are rows of {} "
                        "values; use categorical_crossentropy",
                        loss_name, train.value_width));
      }
      if (e.data.one_hot) {
        fail(
            fmt::format("data.preprocessing.one_hot makes label rows, but {} reads class "
                        "indices; use categorical_crossentropy (or drop one_hot)",
                        loss_name));
      }
      p.targets = TargetEncoding::kClasses;
      break;
    case LossTargets::kDistribution:
    case LossTargets::kBinary:
      if (train.has_classes()) {
        const bool binary = loss.targets() == LossTargets::kBinary && outputs == 1;
        if (!binary && !e.data.one_hot) {
          fail(
              fmt::format("{} needs one-hot label rows: set data.preprocessing.one_hot: true, or "
                          "use sparse_categorical_crossentropy with class indices",
                          loss_name));
        }
        p.targets = binary ? TargetEncoding::kBinary : TargetEncoding::kOneHot;
        p.classes = binary ? 2 : outputs;
      } else if (train.value_width != outputs) {
        fail(fmt::format("the label rows have {} values, but the model has {} outputs",
                         train.value_width, outputs));
      } else {
        p.targets = TargetEncoding::kValues;
      }
      break;
    case LossTargets::kValue:
      if (train.value_width != outputs) {
        fail(fmt::format("the targets have {} value{} per sample, but the model has {} outputs",
                         train.value_width, train.value_width == 1 ? "" : "s", outputs));
      }
      if (e.data.one_hot) {
        fail("data.preprocessing.one_hot applies to class labels; a regression loss reads values");
      }
      p.targets = TargetEncoding::kValues;
      break;
  }
  if (loss.targets() == LossTargets::kValue) {
    return;
  }
  const std::int64_t classes =
      p.targets == TargetEncoding::kBinary ? 2 : std::max<std::int64_t>(outputs, 1);
  if (!e.data.class_names.empty()) {
    if (static_cast<std::int64_t>(e.data.class_names.size()) != classes) {
      fail(fmt::format("data.class_names has {} names, but there are {} classes",
                       e.data.class_names.size(), classes));
    }
    d.class_names = e.data.class_names;
  } else if (!d.data.class_names.empty()) {
    if (static_cast<std::int64_t>(d.data.class_names.size()) != classes) {
      fail(fmt::format("the model's output is {} but the data has {} classes", Shape{outputs}.str(),
                       d.data.class_names.size()));
    }
    d.class_names = d.data.class_names;
  } else {
    for (std::int64_t c = 0; c < classes; ++c) {
      d.class_names.push_back(std::to_string(c));
    }
  }
  // After the class names: a model of the wrong width for named classes is the experiment's
  // problem, a label beyond the classes the file's.
  if (p.targets != TargetEncoding::kValues) {
    check_classes(classes);
  }
}

// Scaling ("auto": 1/255 for bytes, 1 for numbers) and standardisation fitted on the training
// part only.
void plan_inputs(const Experiment& e, RunData& d) {
  Preprocessing& p = d.preprocessing;
  const std::string scale = e.data.scale == "auto"
                                ? (d.data.train.x.type() == ElementType::kUint8 ? "1/255" : "1")
                                : e.data.scale;
  parse_scale(scale, p);
  if (e.data.standardize) {
    fit_standardization(p, d.data.train, d.parts.train.indices);
  }
}

}  // namespace

void plan_run_data(const Experiment& e, const Loss& loss, const Model& model, RunData& d,
                   const std::optional<StoredPreprocessing>& stored) {
  if (model.output_shape().rank() != 1) {
    throw ConfigError(fmt::format("{}: the model's output is {}; end it with Flatten and Dense",
                                  e.file, model.output_shape().str()));
  }
  plan_targets(e, loss, d, model.output_shape()[0]);
  if (stored) {
    d.preprocessing = stored->preprocessing;
    if (!stored->class_names.empty()) {
      d.class_names = stored->class_names;
    }
    if (d.preprocessing.standardizes() &&
        static_cast<std::int64_t>(d.preprocessing.mean.size()) != d.data.train.x.sample_size()) {
      throw ConfigError(fmt::format("the stored standardisation has {} features, the data {}",
                                    d.preprocessing.mean.size(), d.data.train.x.sample_size()));
    }
    return;
  }
  plan_inputs(e, d);
}

}  // namespace runner
