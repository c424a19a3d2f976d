// How an MPI launcher is recognised (built with or without MPI, so a runner without it can say
// why it cannot take part).
#include <fmt/format.h>
#include <sched.h>

#include <cstdio>
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

int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"}) {
    if (const char* value = std::getenv(name)) {
      return std::atoi(value);
    }
  }
  return 0;
}

void warn_if_bound(int rank, std::size_t threads) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) {
    return;
  }
  const auto usable = static_cast<std::size_t>(CPU_COUNT(&cpus));
  if (usable < threads) {
    fmt::print(stderr,
               "warning: rank {} is bound to {} core(s) but trains with {} threads; start "
               "mpirun with --bind-to none (or --map-by slot:PE={})\n",
               rank, usable, threads, threads);
  }
}

}  // namespace runner::mpi
