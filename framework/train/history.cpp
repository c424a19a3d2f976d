#include "framework/train/history.hpp"

#include <algorithm>

namespace runner {

void Logs::set(const std::string& name, double value) {
  for (auto& item : items_) {
    if (item.first == name) {
      item.second = value;
      return;
    }
  }
  items_.emplace_back(name, value);
}

std::optional<double> Logs::get(const std::string& name) const {
  for (const auto& item : items_) {
    if (item.first == name) {
      return item.second;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Logs::names() const {
  std::vector<std::string> out;
  for (const auto& item : items_) {
    out.push_back(item.first);
  }
  return out;
}

std::vector<std::string> History::metric_names() const {
  std::vector<std::string> out;
  for (const auto& record : epochs_) {
    for (const auto& name : record.logs.names()) {
      if (std::find(out.begin(), out.end(), name) == out.end()) {
        out.push_back(name);
      }
    }
  }
  return out;
}

}  // namespace runner
