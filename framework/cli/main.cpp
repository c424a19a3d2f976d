// runner: the command-line entry point. Parses the subcommand, sets the thread count and
// turns errors into one "error: ..." line and an exit code (2: bad input, 1: runtime failure,
// 128 + signal when Ctrl-C or SIGTERM interrupted training after saving its state).
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "framework/cli/commands.hpp"
#include "framework/errors.hpp"
#include "framework/interrupt.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return runner::cli::dispatch(args);
  } catch (const runner::Interrupted& e) {
    fmt::print(stderr, "runner: {}\n", e.what());
    return 128 + runner::interrupt_signal();  // the shell's convention: 130 for Ctrl-C
  } catch (const runner::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const runner::Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
