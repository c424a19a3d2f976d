#include "framework/app/sweep_table.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"

namespace runner {

namespace {
std::vector<std::string> parameter_names(const Sweep& sweep) {
  std::vector<std::string> paths;
  for (const auto& p : sweep.space.parameters) {
    paths.push_back(p.path);
  }
  return short_key_names(paths);
}

// A value as tables show it: a float range's value to 4 significant digits (summary.csv and the
// trial's config keep every digit).
std::string shown_value(const Sweep& sweep, const std::string& path, const std::string& text) {
  const SearchParameter* p = sweep.space.find(path);
  if (p == nullptr || p->distribution.kind != Distribution::Kind::kFloat) {
    return text;
  }
  const auto v = parse_number(text);
  return v ? fmt::format("{:.4g}", *v) : text;
}

// A trial's value of a parameter, or "-" where its condition leaves it out.
std::string value_of(const Sweep& sweep, const TrialResult& r, const std::string& path) {
  for (const auto& [p, text] : r.trial.assignments) {
    if (p == path) {
      return shown_value(sweep, path, text);
    }
  }
  return "-";
}
}  // namespace

SweepTable::SweepTable(const Sweep& sweep, const SweepOptions& options)
    : sweep_(sweep),
      out_(options.out),
      quiet_(options.quiet),
      tty_(options.redraw && isatty(fileno(options.out)) != 0),
      short_names_(parameter_names(sweep)) {}

void SweepTable::set(const TrialResult& r, const std::string& progress, bool chatter) {
  std::lock_guard lock(mutex_);
  const auto i = static_cast<std::size_t>(r.number);
  if (i >= rows_.size()) {
    rows_.resize(i + 1);
  }
  Row& row = rows_[i];
  const std::string state = r.status();
  row.id = r.id;
  row.assignments = r.trial.assignments;
  row.state = state;
  if (!progress.empty()) {
    row.progress = progress;
  }
  if (quiet_) {
    return;
  }
  if (tty_) {
    draw();
  } else if (!chatter) {
    fmt::print(out_, "{} {}: {}{}\n", row.id, describe(row, false), state,
               progress.empty() ? "" : " (" + progress + ")");
    std::fflush(out_);
  }
}

std::string SweepTable::describe(const Row& row, bool short_names) const {
  std::string text;
  for (const auto& [path, value] : row.assignments) {
    std::string name = path;
    if (short_names) {
      for (std::size_t p = 0; p < sweep_.space.parameters.size(); ++p) {
        if (sweep_.space.parameters[p].path == path && p < short_names_.size()) {
          name = short_names_[p];
        }
      }
    }
    text += (text.empty() ? "" : " ") + name + "=" + shown_value(sweep_, path, value);
  }
  return text;
}

void SweepTable::draw() {
  if (drawn_ > 0) {
    fmt::print(out_, "\x1b[{}A", drawn_);
  }
  std::size_t ended = 0;
  std::size_t running = 0;
  for (const auto& row : rows_) {
    const auto state = parse_state(row.state);
    ended += state && *state != TrialState::kQueued && *state != TrialState::kRunning ? 1 : 0;
    running += state == TrialState::kRunning ? 1 : 0;
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
  print(fmt::format("sweep {}: {} ended, {} running, {} queued", sweep_.name, ended, running,
                    rows_.size() - ended - running));
  for (const auto& row : rows_) {
    print(fmt::format("  {:<11} {}  {}{}", row.state, row.id, describe(row, true),
                      row.progress.empty() ? "" : "  " + row.progress));
  }
  drawn_ = static_cast<int>(rows_.size()) + 1;
  std::fflush(out_);
}

void SweepTable::follow(SweepStudy& study) {
  study.on_change = [this](const TrialResult& r, const std::string& progress) { set(r, progress); };
  study.show_known();
}

std::string search_description(const Sweep& sweep) {
  return sweep.grid() ? fmt::format("a grid of {} trials", grid_size(sweep))
                      : "method " + sweep.method;
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
  table.columns = {{"rank", false, 100}, {"trial", true, 100}, {"status", true, 95}};
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
  std::string not_run;
  std::size_t queued = 0;
  for (std::size_t k = 0; k < ranked.size(); ++k) {
    const auto& r = ranked[k];
    auto& row = table.rows.emplace_back();
    row.push_back(std::to_string(k + 1));
    row.push_back(r.id);
    row.push_back(r.status());
    for (const auto& p : sweep.space.parameters) {
      row.push_back(value_of(sweep, r, p.path));
    }
    row.push_back(metric_text(r.best));
    row.push_back(r.best_epoch > 0 ? std::to_string(r.best_epoch) : "-");
    const auto test = r.evaluation.find("test");
    for (const auto& m : test_metrics) {
      row.push_back(metric_text(test == r.evaluation.end() ? std::nan("")
                                                           : test->second.get(m).value_or(NAN)));
    }
    row.push_back(std::to_string(r.epochs_run));
    const bool ran = is_finished(r.state);
    row.push_back(ran ? fmt::format("{:.2f}", r.seconds_per_epoch) : "-");
    if (r.state == TrialState::kQueued && !r.error.empty()) {
      not_run = r.error;
      ++queued;
    }
    if (r.state == TrialState::kFailed) {
      failures += wrap_words(fmt::format("{} {}: {}", r.id, r.status(), r.error), width);
    }
  }
  if (queued > 0) {
    failures +=
        wrap_words(fmt::format("{} trial{} {}", queued, queued == 1 ? "" : "s", not_run), width);
  }
  return render_text_table(table, width, "summary.csv has every column") + failures;
}

}  // namespace runner
