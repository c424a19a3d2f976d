#pragma once
// Whether an MPI launcher started this process, read from its environment alone (no MPI
// library): the progress bar and the command line ask this whether or not the build has MPI.
namespace runner::mpi {

// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun): their
// environment variables are present.
bool launched();
// The rank the launcher's environment gives this process (0 when there is none).
int launched_rank();

}  // namespace runner::mpi
