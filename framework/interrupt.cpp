#include "framework/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace runner {

namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int signal) {
  g_signal = signal;
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() {
  return g_signal != 0;
}
int interrupt_signal() {
  return g_signal;
}
void clear_interrupt() {
  g_signal = 0;
}

void maybe_inject_fault(std::int64_t global_step) {
  static const std::string spec = [] {
    const char* value = std::getenv("RUNNER_TEST_SIGNAL_AT_STEP");
    return std::string(value != nullptr ? value : "");
  }();
  if (spec.empty()) {
    return;
  }
  const auto colon = spec.find(':');
  if (colon == std::string::npos || std::stoll(spec.substr(0, colon)) != global_step) {
    return;
  }
  const std::string name = spec.substr(colon + 1);
  std::raise(name == "KILL" ? SIGKILL : name == "TERM" ? SIGTERM : SIGINT);
}

}  // namespace runner
