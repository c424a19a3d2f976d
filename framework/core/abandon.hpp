#pragma once
// Ending the process at once, from any thread, when waiting for the code to stop by itself is
// not possible: a signal outside the training loop (reading a file, a FIFO that never opens),
// or a library call past its deadline (HDF5 looping on a crafted file).
#include <chrono>
#include <cstdint>
#include <string>

namespace runner {

// Removes the temporary files of writes in progress (no half-written file stays), prints
// `message` on stderr and exits with `code` without running destructors or other threads.
[[noreturn]] void abandon_process(int code, const std::string& message);

// While it lives, the process is abandoned with exit code 1 and "error: <message>" if `limit`
// passes: for calls that cannot be cancelled and may never return.
class Deadline {
 public:
  Deadline(std::chrono::milliseconds limit, std::string message);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::uint64_t id_;
};

}  // namespace runner
