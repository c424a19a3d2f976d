// Data-parallel training over MPI: every rank holds the whole model, trains its share of each
// global batch, and the gradients are summed with a gather to rank 0, a sum in rank order and a
// broadcast, so the order of the additions is fixed (MPI_Allreduce's is up to the library).
#include <fmt/format.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/vector.hpp>
#include <random>

#include "framework/app/mpi/mpi.hpp"
#include "framework/core/errors.hpp"

namespace runner::mpi {

namespace bm = boost::mpi;

RunOutcome train_data_parallel(const Experiment& experiment, RunOptions options) {
  const World w = init();
  if (w.size < 2) {
    throw ConfigError(
        "--data-parallel needs at least 2 MPI ranks (start it with mpirun -np N, N >= 2)");
  }
  if (experiment.batch_size % w.size != 0) {
    throw ConfigError(fmt::format(
        "{}: fit.batch_size {} is not divisible by the {} MPI ranks (--data-parallel gives "
        "every rank an equal share of each batch)",
        experiment.file, experiment.batch_size, w.size));
  }
  const bm::communicator world;
  std::vector<float> parts;
  DataParallel dp;
  dp.rank = w.rank;
  dp.ranks = w.size;
  dp.all_reduce = [&](std::span<float> gradients, std::span<double> sums, int& signal) {
    const int n = static_cast<int>(gradients.size());
    std::vector<double> stats(sums.begin(), sums.end());
    stats.push_back(static_cast<double>(signal));
    std::vector<std::vector<double>> all_stats;
    if (w.rank == 0) {
      parts.resize(gradients.size() * static_cast<std::size_t>(w.size));
      bm::gather(world, gradients.data(), n, parts.data(), 0);
      bm::gather(world, stats, all_stats, 0);
      for (int r = 1; r < w.size; ++r) {  // rank 0's part is in place; add the others in order
        const float* part = parts.data() + static_cast<std::size_t>(r) * gradients.size();
        for (std::size_t i = 0; i < gradients.size(); ++i) {
          gradients[i] += part[i];
        }
        const auto& theirs = all_stats[static_cast<std::size_t>(r)];
        for (std::size_t k = 0; k < sums.size(); ++k) {
          sums[k] += theirs[k];
        }
        signal = std::max(signal, static_cast<int>(theirs[sums.size()]));
      }
    } else {
      bm::gather(world, gradients.data(), n, 0);
      bm::gather(world, stats, 0);
    }
    bm::broadcast(world, gradients.data(), n, 0);
    if (!sums.empty()) {
      bm::broadcast(world, sums.data(), static_cast<int>(sums.size()), 0);
    }
    bm::broadcast(world, signal, 0);
  };
  options.data_parallel = &dp;
  if (w.rank != 0) {  // the same run, kept nowhere: rank 0 writes the folder
    std::random_device rd;
    options.verbosity = Verbosity::kQuiet;
    options.run_dir = std::filesystem::temp_directory_path() /
                      fmt::format("runner-data-parallel-rank{}-{:08x}", w.rank, rd());
  }
  auto discard = [&] {
    if (w.rank != 0) {
      std::error_code ec;
      std::filesystem::remove_all(options.run_dir, ec);
    }
  };
  try {
    RunOutcome outcome = run_experiment(experiment, options);
    discard();
    return outcome;
  } catch (...) {
    discard();
    throw;
  }
}

}  // namespace runner::mpi
