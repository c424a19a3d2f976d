#pragma once
// Ctrl-C and SIGTERM during training: a watcher thread takes the signal and sets a flag; the
// trainer finishes the current step, saves its state and stops (Interrupted).
#include <cstdint>
#include <string>

#include "framework/core/errors.hpp"

namespace runner {

class Interrupted : public Error {
 public:
  Interrupted(const std::string& message, int signal) : Error(message), signal_(signal) {}
  // The signal that asked (for the exit code: 128 + signal).
  [[nodiscard]] int signal() const { return signal_; }

 private:
  int signal_;
};

// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after it) and starts
// the thread that waits for them (idempotent). Call it before any other thread starts.
void install_interrupt_handlers();
[[nodiscard]] bool interrupt_requested();
// The signal that asked (for the exit code: 128 + signal).
[[nodiscard]] int interrupt_signal();
void clear_interrupt();

// Fault injection for tests, from the environment: RUNNER_TEST_SIGNAL_AT_STEP=N:SIGNAME makes
// the trainer send itself SIGNAME (INT, TERM or KILL) after global training step N.
void maybe_inject_fault(std::int64_t global_step);

}  // namespace runner
