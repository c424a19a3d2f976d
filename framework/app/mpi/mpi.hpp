#pragma once
// MPI (Open MPI through Boost.MPI), when the build has it (RUNNER_MPI): a sweep started by
// mpirun is spread over the ranks (mpi_sweep.cpp). Without MPI in the build, the same calls
// exist (mpi_absent.cpp) and say so, so nothing else needs #ifdefs.
#include <string>
#include <vector>

#include "framework/app/run_experiment.hpp"
#include "framework/app/sweep_runner.hpp"
#include "framework/config/sweep.hpp"
#include "framework/core/mpi_launcher.hpp"

namespace runner::mpi {

// Prints a warning when mpirun bound this process to fewer cores than `threads` (its default
// for up to 2 ranks), which would make the trial share them.
void warn_if_bound(int rank, std::size_t threads);
// Whether this runner was built with MPI.
bool built_in();

struct World {
  int rank = 0;
  int size = 1;
};
// Starts MPI once and returns this process's rank and the number of ranks. Throws ConfigError
// when the runner was built without MPI.
World init();
// This process's rank: MPI's after init(), else what the launcher's environment says, else 0.
int rank();
// After a rank died, MPI_Finalize() at exit would wait for it forever: exit without it.
void skip_finalize();
// Ends every rank of the job with `code` (no rank left waiting); returns when MPI is not running
// on several ranks.
void abort_job(int code);

struct SweepOptions {
  double timeout_seconds = 60;  // without word from a busy worker, its trial is lost
  bool send_files = false;      // workers send trial folders even on a shared file system
};

// Rank 0 coordinates (hands out trials, writes the sweep's summaries and leaderboard); every
// other rank trains the trials it is given with its threads. Returns the ranking on rank 0 and
// an empty list on the others.
std::vector<TrialResult> run_sweep(const Sweep& sweep, const runner::SweepOptions& options,
                                   const SweepOptions& mpi_options);

// Trains one experiment on every rank of the job, each rank a share of every batch, gradients
// summed in rank order (DataParallel in trainer.hpp). Rank 0 writes the run folder and prints;
// the others keep nothing. Throws ConfigError with fewer than 2 ranks or a batch size the ranks
// do not divide.
RunOutcome train_data_parallel(const Experiment& experiment, RunOptions options);

}  // namespace runner::mpi
