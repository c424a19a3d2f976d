#include "framework/search/search_space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace runner {

bool Distribution::single() const {
  if (categorical()) {
    return choices.size() == 1;
  }
  return low == high;
}

double Distribution::snap(double value) const {
  if (categorical()) {
    return std::clamp(std::round(value), 0.0, static_cast<double>(choices.size()) - 1);
  }
  if (kind == Kind::kInt || step) {
    const double q = step.value_or(1.0);
    value = std::round((value - low) / q) * q + low;
  }
  return std::clamp(value, low, high);
}

std::optional<std::vector<double>> Distribution::values(std::uint64_t limit) const {
  if (categorical()) {
    if (choices.size() > limit) {
      return std::nullopt;
    }
    std::vector<double> out(choices.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<double>(i);
    }
    return out;
  }
  if (kind != Kind::kInt && !step) {
    if (single()) {
      return std::vector<double>{low};
    }
    return std::nullopt;
  }
  const double q = step.value_or(1.0);
  const double n = std::floor((high - low) / q + 1e-9) + 1;
  if (!(n <= static_cast<double>(limit))) {
    return std::nullopt;
  }
  std::vector<double> out;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(n); ++i) {
    out.push_back(snap(low + q * static_cast<double>(i)));
  }
  return out;
}

std::string Distribution::text(double internal) const {
  if (categorical()) {
    return choices.at(static_cast<std::size_t>(snap(internal)));
  }
  if (kind == Kind::kInt) {
    return fmt::format("{}", static_cast<long long>(snap(internal)));
  }
  return fmt::format("{}", snap(internal));  // shortest text that reads back the same double
}

double Distribution::internal(const std::string& text) const {
  if (categorical()) {
    const auto it = std::find(choices.begin(), choices.end(), text);
    if (it == choices.end()) {
      throw std::invalid_argument(fmt::format("'{}' is not one of the choices", text));
    }
    return static_cast<double>(it - choices.begin());
  }
  std::size_t used = 0;
  const double value = std::stod(text, &used);
  if (used != text.size() || !(value >= low && value <= high)) {
    throw std::invalid_argument(fmt::format("'{}' is not a number in [{}, {}]", text, low, high));
  }
  return value;
}

const SearchParameter* SearchSpace::find(const std::string& path) const {
  for (const auto& p : parameters) {
    if (p.path == path) {
      return &p;
    }
  }
  return nullptr;
}

bool SearchSpace::active(const SearchParameter& p, const ParameterValues& chosen) const {
  if (!p.condition) {
    return true;
  }
  const auto it = chosen.find(p.condition->parent);
  const SearchParameter* parent = find(p.condition->parent);
  if (it == chosen.end() || parent == nullptr) {
    return false;
  }
  const std::string text = parent->distribution.text(it->second);
  return std::find(p.condition->values.begin(), p.condition->values.end(), text) !=
         p.condition->values.end();
}

namespace {
// Depth-first over the parameters in order; a parameter that does not apply adds no branch.
struct SettingWalk {
  const SearchSpace& space;
  const std::vector<std::vector<double>>& values;  // per parameter
  const std::function<bool(const ParameterValues&)>& visit;
  ParameterValues current;

  bool walk(std::size_t k) {
    if (k == space.parameters.size()) {
      return visit(current);
    }
    const SearchParameter& p = space.parameters[k];
    if (!space.active(p, current)) {
      return walk(k + 1);
    }
    for (const double v : values[k]) {
      current[p.path] = v;
      if (!walk(k + 1)) {
        current.erase(p.path);
        return false;
      }
    }
    current.erase(p.path);
    return true;
  }
};
}  // namespace

namespace {
// Every parameter's values (Distribution::values), or none when one is continuous or too many.
std::optional<std::vector<std::vector<double>>> discrete_values(const SearchSpace& space,
                                                                std::uint64_t limit) {
  std::vector<std::vector<double>> values;
  for (const auto& p : space.parameters) {
    auto v = p.distribution.values(limit);
    if (!v) {
      return std::nullopt;
    }
    values.push_back(std::move(*v));
  }
  return values;
}

// How many settings the walk over `values` visits, or none past `limit`.
std::optional<std::uint64_t> count_settings(const SearchSpace& space,
                                            const std::vector<std::vector<double>>& values,
                                            std::uint64_t limit) {
  std::uint64_t count = 0;
  const std::function<bool(const ParameterValues&)> counter = [&](const ParameterValues&) {
    return ++count <= limit;
  };
  SettingWalk walk{space, values, counter, {}};
  if (!walk.walk(0)) {
    return std::nullopt;
  }
  return count;
}
}  // namespace

std::optional<std::uint64_t> SearchSpace::size(std::uint64_t limit) const {
  const auto values = discrete_values(*this, limit);
  return values ? count_settings(*this, *values, limit) : std::nullopt;
}

bool SearchSpace::for_each_setting(std::uint64_t limit,
                                   const std::function<bool(const ParameterValues&)>& visit) const {
  const auto values = discrete_values(*this, limit);
  if (!values || !count_settings(*this, *values, limit)) {
    return false;
  }
  SettingWalk walk{*this, *values, visit, {}};
  (void)walk.walk(0);
  return true;
}

std::vector<std::pair<std::string, std::string>> SearchSpace::texts(
    const ParameterValues& values) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : parameters) {
    if (const auto it = values.find(p.path); it != values.end()) {
      out.emplace_back(p.path, p.distribution.text(it->second));
    }
  }
  return out;
}

}  // namespace runner
