#pragma once
// Ctrl-C and SIGTERM during training: the handler only sets a flag; the trainer finishes the
// current step, saves its state and stops (Interrupted).
#include <cstdint>

#include "framework/errors.hpp"

namespace runner {

class Interrupted : public Error {
 public:
  using Error::Error;
};

// Installs SIGINT/SIGTERM handlers (idempotent).
void install_interrupt_handlers();
[[nodiscard]] bool interrupt_requested();
// The signal that asked (for the exit code: 128 + signal).
[[nodiscard]] int interrupt_signal();
void clear_interrupt();

// Fault injection for tests, from the environment: RUNNER_TEST_SIGNAL_AT_STEP=N:SIGNAME makes
// the trainer send itself SIGNAME (INT, TERM or KILL) after global training step N.
void maybe_inject_fault(std::int64_t global_step);

}  // namespace runner
