#include "framework/app/sweep_table.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"

namespace runner {

namespace {
std::vector<std::string> parameter_names(const Sweep& sweep) {
  std::vector<std::string> paths;
  for (const auto& p : sweep.parameters) {
    paths.push_back(p.path);
  }
  return short_key_names(paths);
}

}  // namespace

SweepTable::SweepTable(const Sweep& sweep, const std::vector<TrialResult>& results,
                       const SweepOptions& options)
    : sweep_(sweep),
      results_(results),
      out_(options.out),
      quiet_(options.quiet),
      tty_(options.redraw && isatty(fileno(options.out)) != 0),
      state_(results.size(), "queued"),
      progress_(results.size()),
      short_names_(parameter_names(sweep)) {}

void SweepTable::set(std::size_t i, const std::string& state, const std::string& progress) {
  std::lock_guard lock(mutex_);
  state_[i] = state;
  if (!progress.empty()) {
    progress_[i] = progress;
  }
  if (quiet_) {
    return;
  }
  if (tty_) {
    draw();
  } else if (state != "running" || progress.empty()) {
    fmt::print(out_, "{} {}: {}{}\n", results_[i].id, describe(i, false), state,
               progress_[i].empty() ? "" : " (" + progress_[i] + ")");
    std::fflush(out_);
  }
}

std::string SweepTable::describe(std::size_t i, bool short_names) const {
  std::string text;
  const auto& assignments = results_[i].trial.assignments;
  for (std::size_t p = 0; p < assignments.size(); ++p) {
    const std::string& name =
        short_names && p < short_names_.size() ? short_names_[p] : assignments[p].first;
    text += (text.empty() ? "" : " ") + name + "=" + assignments[p].second;
  }
  return text;
}

void SweepTable::draw() {
  if (drawn_ > 0) {
    fmt::print(out_, "\x1b[{}A", drawn_);
  }
  std::size_t done = 0;
  std::size_t running = 0;
  for (const auto& s : state_) {
    done += s == "done" || s == "skipped" || s == "failed" ? 1 : 0;
    running += s == "running" ? 1 : 0;
  }
  // A line wider than the terminal wraps and the cursor-up count above would fall short, so
  // every line is cut to the width.
  const std::size_t width = output_width(out_);
  auto print = [&](std::string line) {
    if (width > 1 && line.size() >= width) {
      line.resize(width - 1);
    }
    fmt::print(out_, "{}\x1b[K\n", line);
  };
  print(fmt::format("sweep {}: {} done, {} running, {} queued", sweep_.name, done, running,
                    state_.size() - done - running));
  for (std::size_t i = 0; i < state_.size(); ++i) {
    print(fmt::format("  {:<8} {}  {}{}", state_[i], results_[i].id, describe(i, true),
                      progress_[i].empty() ? "" : "  " + progress_[i]));
  }
  drawn_ = static_cast<int>(state_.size()) + 1;
  std::fflush(out_);
}

std::string metric_text(double v) {
  return std::isnan(v) ? "-" : fixed(v, 4);
}

std::string leaderboard_text(const Sweep& sweep, const std::vector<TrialResult>& ranked,
                             std::size_t width) {
  // The test split's value of the sweep's metric (val_loss -> test loss), and accuracy when the
  // trials have one.
  std::string base = sweep.metric.starts_with("val_") ? sweep.metric.substr(4) : sweep.metric;
  std::vector<std::string> test_metrics{base};
  for (const auto& r : ranked) {
    const auto test = r.evaluation.find("test");
    if (base != "accuracy" && test != r.evaluation.end() && test->second.get("accuracy")) {
      test_metrics.emplace_back("accuracy");
      break;
    }
  }
  TextTable table;
  table.columns = {{"rank", false, 100}, {"trial", true, 100}};
  for (const auto& name : parameter_names(sweep)) {
    table.columns.push_back({name, false, 80});
  }
  table.columns.push_back({sweep.metric, false, 90});
  table.columns.push_back({"best epoch", false, 50});
  for (const auto& m : test_metrics) {
    table.columns.push_back({"test " + m, false, 55});
  }
  table.columns.push_back({"epochs", false, 40});
  table.columns.push_back({"s/epoch", false, 20});
  std::string failures;
  for (std::size_t k = 0; k < ranked.size(); ++k) {
    const auto& r = ranked[k];
    auto& row = table.rows.emplace_back();
    row.push_back(std::to_string(k + 1));
    row.push_back(r.id);
    for (const auto& assignment : r.trial.assignments) {
      row.push_back(assignment.second);
    }
    row.push_back(metric_text(r.best));
    row.push_back(r.best_epoch > 0 ? std::to_string(r.best_epoch) : "-");
    const auto test = r.evaluation.find("test");
    for (const auto& m : test_metrics) {
      row.push_back(metric_text(test == r.evaluation.end() ? std::nan("")
                                                           : test->second.get(m).value_or(NAN)));
    }
    row.push_back(std::to_string(r.epochs_run));
    row.push_back(r.status == "failed" ? "-" : fmt::format("{:.2f}", r.seconds_per_epoch));
    if (r.status == "failed") {
      failures += wrap_words(fmt::format("{} failed: {}", r.id, r.error), width);
    }
  }
  return render_text_table(table, width, "summary.csv has every column") + failures;
}

}  // namespace runner
