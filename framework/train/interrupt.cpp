#include "framework/train/interrupt.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace runner {

namespace {
std::atomic<int> g_signal{0};

// Computing threads never run a signal handler: SIGINT and SIGTERM are blocked everywhere and
// one thread takes them with sigwait(). An asynchronous handler interrupting the GEMMs corrupted
// the heap (glibc aborted with "corrupted size vs. prev_size" in about 1 of 10 SIGTERMs sent
// mid-epoch from another process); no handler, no interruption.
sigset_t interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void install_interrupt_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    const sigset_t set = interrupt_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) == 0) {
          int none = 0;
          g_signal.compare_exchange_strong(none, signal);  // the first one says why
        }
      }
    }).detach();
  });
}

bool interrupt_requested() {
  return g_signal.load() != 0;
}
int interrupt_signal() {
  return g_signal.load();
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
  // To the process, as `kill` from a shell would send it; then wait for the watcher to see it,
  // so the trainer stops after exactly this step.
  ::kill(::getpid(), name == "KILL" ? SIGKILL : name == "TERM" ? SIGTERM : SIGINT);
  for (int i = 0; i < 1000 && !interrupt_requested(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace runner
