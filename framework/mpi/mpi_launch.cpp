// How an MPI launcher is recognised (built with or without MPI, so a runner without it can say
// why it cannot take part).
#include <cstdlib>

#include "framework/mpi/mpi.hpp"

namespace runner::mpi {

bool launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) {
      return true;
    }
  }
  return false;
}

}  // namespace runner::mpi
