#pragma once
// Charts over several runs, built from what `runner compare` reads: the metric per epoch of
// every run on one chart, and the best metric over a grid of the varied parameters.
#include <string>
#include <vector>

#include "framework/app/compare.hpp"
#include "framework/plot/charts.hpp"

namespace runner::report {

// A short legend name for a run: its varied values ("conv2d.filters=16, dropout.rate=0.2"),
// or its folder when nothing varies.
std::string run_label(const RunRow& run, const std::vector<std::string>& varied);

// `metric` per epoch of every run (read from history.csv), one line each, in `runs` order.
plot::LineChart overlay_chart(const std::vector<RunRow>& runs,
                              const std::vector<std::string>& varied, const std::string& metric);

// The best `metric` of each run on a grid: columns are the values of the last varied key,
// rows the combinations of the others (one row when only one key varies). Empty (no rows)
// when nothing varies.
plot::HeatMap heat_map(const std::vector<RunRow>& runs, const std::vector<std::string>& varied,
                       const std::string& metric);

}  // namespace runner::report
