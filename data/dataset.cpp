#include "data/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "framework/core/errors.hpp"

namespace runner {

namespace {

void check_count(const SourceData& data) {
  const LabelColumn& y = data.y;
  const auto labels = static_cast<std::int64_t>(
      y.names.empty()
          ? y.numbers.size() / static_cast<std::size_t>(std::max<std::int64_t>(1, y.width))
          : y.names.size());
  if (labels != data.x.count()) {
    throw DataError(fmt::format("{}: {} labels for {} inputs", y.origin, labels, data.x.count()));
  }
  if (data.x.count() == 0) {
    throw DataError(fmt::format("{}: no samples", data.description));
  }
}

std::vector<std::int32_t> class_indices(const LabelColumn& y) {
  std::vector<std::int32_t> out(y.numbers.size());
  for (std::size_t i = 0; i < y.numbers.size(); ++i) {
    const double v = y.numbers[i];
    if (!(v >= 0 && v <= 1e6 && v == std::floor(v))) {
      throw DataError(fmt::format(
          "{}: {}: label {} is not a class index (an integer from 0); for real-valued targets "
          "use a regression loss (mean_squared_error, mean_absolute_error, huber)",
          y.origin, sample_place(y, static_cast<std::int64_t>(i)), v));
    }
    out[i] = static_cast<std::int32_t>(v);
  }
  return out;
}

std::vector<std::int32_t> named_classes(const LabelColumn& y, ClassMap& classes,
                                        bool first_source) {
  if (classes.empty() && first_source) {
    const std::set<std::string> sorted(y.names.begin(), y.names.end());
    classes.names.assign(sorted.begin(), sorted.end());
  }
  std::vector<std::int32_t> out(y.names.size());
  for (std::size_t i = 0; i < y.names.size(); ++i) {
    const auto it = std::lower_bound(classes.names.begin(), classes.names.end(), y.names[i]);
    if (it == classes.names.end() || *it != y.names[i]) {
      throw DataError(fmt::format("{}: {}: label '{}' is not one of the training data's classes",
                                  y.origin, sample_place(y, static_cast<std::int64_t>(i)),
                                  y.names[i]));
    }
    out[i] = static_cast<std::int32_t>(it - classes.names.begin());
  }
  return out;
}

}  // namespace

Samples to_samples(SourceData data, Task task, ClassMap& classes, bool first_source) {
  check_count(data);
  LabelColumn& y = data.y;
  Samples s;
  s.description = data.description;
  if (task == Task::kRegression) {
    if (!y.names.empty()) {
      throw DataError(
          fmt::format("{}: {}: label '{}' is not a number (a regression loss needs "
                      "numeric targets)",
                      y.origin, sample_place(y, 0), y.names.front()));
    }
    s.values.assign(y.numbers.begin(), y.numbers.end());
    s.value_width = y.width;
  } else if (!y.names.empty()) {
    s.classes = named_classes(y, classes, first_source);
  } else if (y.width > 1) {
    s.values.assign(y.numbers.begin(), y.numbers.end());  // one-hot (or multi-label) rows
    s.value_width = y.width;
  } else {
    s.classes = class_indices(y);
  }
  s.x = std::move(data.x);
  s.label_places.origin = y.origin;
  s.label_places.lines = std::move(y.lines);
  return s;
}

std::string label_outside(const Samples& s, std::int64_t classes) {
  for (std::size_t i = 0; i < s.classes.size(); ++i) {
    if (s.classes[i] >= classes) {
      return fmt::format("{}: {}: label {}", s.label_places.origin,
                         sample_place(s.label_places, static_cast<std::int64_t>(i)), s.classes[i]);
    }
  }
  return "";
}

}  // namespace runner

namespace runner {

Dataset load_dataset(const DataSources& sources, Task task, std::optional<Shape> input_shape) {
  Dataset d;
  ClassMap classes;
  SourceData train = sources.train->load(LoadContext{sources.limit, input_shape});
  d.class_names = train.class_names;
  d.feature_names = train.feature_names;
  d.train = to_samples(std::move(train), task, classes, true);
  auto load_other = [&](const DataSource* source, std::optional<std::int64_t> limit) {
    if (source == nullptr) {
      return Samples{};
    }
    Samples s = to_samples(source->load(LoadContext{limit, input_shape}), task, classes, false);
    if (s.sample_shape() != d.train.sample_shape()) {
      throw DataError(fmt::format("{}: inputs of shape {}, but the training inputs are {}",
                                  s.description, s.sample_shape().str(),
                                  d.train.sample_shape().str()));
    }
    if (s.value_width != d.train.value_width) {
      throw DataError(fmt::format("{}: labels of width {}, but the training labels have {}",
                                  s.description, s.value_width, d.train.value_width));
    }
    return s;
  };
  d.validation = load_other(sources.validation.get(), std::nullopt);
  d.test = load_other(sources.test.get(), sources.test_limit);
  if (!classes.empty()) {
    d.class_names = classes.names;
  }
  return d;
}

}  // namespace runner
