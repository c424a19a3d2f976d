#pragma once
// A data set as the trainer sees it: the inputs (data/features.hpp) and their targets, class
// labels or real values, after a source (data/source.hpp) read them. Batches are gathered
// through the run's Preprocessing (data/preprocessing.hpp).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/features.hpp"
#include "data/source.hpp"

namespace runner {

struct Samples {
  FeatureArray x;
  std::vector<std::int32_t> classes;  // classification with one label per sample
  std::vector<float> values;          // regression, or label rows given (one-hot): count * width
  std::int64_t value_width = 0;
  std::string description;  // where it came from (messages, summary)
  LabelColumn label_places;  // origin and lines of the labels (messages); no values kept

  [[nodiscard]] std::int64_t count() const { return x.count(); }
  [[nodiscard]] Shape sample_shape() const { return x.sample_shape(); }
  [[nodiscard]] bool has_classes() const { return !classes.empty(); }
};

// What the labels mean, from the loss: classes (integers or names) or real values.
enum class Task { kClassification, kRegression };

// Names of text labels in sorted order (scikit-learn's LabelEncoder), fitted on the training
// source and applied to the others.
struct ClassMap {
  std::vector<std::string> names;
  [[nodiscard]] bool empty() const { return names.empty(); }
};

// The first class label at or above `classes`, as "file: line 7: label 9"; empty when none.
std::string label_outside(const Samples& s, std::int64_t classes);

// Checks and converts what a source read. Classification: one label per sample, integers
// >= 0 or names (mapped through `classes`, filled from the first source when empty); rows of
// several numbers stay values (one-hot labels). Regression: numbers only. Throws DataError
// naming the file and the line or item.
Samples to_samples(SourceData data, Task task, ClassMap& classes, bool first_source);

struct Dataset {
  Samples train;                         // before any split
  Samples validation;                    // a source of its own, or empty (split off train)
  Samples test;                          // a source of its own, or empty (split off train, or none)
  std::vector<std::string> class_names;  // classification: what the sources know; may be empty
  std::vector<std::string> feature_names;  // the training source's (CSV), or empty
};

}  // namespace runner

namespace runner {

// The sources of a run, made from the experiment's data block; validation and test may be null.
struct DataSources {
  std::unique_ptr<DataSource> train, validation, test;
  std::optional<std::int64_t> limit;       // of the training source
  std::optional<std::int64_t> test_limit;  // of the test source
};

// Reads every source, converts the labels for `task` and checks the sources agree (sample
// shape, label width). Throws DataError.
Dataset load_dataset(const DataSources& sources, Task task, std::optional<Shape> input_shape);

}  // namespace runner
