// The MPI interface of a runner built without MPI (RUNNER_MPI off or not found).
#include "framework/app/mpi/mpi.hpp"
#include "framework/core/errors.hpp"

namespace runner::mpi {

bool built_in() {
  return false;
}

World init() {
  throw ConfigError(
      "runner was started by an MPI launcher but built without MPI: install it with "
      "'scripts/setup --mpi' and rebuild (cmake -DRUNNER_MPI=ON)");
}

int rank() {
  return launched_rank();
}

void skip_finalize() {}

void abort_job(int /*code*/) {}

std::vector<TrialResult> run_sweep(const Sweep& /*sweep*/, const runner::SweepOptions& /*options*/,
                                   const SweepOptions& /*mpi_options*/) {
  init();
  return {};
}

RunOutcome train_data_parallel(const Experiment& /*experiment*/, RunOptions /*options*/) {
  init();
  return {};
}

}  // namespace runner::mpi
