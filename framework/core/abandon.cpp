#include "framework/core/abandon.hpp"

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "framework/core/file_util.hpp"

namespace runner {

void abandon_process(int code, const std::string& message) {
  remove_temporary_files();
  const std::string line = message + "\n";
  // write(2), not stdio: another thread may hold stdout's or stderr's lock forever.
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::_exit(code);
}

namespace {
// One watchdog thread for every Deadline: it sleeps until the earliest one and abandons the
// process if that one is still there.
struct Watchdog {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint64_t, std::pair<std::chrono::steady_clock::time_point, std::string>> due;
  std::uint64_t next_id = 0;
  bool started = false;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (due.empty()) {
        changed.wait(lock);
        continue;
      }
      auto earliest = due.begin();
      for (auto it = due.begin(); it != due.end(); ++it) {
        earliest = it->second.first < earliest->second.first ? it : earliest;
      }
      if (std::chrono::steady_clock::now() >= earliest->second.first) {
        abandon_process(1, "error: " + earliest->second.second);
      }
      // A copy: the entry may be erased while this thread waits without the lock.
      const auto until = earliest->second.first;
      changed.wait_until(lock, until);
    }
  }
};

Watchdog* g_watchdog = nullptr;  // never destroyed: its thread outlives main()

Watchdog& watchdog() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_watchdog = new Watchdog();
    // A forked child has no watchdog thread: it starts its own on its first Deadline.
    pthread_atfork([] { g_watchdog->mutex.lock(); }, [] { g_watchdog->mutex.unlock(); },
                   [] {
                     g_watchdog->mutex.unlock();
                     g_watchdog->started = false;
                     g_watchdog->due.clear();
                   });
  });
  return *g_watchdog;
}
}  // namespace

Deadline::Deadline(std::chrono::milliseconds limit, std::string message) {
  Watchdog& w = watchdog();
  const std::lock_guard lock(w.mutex);
  id_ = w.next_id++;
  w.due[id_] = {std::chrono::steady_clock::now() + limit, std::move(message)};
  if (!w.started) {
    w.started = true;
    std::thread([&w] { w.run(); }).detach();
  }
  w.changed.notify_all();
}

Deadline::~Deadline() {
  Watchdog& w = watchdog();
  const std::lock_guard lock(w.mutex);
  w.due.erase(id_);
  w.changed.notify_all();
}

}  // namespace runner
