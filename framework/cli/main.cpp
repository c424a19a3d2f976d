// runner: the command-line entry point. Parses the subcommand, sets the thread count and
// turns errors into one "error: ..." line and an exit code (2: bad input, 1: runtime failure,
// 128 + signal when Ctrl-C or SIGTERM interrupted training after saving its state).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "framework/app/mpi/mpi.hpp"
#include "framework/cli/commands.hpp"
#include "framework/core/errors.hpp"
#include "framework/train/interrupt.hpp"

namespace {
// Under mpirun every rank reads the same files, so a bad input fails on all of them alike:
// rank 0 says so and the others stay quiet. Any other failure is said by the rank that had it,
// which then ends the whole job (no rank is left waiting for it).
int fail(const std::string& message, int code, bool same_on_every_rank) {
  const int rank = runner::mpi::rank();
  if (rank == 0 || !same_on_every_rank) {
    fmt::print(stderr, "{}{}\n", rank == 0 ? "" : fmt::format("rank {}: ", rank), message);
  }
  if (rank != 0 && same_on_every_rank) {
    // The first rank to exit with an error makes mpirun kill the others, so a quiet rank that
    // left at once could cut rank 0 off before it printed: give rank 0 time to speak and end
    // the job itself (a signal from mpirun ends the wait early).
    using namespace std::chrono_literals;
    for (int waited = 0; waited < 40 && !runner::interrupt_requested(); ++waited) {
      std::this_thread::sleep_for(50ms);
    }
  }
  if (!same_on_every_rank) {
    std::fflush(stderr);
    runner::mpi::abort_job(code);
  }
  return code;
}
}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts: every command stops on SIGINT and SIGTERM (at the next training
  // step inside training, at once anywhere else).
  runner::install_interrupt_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return runner::cli::dispatch(args);
  } catch (const runner::Interrupted& e) {
    // the shell's convention: 130 for Ctrl-C
    // Data-parallel ranks stop together (the signal travels with the gradients), so rank 0
    // speaks for all of them.
    return fail(fmt::format("runner: {}", e.what()), 128 + e.signal(), true);
  } catch (const runner::ConfigError& e) {
    return fail(fmt::format("error: {}", e.what()), 2, true);
  } catch (const runner::Error& e) {
    return fail(fmt::format("error: {}", e.what()), 1, false);
  } catch (const std::bad_alloc&) {
    return fail("error: out of memory", 1, false);
  } catch (const std::exception& e) {
    return fail(fmt::format("error: {}", e.what()), 1, false);
  }
}
