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
