// Model::summary: Keras 2.11's print_summary (keras/utils/layer_utils.py), character for
// character. Sequential models and graph models that are a chain print three columns on 65
// characters; other graph models add "Connected to" on 98.
#include <fmt/format.h>

#include <algorithm>

#include "framework/core/text.hpp"
#include "framework/nn/model.hpp"

namespace runner {

namespace {
// Keras' print_row: fixed column ends, text cut to fit and continued on the next line
// (breaking after "),"-like tokens), 2 spaces between columns.
void print_row(std::string& out, std::vector<std::string> fields, const std::vector<int>& ends) {
  auto any_left = [&] {
    return std::any_of(fields.begin(), fields.end(), [](const auto& f) { return !f.empty(); });
  };
  do {
    std::string line;
    for (std::size_t col = 0; col < fields.size(); ++col) {
      const int start = col > 0 ? ends[col - 1] : 0;
      const int space = col + 1 != ends.size() ? 2 : 0;
      std::size_t cutoff = static_cast<std::size_t>(std::max(0, ends[col] - start - space));
      std::string fit = fields[col].substr(0, cutoff);
      std::size_t best = std::string::npos;
      for (const char* token : {"),", "},", "],", "',"}) {
        const auto pos = fit.find(token);
        if (pos != std::string::npos) {
          best = std::min(best, pos + 2);
        }
      }
      if (best != std::string::npos) {
        cutoff = best;
        fit = fit.substr(0, cutoff);
      }
      if (col == 0) {
        line += " ";
      }
      line += fit;
      line += std::string(static_cast<std::size_t>(space), ' ');
      fields[col] = fields[col].size() > cutoff ? fields[col].substr(cutoff) : "";
      const auto target = static_cast<std::size_t>(ends[col]);
      if (line.size() < target) {
        line += std::string(target - line.size(), ' ');
      }
    }
    out += line + "\n";
  } while (any_left());
}

// Keras treats a Functional model as sequential-like when no layer has several inputs and no
// output feeds several layers.
bool chain_like(const Model& model) {
  for (std::size_t i = 0; i < model.size(); ++i) {
    if (model.entry(i).inputs.size() != 1 || model.consumer_count(i) > 1) {
      return false;
    }
  }
  // The model input read twice is a branch too.
  std::size_t input_readers = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    input_readers += model.entry(i).inputs.front() == Model::kModelInput ? 1 : 0;
  }
  return input_readers == 1;
}

// "['conv2d[0][0]', 'add[0][0]']": Python's str() of Keras' connection list.
std::string connections(const Model& model, const Model::Entry& e) {
  std::vector<std::string> parts;
  for (const long input : e.inputs) {
    const std::string& name = input == Model::kModelInput
                                  ? model.input_name()
                                  : model.entry(static_cast<std::size_t>(input)).name;
    parts.push_back(fmt::format("'{}[0][0]'", name));
  }
  return fmt::format("[{}]", fmt::join(parts, ", "));
}
}  // namespace

std::string Model::summary(const std::string& model_name) const {
  const bool with_connections = graph_ && !chain_like(*this);
  const int width = with_connections ? 98 : 65;
  // Keras: positions [.45, .85, 1.] of 65, or [.33, .55, .67, 1.] of 98.
  const std::vector<int> ends =
      with_connections ? std::vector<int>{32, 53, 65, 98} : std::vector<int>{29, 55, 65};
  std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
  if (with_connections) {
    header.emplace_back("Connected to");
  }
  std::string out = fmt::format("Model: \"{}\"\n", model_name);
  out += std::string(static_cast<std::size_t>(width), '_') + "\n";
  print_row(out, header, ends);
  out += std::string(static_cast<std::size_t>(width), '=') + "\n";
  const std::string blank = std::string(static_cast<std::size_t>(width), ' ') + "\n";
  if (graph_) {
    // A Functional model's layers include its InputLayer; its output shape prints as a list.
    std::vector<std::string> row{fmt::format("{} (InputLayer)", input_name_),
                                 fmt::format("[{}]", input_shape_.keras_str()), "0"};
    if (with_connections) {
      row.emplace_back("[]");
    }
    print_row(out, row, ends);
    out += blank;
  }
  std::int64_t total = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    std::int64_t count = 0;
    for (const auto& slot : e.slots) {
      count += slot.shape.elements();
    }
    total += count;
    std::vector<std::string> row{fmt::format("{} ({})", e.name, e.layer->type()),
                                 e.output_shape.keras_str(), std::to_string(count)};
    if (with_connections) {
      row.push_back(connections(*this, e));
    }
    print_row(out, row, ends);
    // Keras prints a blank line after every top-level layer, the last one too.
    out += blank;
  }
  out += std::string(static_cast<std::size_t>(width), '=') + "\n";
  out += fmt::format("Total params: {}\n", with_thousands(total));
  const auto trainable = static_cast<std::int64_t>(trainable_count_);
  out += fmt::format("Trainable params: {}\n", with_thousands(trainable));
  out += fmt::format("Non-trainable params: {}\n", with_thousands(total - trainable));
  out += std::string(static_cast<std::size_t>(width), '_') + "\n";
  return out;
}

}  // namespace runner
