#include "framework/train/class_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace runner {

std::vector<float> class_probabilities(std::span<const float> outputs) {
  if (outputs.size() == 1) {
    return {1 - outputs[0], outputs[0]};
  }
  return {outputs.begin(), outputs.end()};
}

std::size_t predicted_class(std::span<const float> probabilities) {
  return static_cast<std::size_t>(std::max_element(probabilities.begin(), probabilities.end()) -
                                  probabilities.begin());
}

ClassReport class_report(const Tensor& outputs, std::span<const std::int32_t> truth,
                         const std::vector<std::string>& class_names) {
  ClassReport r;
  r.class_names = class_names;
  const std::size_t k = class_names.size();
  r.confusion.assign(k * k, 0);
  const std::size_t width = outputs.sample_size();
  for (std::size_t n = 0; n < truth.size(); ++n) {
    const std::size_t predicted =
        predicted_class(class_probabilities(outputs.span().subspan(n * width, width)));
    ++r.confusion[static_cast<std::size_t>(truth[n]) * k + predicted];
  }
  std::int64_t total = 0;
  for (std::size_t c = 0; c < k; ++c) {
    std::int64_t predicted = 0;
    ClassScores s;
    for (std::size_t o = 0; o < k; ++o) {
      predicted += r.count(o, c);
      s.support += r.count(c, o);
    }
    const auto hits = static_cast<double>(r.count(c, c));
    s.precision = predicted > 0 ? hits / static_cast<double>(predicted) : 0.0;
    s.recall = s.support > 0 ? hits / static_cast<double>(s.support) : 0.0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
    r.classes.push_back(s);
    total += s.support;
  }
  for (const ClassScores& s : r.classes) {
    const double w = total > 0 ? static_cast<double>(s.support) / static_cast<double>(total) : 0;
    r.macro.precision += s.precision / static_cast<double>(k);
    r.macro.recall += s.recall / static_cast<double>(k);
    r.macro.f1 += s.f1 / static_cast<double>(k);
    r.weighted.precision += s.precision * w;
    r.weighted.recall += s.recall * w;
    r.weighted.f1 += s.f1 * w;
  }
  r.macro.support = r.weighted.support = total;
  return r;
}

std::string ClassReport::table() const {
  std::size_t name_width = 12;
  for (const auto& n : class_names) {
    name_width = std::max(name_width, n.size());
  }
  std::string out =
      fmt::format("{:>{}}  precision    recall  f1-score   support\n", "", name_width);
  auto line = [&](const std::string& name, const ClassScores& s) {
    return fmt::format("{:>{}}     {:6.4f}    {:6.4f}    {:6.4f}  {:8}\n", name, name_width,
                       s.precision, s.recall, s.f1, s.support);
  };
  for (std::size_t c = 0; c < classes.size(); ++c) {
    out += line(class_names[c], classes[c]);
  }
  out += '\n';
  out += line("macro avg", macro);
  out += line("weighted avg", weighted);
  return out;
}

}  // namespace runner
