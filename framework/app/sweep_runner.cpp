#include "framework/app/sweep_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

#include "framework/app/run_experiment.hpp"
#include "framework/app/sweep_summary.hpp"
#include "framework/app/sweep_table.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/search/importance.hpp"
#include "framework/train/interrupt.hpp"
#include "framework/train/training_state.hpp"

namespace runner {

namespace {
// A value as a shell reads it back: quoted unless it is plain.
std::string shell_word(const std::string& text) {
  if (!text.empty() &&
      text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "._-+=/:[]") == std::string::npos &&
      text.find_first_of("[]") == std::string::npos) {
    return text;
  }
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? "'\\''" : std::string(1, c);
  }
  return out + "'";
}
// "parameter importance ...: lr 0.71, units 0.29" over the completed trials, or empty.
std::string importance_line(const Sweep& sweep, const std::vector<TrialResult>& trials) {
  std::vector<std::vector<std::string>> columns(sweep.space.parameters.size());
  std::vector<double> y;
  for (const auto& r : trials) {
    if (r.state != TrialState::kCompleted || !std::isfinite(r.best)) {
      continue;
    }
    for (std::size_t p = 0; p < columns.size(); ++p) {
      std::string value;
      for (const auto& [path, text] : r.trial.assignments) {
        value = path == sweep.space.parameters[p].path ? text : value;
      }
      columns[p].push_back(value);
    }
    y.push_back(r.best);
  }
  if (y.size() < 3 || columns.empty()) {
    return "";
  }
  const auto importance = parameter_importance(columns, y);
  std::vector<std::string> paths;
  for (const auto& p : sweep.space.parameters) {
    paths.push_back(p.path);
  }
  const auto names = short_key_names(paths);
  std::vector<std::size_t> order(importance.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return importance[a] > importance[b]; });
  std::string line =
      fmt::format("parameter importance ({} completed trials, docs/sweeps.md):", y.size());
  for (const std::size_t p : order) {
    line += fmt::format(" {} {:.2f}{}", names[p], importance[p], p == order.back() ? "" : ",");
  }
  return line;
}
}  // namespace

double best_of(const TrialResult& r, const Sweep& sweep, std::int64_t* epoch) {
  double best = sweep.minimize ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
  bool found = false;
  for (const auto& rec : r.history.epochs()) {
    const auto v = rec.logs.get(sweep.metric);
    if (v && (sweep.minimize ? *v < best : *v > best)) {
      best = *v;
      *epoch = rec.epoch;
      found = true;
    }
  }
  if (!found) {
    // test_accuracy, validation_loss, ...: from the final evaluation
    for (const auto& [split, metrics] : r.evaluation) {
      for (const auto& [name, value] : metrics.items()) {
        if (sweep.metric == split + "_" + name) {
          return value;
        }
      }
    }
    return std::nan("");
  }
  return best;
}

void read_finished_trial(TrialResult& r) {
  const auto path = r.dir / "summary.json";
  const YAML::Node summary = parse_json(read_text_file(path), path.string());
  if (!summary.IsMap() || !summary["epochs_run"].IsDefined() || !summary["epochs_run"].IsScalar()) {
    throw Error(fmt::format("{}: not a finished run's summary (no epochs_run)", path.string()));
  }
  r.state = summary["status"].IsDefined() && summary["status"].IsScalar() &&
                    summary["status"].Scalar() == "pruned"
                ? TrialState::kPruned
                : TrialState::kCompleted;
  r.epochs_run = summary["epochs_run"].as<std::int64_t>(0);
  r.seconds_per_epoch = summary["seconds_per_epoch"].as<double>(0);
  r.params = summary["params"].as<std::int64_t>(0);
  r.evaluation.clear();
  if (summary["evaluation"].IsDefined() && summary["evaluation"].IsMap()) {
    for (const auto& split : summary["evaluation"]) {
      Logs& logs = r.evaluation[split.first.Scalar()];
      for (const auto& metric : split.second) {
        if (metric.second.IsScalar()) {
          logs.set(metric.first.Scalar(), metric.second.as<double>());
        }
      }
    }
  }
  r.history = read_history_csv(r.dir / "history.csv");
}

std::filesystem::path sweep_dir(const Sweep& sweep) {
  const Experiment base = load_experiment(sweep.base, sweep.fixed);
  return std::filesystem::path(base.results_dir) / sweep.name;
}

SweepFolderLock::SweepFolderLock(const std::filesystem::path& dir) {
  const auto path = (dir / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(fmt::format("{}: cannot create the sweep lock: {}", path, os_reason()));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw Error(fmt::format("{}: another sweep is running in this folder", dir.string()));
  }
}

SweepFolderLock::~SweepFolderLock() {
  ::close(fd_);
}

std::pair<TrialState, std::string> run_trial(
    const Experiment& experiment, bool resume, const std::filesystem::path& run_dir,
    std::size_t threads, const std::function<bool(const EpochRecord&)>& on_epoch) {
  RunOptions run;
  run.verbosity = Verbosity::kQuiet;
  run.threads = threads;
  run.run_dir = run_dir;
  run.on_epoch = on_epoch;
  // An interrupted trial goes on from its state.bin; one whose state cannot be used starts over.
  std::optional<TrainingState> state;
  if (resume && std::filesystem::exists(run_dir / "state.bin")) {
    try {
      state = load_training_state(run_dir / "state.bin");
    } catch (const std::exception&) {
      state.reset();
    }
  }
  if (!state) {
    std::error_code ec;
    std::filesystem::remove_all(run_dir, ec);
  }
  run.resume = state ? &*state : nullptr;
  try {
    tbb::task_arena arena(static_cast<int>(threads));
    RunOutcome outcome;
    arena.execute([&] { outcome = run_experiment(experiment, run); });
    return {outcome.pruned ? TrialState::kPruned : TrialState::kCompleted, ""};
  } catch (const Interrupted& e) {
    return {TrialState::kInterrupted, e.what()};
  } catch (const std::exception& e) {
    return {TrialState::kFailed, e.what()};
  }
}

std::function<std::string(const EpochRecord&)> best_so_far(const Sweep& sweep) {
  auto best = std::make_shared<double>(sweep.minimize ? std::numeric_limits<double>::infinity()
                                                      : -std::numeric_limits<double>::infinity());
  return [&sweep, best](const EpochRecord& rec) {
    const auto v = rec.logs.get(sweep.metric);
    if (v && (sweep.minimize ? *v < *best : *v > *best)) {
      *best = *v;
    }
    return fmt::format("epoch {}, best {} {}", rec.epoch, sweep.metric, metric_text(*best));
  };
}

std::vector<TrialResult> run_sweep(const Sweep& sweep, const SweepOptions& options) {
  const std::filesystem::path dir = sweep_dir(sweep);
  std::filesystem::create_directories(dir);
  const SweepFolderLock lock(dir);
  SweepStudy study(sweep, dir);
  const std::size_t total_threads = options.threads > 0 ? options.threads : ThreadLimit::current();
  const auto concurrency = static_cast<std::size_t>(sweep.concurrency);
  const std::size_t per_trial =
      std::max<std::size_t>(1, total_threads / std::max<std::size_t>(1, concurrency));
  if (!options.quiet) {
    fmt::print(options.out, "sweep {}: {} over {}, {} at a time with {} thread(s) each, in {}/\n",
               sweep.name, search_description(sweep), sweep.base, concurrency, per_trial,
               dir.string());
    if (!study.note().empty()) {
      fmt::print(options.out, "note: {}\n", study.note());
    }
  }
  SweepTable table(sweep, options);
  table.follow(study);
  // Ctrl-C and SIGTERM stop the running trials at their next step; no new trial starts.
  const InterruptibleWork interruptible;
  auto worker = [&] {
    while (const auto next = study.next()) {
      const std::size_t i = *next;
      const auto progress = best_so_far(sweep);
      const TrialResult started = study.results()[i];
      const auto [state, error] =
          run_trial(study.experiment(i), study.resumable(i), started.dir, per_trial,
                    [&, i](const EpochRecord& rec) {
                      const bool prune = study.report(i, rec);
                      TrialResult now = started;
                      now.state = TrialState::kRunning;
                      table.set(now, progress(rec) + (prune ? ", pruned" : ""), /*chatter=*/!prune);
                      return prune;
                    });
      study.finish(i, state, error);
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t w = 1; w < concurrency; ++w) {
    workers.emplace_back(worker);
  }
  worker();
  for (auto& t : workers) {
    t.join();
  }
  study.close();
  auto ranked = finish_sweep(sweep, study, options);
  if (const int signal = interrupt_signal(); signal != 0) {
    std::size_t finished = 0;
    for (const auto& r : ranked) {
      finished += is_finished(r.state) ? 1 : 0;
    }
    throw Interrupted(
        fmt::format("sweep interrupted by {}: {} of {} trials finished; run the sweep again to "
                    "go on (interrupted trials resume from their state)",
                    signal_name(signal), finished, ranked.size()),
        signal);
  }
  return ranked;
}

std::string reproduce_command(const Sweep& sweep, const TrialResult& trial) {
  std::string command = "runner " + shell_word(sweep.base);
  for (const auto& assignment : sweep.fixed) {
    command += " --set " + shell_word(assignment);
  }
  for (const auto& assignment : trial.trial.overrides()) {
    command += " --set " + shell_word(assignment);
  }
  return command;
}

std::vector<TrialResult> finish_sweep(const Sweep& sweep, const SweepStudy& study,
                                      const SweepOptions& options) {
  const std::filesystem::path& dir = study.dir();
  std::vector<TrialResult> ranked = study.results();  // each with its best (SweepStudy)
  // Completed trials by the metric, then pruned ones (a pruned trial's best is over fewer
  // epochs), then interrupted, queued and failed ones.
  auto tier = [](const TrialResult& r) {
    switch (r.state) {
      case TrialState::kCompleted:
        return std::isnan(r.best) ? 2 : 0;
      case TrialState::kPruned:
        return 1;
      case TrialState::kInterrupted:
        return 2;
      case TrialState::kQueued:
        return 3;
      default:
        return 4;
    }
  };
  std::stable_sort(ranked.begin(), ranked.end(), [&](const TrialResult& a, const TrialResult& b) {
    if (tier(a) != tier(b)) {
      return tier(a) < tier(b);
    }
    if (std::isnan(a.best) || std::isnan(b.best)) {
      return !std::isnan(a.best) && std::isnan(b.best);
    }
    return sweep.minimize ? a.best < b.best : a.best > b.best;
  });
  write_sweep_summaries(sweep, dir, ranked);
  if (!options.quiet) {
    fmt::print(options.out, "\nleaderboard ({} {}):\n", sweep.minimize ? "lowest" : "highest",
               sweep.metric);
    fmt::print(options.out, "{}", leaderboard_text(sweep, ranked, output_width(options.out)));
    if (const std::string line = importance_line(sweep, ranked); !line.empty()) {
      fmt::print(options.out, "{}", wrap_words(line, output_width(options.out)));
    }
    if (const std::string reason = study.stop_reason(); !reason.empty()) {
      fmt::print(options.out, "the sweep stopped proposing trials: {}\n", reason);
    }
    if (!ranked.empty() && ranked.front().state == TrialState::kCompleted) {
      fmt::print(options.out, "best trial {} again on its own:\n  {}\n", ranked.front().id,
                 reproduce_command(sweep, ranked.front()));
    }
    fmt::print(options.out, "summary: {}/summary.csv, {}/summary.h5\n", dir.string(), dir.string());
  }
  return ranked;
}

}  // namespace runner
