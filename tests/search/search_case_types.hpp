#pragma once
// The shapes of the Optuna reference cases (tests/search/optuna_cases.hpp).
#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/search/search_space.hpp"

namespace runner::test::reference {

inline Distribution categorical(std::size_t n) {
  Distribution d;
  for (std::size_t i = 0; i < n; ++i) {
    d.choices.push_back(fmt::format("c{}", i));
  }
  return d;
}
inline Distribution int_range(double low, double high, double step, bool log) {
  Distribution d;
  d.kind = Distribution::Kind::kInt;
  d.low = low;
  d.high = high;
  d.step = step;
  d.log = log;
  return d;
}
inline Distribution float_range(double low, double high, std::optional<double> step, bool log) {
  Distribution d;
  d.kind = Distribution::Kind::kFloat;
  d.low = low;
  d.high = high;
  d.step = step;
  d.log = log;
  return d;
}

struct ParzenCase {
  std::string name;
  bool multivariate;
  std::vector<Distribution> distributions;
  std::vector<std::vector<double>> observations;  // [parameter][observation]
  std::vector<std::vector<double>> points;        // [parameter][point]
  std::vector<double> log_pdf;                    // Optuna's, per point
};

using Curve = std::map<std::int64_t, double>;  // epoch -> metric

struct PrunerCase {
  std::string name;
  std::string pruner;  // median | asha | hyperband
  std::vector<std::int64_t> args;
  std::vector<Curve> completed, pruned;
  Curve running;
  std::int64_t max_epochs;
  bool pruned_decision;     // Optuna pruned the running trial ...
  std::int64_t decided_at;  // ... at this epoch (or ran to it)
};

}  // namespace runner::test::reference
