#pragma once
// What a sweep may try: named parameters (key paths of the experiment file), each a list of
// choices or a numeric range, some only when another parameter has certain values. Values
// travel as the YAML text `--set` takes; samplers work on an internal number per parameter
// (the index of a choice, or the value itself), as Optuna's distributions do.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace runner {

struct Distribution {
  enum class Kind { kCategorical, kInt, kFloat };
  Kind kind = Kind::kCategorical;
  std::vector<std::string> choices;  // categorical: the YAML text of each
  double low = 0;
  double high = 0;
  std::optional<double> step;  // int (default 1) or float (none: continuous)
  bool log = false;

  [[nodiscard]] bool categorical() const { return kind == Kind::kCategorical; }
  // One possible value: nothing to choose.
  [[nodiscard]] bool single() const;
  // The text for an internal value (an index, or a number rounded to the step).
  [[nodiscard]] std::string text(double internal) const;
  // The internal value of a text (throws std::invalid_argument for a value outside).
  [[nodiscard]] double internal(const std::string& text) const;
  // Snaps a number into the range and onto the step (ints to integers).
  [[nodiscard]] double snap(double value) const;
  // Every internal value of a discrete distribution (choices, ints, floats with a step), in
  // order; none for a continuous one or one with more than `limit` values.
  [[nodiscard]] std::optional<std::vector<double>> values(std::uint64_t limit) const;
};

// `parameter` exists only when `parent` has one of `values` (e.g. momentum only for sgd).
struct Condition {
  std::string parent;
  std::vector<std::string> values;
};

struct SearchParameter {
  std::string path;
  Distribution distribution;
  std::optional<Condition> condition;
};

// Parameter path -> internal value, for the parameters a trial has.
using ParameterValues = std::map<std::string, double>;

struct SearchSpace {
  std::vector<SearchParameter> parameters;  // parents before the parameters that depend on them

  [[nodiscard]] const SearchParameter* find(const std::string& path) const;
  // Whether `p` applies given the values chosen so far.
  [[nodiscard]] bool active(const SearchParameter& p, const ParameterValues& chosen) const;
  // Calls `visit` with each distinct setting (the parameters that apply, and nothing else) of a
  // space with at most `limit` of them, until it returns false. Returns false without visiting
  // anything when a parameter is continuous or the space has more than `limit` settings.
  bool for_each_setting(std::uint64_t limit,
                        const std::function<bool(const ParameterValues&)>& visit) const;
  // How many distinct settings, when `for_each_setting` could visit them.
  [[nodiscard]] std::optional<std::uint64_t> size(std::uint64_t limit) const;
  // (path, text) in the space's order, for the parameters `values` has.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> texts(
      const ParameterValues& values) const;
};

}  // namespace runner
