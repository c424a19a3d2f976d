#include "framework/train/interrupt.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "framework/core/abandon.hpp"

namespace runner {

namespace {
std::atomic<int> g_signal{0};
std::atomic<int> g_interruptible{0};  // live InterruptibleWork scopes

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
    // An ignored signal is discarded even while blocked, so sigwait() would never see it.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const sigset_t set = interrupt_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) == 0) {
          int none = 0;
          g_signal.compare_exchange_strong(none, signal);  // the first one says why
          if (g_interruptible.load() == 0) {
            abandon_process(128 + signal, "runner: interrupted by " + signal_name(signal));
          }
        }
      }
    }).detach();
  });
}

InterruptibleWork::InterruptibleWork() {
  ++g_interruptible;
}

InterruptibleWork::~InterruptibleWork() {
  if (--g_interruptible == 0 && g_signal.load() != 0 && std::uncaught_exceptions() == 0) {
    abandon_process(128 + g_signal.load(),
                    "runner: interrupted by " + signal_name(g_signal.load()));
  }
}

std::string signal_name(int signal) {
  return signal == SIGTERM  ? "SIGTERM"
         : signal == SIGINT ? "SIGINT"
                            : fmt::format("signal {}", signal);
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
