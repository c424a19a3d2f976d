#pragma once
// Runs the built runner executable and captures what it printed and its exit code.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/tmpdir.hpp"

namespace runner::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command line, capturing what it printed and its exit code.
inline CliResult run_shell(const std::string& command) {
  TempDir io;
  const std::string full =
      command + " >" + (io / "out").string() + " 2>" + (io / "err").string() + " </dev/null";
  const int status = std::system(full.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(io / "out");
  r.err = slurp(io / "err");
  return r;
}

// `args` is passed to the shell as is (quote what needs quoting); `env` ("NAME=value ...")
// is set for this command only.
inline CliResult run_cli(const std::string& env, const std::string& args) {
  return run_shell(env + " " + std::string(RUNNER_BINARY) + " " + args);
}
inline CliResult run_cli(const std::string& args) {
  return run_cli("", args);
}

// A shell fragment that waits until the process $pid blocks `signal` (its bit in /proc's SigBlk
// mask), at most 10 s. runner blocks SIGINT and SIGTERM early in main for its sigwait() thread;
// one sent before that kills it by the default action, without its message, and a fixed delay
// cannot rule that out on a loaded sanitizer build.
inline std::string shell_wait_until_blocked(int signal) {
  return "i=0; while [ $i -lt 1000 ]; do "
         "m=$(awk '/^SigBlk:/ {print $2}' /proc/$pid/status 2>/dev/null); "
         "[ -n \"$m\" ] && [ $(( 0x$m & " +
         std::to_string(1L << (signal - 1)) +
         " )) -ne 0 ] && break; i=$((i + 1)); sleep 0.01; done; ";
}

// How often `what` occurs in `text` (overlaps included).
inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// The one run folder under results/<experiment>/.
inline std::filesystem::path only_run(const std::filesystem::path& results,
                                      const std::string& experiment) {
  std::vector<std::filesystem::path> runs;
  for (const auto& entry : std::filesystem::directory_iterator(results / experiment)) {
    runs.push_back(entry.path());
  }
  REQUIRE(runs.size() == 1);
  return runs[0];
}

// history.csv without its timing column, for comparing runs.
inline std::string history_without_seconds(const std::filesystem::path& run) {
  std::istringstream in(slurp(run / "history.csv"));
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    out += line.substr(0, line.rfind(',')) + "\n";
  }
  return out;
}

}  // namespace runner::test
