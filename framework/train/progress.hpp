#pragma once
// Keras' progress bar (verbose=1): "1500/1500 [=====...] - 9s 6ms/step - loss: 0.5300 - ...".
// On a terminal it redraws in place with an ETA; otherwise it prints only the finished line.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "framework/train/history.hpp"

namespace runner {

enum class Verbosity { kQuiet, kProgressBar, kOneLinePerEpoch };

class Progress {
 public:
  Progress(Verbosity verbosity, std::FILE* out);

  void start_epoch(std::int64_t epoch, std::int64_t epochs, std::int64_t steps);
  // After each training step, with the running means so far.
  void update(std::int64_t step, const Logs& running);
  // The epoch's final line, with validation metrics.
  void end_epoch(const Logs& logs);
  // A line from a callback or the trainer, kept apart from an in-place bar.
  void message(const std::string& text);
  // Ends an in-place line, so that what is printed next (on stderr too) starts a line.
  void close_line();
  [[nodiscard]] Verbosity verbosity() const { return verbosity_; }

  // "  37/1500 [>.............................] - ETA: 45s - loss: 0.9000" (no newline).
  static std::string bar_line(std::int64_t current, std::int64_t target, double elapsed_s,
                              const Logs& logs, bool finished);

 private:
  Verbosity verbosity_;
  std::FILE* out_;
  bool tty_;
  std::int64_t steps_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool line_open_ = false;
};

// Keras' number format in logs: %.4f, or %.4e for tiny values.
std::string format_metric(double value);

}  // namespace runner
