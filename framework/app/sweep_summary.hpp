#pragma once
// summary.csv and summary.h5 of a sweep: the same table in both (one row per trial; in the
// HDF5 file one dataset per column under /trials, numbers as float64 and text as strings), and
// every trial's history under /histories/<trial>/<column>.
#include <filesystem>
#include <string>
#include <vector>

#include "framework/app/sweep_runner.hpp"

namespace runner {

struct SummaryTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // texts, as summary.csv has them
};

SummaryTable summary_table(const Sweep& sweep, const std::vector<TrialResult>& ranked);
// Whether every cell of the column is a number or empty (then /trials holds float64, empty as
// NaN).
bool numeric_column(const SummaryTable& table, std::size_t column);

void write_sweep_summaries(const Sweep& sweep, const std::filesystem::path& dir,
                           const std::vector<TrialResult>& ranked);

}  // namespace runner
