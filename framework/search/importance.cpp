#include "framework/search/importance.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>

#include "framework/core/text.hpp"

namespace runner {

namespace {
constexpr std::size_t kBins = 5;

bool all_numbers(const std::vector<std::string>& texts) {
  return std::all_of(texts.begin(), texts.end(),
                     [](const std::string& t) { return parse_number(t).has_value(); });
}

// Each trial's group: its value (choices, or numbers with few distinct values), else its
// equal-count bin of the sorted values.
std::vector<std::string> groups_of(const std::vector<std::string>& texts) {
  std::map<std::string, int> distinct;
  for (const auto& t : texts) {
    ++distinct[t];
  }
  if (distinct.size() <= kBins || !all_numbers(texts)) {
    return texts;
  }
  std::vector<std::size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::strtod(texts[a].c_str(), nullptr) < std::strtod(texts[b].c_str(), nullptr);
  });
  // Equal values share the bin of their first one, so the bins do not depend on trial order.
  std::vector<std::string> groups(texts.size());
  std::size_t first = 0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    if (rank > 0 && std::strtod(texts[order[rank]].c_str(), nullptr) !=
                        std::strtod(texts[order[rank - 1]].c_str(), nullptr)) {
      first = rank;
    }
    groups[order[rank]] = std::to_string(first * kBins / order.size());
  }
  return groups;
}
}  // namespace

std::vector<double> parameter_importance(const std::vector<std::vector<std::string>>& columns,
                                         const std::vector<double>& y) {
  std::vector<double> out(columns.size(), 0.0);
  const auto n = static_cast<double>(y.size());
  if (y.size() < 2) {
    return out;
  }
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double total = 0;
  for (const double v : y) {
    total += (v - mean) * (v - mean);
  }
  if (!(total > 0)) {
    return out;
  }
  for (std::size_t p = 0; p < columns.size(); ++p) {
    std::map<std::string, std::pair<double, double>> sums;  // group -> (sum, count)
    const auto groups = groups_of(columns[p]);
    for (std::size_t t = 0; t < y.size(); ++t) {
      auto& [sum, count] = sums[groups[t]];
      sum += y[t];
      count += 1;
    }
    double between = 0;
    for (const auto& [group, sc] : sums) {
      const double m = sc.first / sc.second;
      between += sc.second * (m - mean) * (m - mean);
    }
    out[p] = between / total;
  }
  const double sum = std::accumulate(out.begin(), out.end(), 0.0);
  if (sum > 0) {
    for (double& v : out) {
      v /= sum;
    }
  }
  return out;
}

}  // namespace runner
