#include "data/source.hpp"

namespace runner {

DataSourceRegistry& data_source_registry() {
  static DataSourceRegistry registry("data source");
  return registry;
}

std::string sample_place(const LabelColumn& labels, std::int64_t i) {
  if (!labels.lines.empty()) {
    return fmt::format("line {}", labels.lines[static_cast<std::size_t>(i)]);
  }
  return fmt::format("item {}", i);
}

}  // namespace runner
