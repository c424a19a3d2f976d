#pragma once
// Per-epoch metrics, in the order Keras' History shows them.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runner {

// Ordered name -> value pairs for one step or epoch ("loss", "accuracy", "val_loss", ...).
class Logs {
 public:
  void set(const std::string& name, double value);
  [[nodiscard]] std::optional<double> get(const std::string& name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<std::pair<std::string, double>> items_;
};

struct EpochRecord {
  std::int64_t epoch = 0;  // 1-based, as printed and written
  Logs logs;               // includes learning_rate
  double seconds = 0;
};

class History {
 public:
  void add(EpochRecord record) { epochs_.push_back(std::move(record)); }
  [[nodiscard]] const std::vector<EpochRecord>& epochs() const { return epochs_; }
  [[nodiscard]] bool empty() const { return epochs_.empty(); }
  // Column names in first-seen order.
  [[nodiscard]] std::vector<std::string> metric_names() const;

 private:
  std::vector<EpochRecord> epochs_;
};

}  // namespace runner
