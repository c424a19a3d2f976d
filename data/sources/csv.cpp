// A CSV file with a header: one label column, feature columns by name or all the others.
// Labels that are all numbers stay numbers (class indices or regression targets); any other
// text makes them class names (mapped to indices in sorted order). Missing values are errors
// with their line, never filled in.
#include "data/readers/csv_reader.hpp"
#include "data/source.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner {

namespace {

class CsvSource final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("csv", "a CSV file with a header row: a label column and numeric feature columns")
            .text("path", "path of the .csv file")
            .required()
            .text("label", "name of the label column")
            .required()
            .any("features",
                 "names of the feature columns, in the order the model sees them (default: every "
                 "column but the label, in file order)",
                 YAML::Node(YAML::NodeType::Null))
            .text("delimiter", "the field separator (one character)", std::string(","));
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<CsvSource>();
    source->path_ = p.text("path");
    source->label_ = p.text("label");
    const std::string delimiter = p.text("delimiter");
    if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n") {
      p.error(
          "delimiter",
          fmt::format("expected one character (not a quote or line break), got '{}'", delimiter));
      return nullptr;
    }
    source->delimiter_ = delimiter[0];
    const YAML::Node features = p.node("features");
    if (features.IsSequence() && features.size() > 0) {
      for (const auto& f : features) {
        if (!f.IsScalar()) {
          p.error("features", "expected a list of column names");
          return nullptr;
        }
        source->features_.push_back(f.Scalar());
      }
    } else if (!features.IsNull()) {
      p.error("features", "expected a non-empty list of column names (or nothing: all others)");
      return nullptr;
    }
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "csv"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    CsvReader csv(path_, delimiter_);
    const std::size_t label = csv.column(label_);
    std::vector<std::size_t> columns;
    if (features_.empty()) {
      for (std::size_t i = 0; i < csv.header().size(); ++i) {
        if (i != label) {
          columns.push_back(i);
        }
      }
    } else {
      for (const auto& name : features_) {
        if (name == label_) {
          throw DataError(
              fmt::format("{}: the label column '{}' is also listed as a feature", path_, name));
        }
        columns.push_back(csv.column(name));
      }
    }
    if (columns.empty()) {
      throw DataError(fmt::format("{}: no feature columns besides the label '{}'", path_, label_));
    }
    SourceData data;
    data.description = path_;
    data.y.origin = fmt::format("{}, column '{}'", path_, label_);
    std::vector<float> values;
    std::vector<std::string> fields;
    std::vector<std::string> label_text;
    bool all_numbers = true;
    std::int64_t count = 0;
    while ((!context.limit || count < *context.limit) && csv.next(fields)) {
      for (const std::size_t c : columns) {
        const std::string& field = fields[c];
        if (is_missing(field)) {
          throw DataError(
              fmt::format("{}: line {}, column '{}': missing value '{}'; runner does "
                          "not guess: fill or drop it in the file",
                          path_, csv.line(), csv.header()[c], field));
        }
        const auto v = parse_number(field);
        if (!v || !std::isfinite(static_cast<float>(*v))) {
          throw DataError(fmt::format("{}: line {}, column '{}': '{}' is not a number", path_,
                                      csv.line(), csv.header()[c], field));
        }
        values.push_back(static_cast<float>(*v));
      }
      if (is_missing(fields[label])) {
        throw DataError(fmt::format("{}: line {}, column '{}': missing label '{}'", path_,
                                    csv.line(), label_, fields[label]));
      }
      all_numbers = all_numbers && parse_number(fields[label]).has_value();
      label_text.push_back(fields[label]);
      data.y.lines.push_back(csv.line());
      ++count;
    }
    if (count == 0) {
      throw DataError(fmt::format("{}: no rows after the header", path_));
    }
    if (all_numbers) {
      data.y.numbers.reserve(label_text.size());
      for (const auto& t : label_text) {
        data.y.numbers.push_back(*parse_number(t));
      }
    } else {
      data.y.names = std::move(label_text);
    }
    for (const std::size_t c : columns) {
      data.feature_names.push_back(csv.header()[c]);
    }
    data.x = FeatureArray::of_floats(std::move(values), count,
                                     Shape{static_cast<std::int64_t>(columns.size())});
    return data;
  }

 private:
  std::string path_;
  std::string label_;
  std::vector<std::string> features_;
  char delimiter_ = ',';
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(CsvSource);

}  // namespace runner
