#pragma once
// Ctrl-C and SIGTERM: a watcher thread takes the signal. Inside an InterruptibleWork (the
// training loop, a sweep) it only sets a flag: the trainer finishes the current step, saves its
// state and stops (Interrupted). Anywhere else (reading data, a FIFO, writing results) nothing
// checks a flag, so the process is abandoned at once (abandon_process: no temporary file left)
// with exit code 128 + signal.
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
// the thread that waits for them (idempotent). Call it before any other thread starts. A signal
// the process inherited as ignored (a shell's background job ignores SIGINT) is taken too.
void install_interrupt_handlers();

// While one exists, SIGINT and SIGTERM only raise the flag, for code that checks it at every
// step. Ending the last one with the flag raised and no exception on its way (the signal came
// after the last check) abandons the process, so a signal is never lost.
class InterruptibleWork {
 public:
  InterruptibleWork();
  ~InterruptibleWork();
  InterruptibleWork(const InterruptibleWork&) = delete;
  InterruptibleWork& operator=(const InterruptibleWork&) = delete;
};
// "SIGINT", "SIGTERM", ...
[[nodiscard]] std::string signal_name(int signal);
[[nodiscard]] bool interrupt_requested();
// The signal that asked (for the exit code: 128 + signal).
[[nodiscard]] int interrupt_signal();
void clear_interrupt();

// Fault injection for tests, from the environment: RUNNER_TEST_SIGNAL_AT_STEP=N:SIGNAME makes
// the trainer send itself SIGNAME (INT, TERM or KILL) after global training step N.
void maybe_inject_fault(std::int64_t global_step);

}  // namespace runner
