// Every command stops promptly on SIGINT and SIGTERM (exit 128 + signal), whatever it is doing:
// training stops at its next step with its state saved (test_resume.cpp); anything else ends at
// once, leaving no temporary file. Files that would block (a FIFO) are refused before opening.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "framework/core/abandon.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
struct Stopped {
  std::string rc;
  std::string err;
  double seconds = 0;  // from the signal to the exit
};

// Starts `args` in the background (where a shell ignores SIGINT), sends `signal` `after` seconds
// after the process blocks it and times how long the process takes to end.
Stopped signal_after(const std::string& args, int signal, double after) {
  TempDir dir;
  const std::string command = fmt::format(
      "({} {} >/dev/null 2>{} </dev/null & pid=$!; {}sleep {}; date +%s%N >{}; "
      "kill -{} $pid; wait $pid; echo $? >{}; date +%s%N >{})",
      RUNNER_BINARY, args, (dir / "err").string(), shell_wait_until_blocked(signal), after,
      (dir / "sent").string(), signal, (dir / "rc").string(), (dir / "ended").string());
  REQUIRE(std::system(command.c_str()) == 0);
  const double nanoseconds = std::stod(slurp(dir / "ended")) - std::stod(slurp(dir / "sent"));
  return {slurp(dir / "rc"), slurp(dir / "err"), nanoseconds * 1e-9};
}
}  // namespace

TEST_SUITE("slow/signals") {
  TEST_CASE("evaluate stops within a second on SIGINT or SIGTERM") {
    TempDir results;
    REQUIRE(run_cli("tests/fixtures/tiny.yaml -q --set fit.epochs=1 --set results_dir=" +
                    results.path().string())
                .exit_code == 0);
    std::filesystem::path model;
    for (const auto& run : std::filesystem::directory_iterator(results / "tiny")) {
      model = run.path() / "model-final.h5";
    }
    struct Case {
      std::string signal;
      int number;
      std::string code;
    };
    for (const Case& c : {Case{"INT", SIGINT, "130\n"}, Case{"TERM", SIGTERM, "143\n"}}) {
      CAPTURE(c.signal);
      // 45,000 images on one thread: over a second of work.
      const Stopped s = signal_after(
          "evaluate " + model.string() + " --split train --threads 1 --set data.limit=60000",
          c.number, 0.4);
      CHECK(s.rc == c.code);
      CHECK(s.err == fmt::format("runner: interrupted by SIG{}\n", c.signal));
      CHECK(s.seconds < 1.0);
    }
  }

  TEST_CASE("An experiment file that is a FIFO is refused instead of waited for") {
    TempDir dir;
    const auto fifo = dir / "f.yaml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const CliResult r = run_cli(fifo.string());
    CHECK(r.exit_code == 2);
    CHECK(r.err == "error: " + fifo.string() + ": a FIFO (named pipe), not a regular file\n");
    const CliResult evaluate = run_cli("evaluate " + fifo.string());
    CHECK(evaluate.exit_code == 1);  // a checkpoint that cannot be read, as any other
    CHECK(evaluate.err ==
          "error: " + fifo.string() + ": a FIFO (named pipe), not a regular file\n");
  }

  TEST_CASE("A sweep stopped by SIGINT starts no new trial and exits 130") {
    TempDir results;
    const Stopped s = signal_after(
        "tests/fixtures/sweep_tiny.yaml --set fit.epochs=1000 --set callbacks=[] "
        "--set results_dir=" +
            results.path().string(),
        SIGINT, 2.0);
    INFO(s.err);
    CHECK(s.rc == "130\n");
    CHECK(s.err.find("runner: sweep interrupted by SIGINT: 0 of 4 trials finished") !=
          std::string::npos);
    // Two trials ran (concurrency 2); the two queued ones never started a folder.
    std::size_t folders = 0;
    for (const auto& entry : std::filesystem::directory_iterator(results / "tiny-sweep")) {
      folders += entry.is_directory() ? 1 : 0;
    }
    CHECK(folders == 2);
  }
}

TEST_SUITE("core") {
  TEST_CASE("A deadline that passes ends the process with its message and exit code 1") {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      const Deadline deadline(std::chrono::milliseconds(100), "x.h5: took too long");
      std::this_thread::sleep_for(std::chrono::seconds(5));
      ::_exit(0);  // not reached
    }
    ::close(pipe_fds[1]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    char buffer[256] = {};
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer) - 1);
    ::close(pipe_fds[0]);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0) ==
          "error: x.h5: took too long\n");
  }

  TEST_CASE("A deadline that is not reached does nothing") {
    const auto start = std::chrono::steady_clock::now();
    { const Deadline deadline(std::chrono::milliseconds(50), "never"); }
    // Past the limit of the deadline that ended: this process is still here.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
  }
}

}  // namespace runner::test
