// What mpirun's binding means for a rank's threads (built with or without MPI).
#include <fmt/format.h>
#include <sched.h>

#include <cstdio>

#include "framework/app/mpi/mpi.hpp"

namespace runner::mpi {

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
