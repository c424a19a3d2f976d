// The MPI environment of a runner built with Boost.MPI.
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <memory>

#include "framework/app/mpi/mpi.hpp"

namespace runner::mpi {

namespace {
std::unique_ptr<boost::mpi::environment>& environment() {
  static std::unique_ptr<boost::mpi::environment> env;
  return env;
}
}  // namespace

bool built_in() {
  return true;
}

World init() {
  auto& env = environment();
  if (!env) {
    // Only the main thread talks to MPI; trials train on other threads.
    env = std::make_unique<boost::mpi::environment>(boost::mpi::threading::funneled);
  }
  const boost::mpi::communicator world;
  return World{world.rank(), world.size()};
}

int rank() {
  return environment() ? boost::mpi::communicator().rank() : launched_rank();
}

void skip_finalize() {
  (void)environment().release();  // left to the operating system, as the dead rank was
}

void abort_job(int code) {
  if (environment() && boost::mpi::communicator().size() > 1) {
    environment()->abort(code);
  }
}

}  // namespace runner::mpi
