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
#include <sstream>
#include <thread>

#include "framework/app/run_experiment.hpp"
#include "framework/app/sweep_table.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text_table.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/train/interrupt.hpp"

namespace runner {

namespace {
struct Prepared {
  Experiment experiment;
  std::string id;
};

Prepared prepare_trial(const Sweep& sweep, const Trial& trial) {
  std::vector<std::string> overrides = sweep.fixed;
  const auto own = trial.overrides();
  overrides.insert(overrides.end(), own.begin(), own.end());
  Experiment e = load_experiment(sweep.base, overrides);
  const Model model = build_model(e, declared_input_shape(e));
  std::string id = "trial-" + config_fingerprint(e, model);
  return Prepared{std::move(e), std::move(id)};
}

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

}  // namespace

void read_finished_trial(TrialResult& r) {
  const auto path = r.dir / "summary.json";
  const YAML::Node summary = parse_json(read_text_file(path), path.string());
  if (!summary.IsMap() || !summary["epochs_run"].IsDefined() || !summary["epochs_run"].IsScalar()) {
    throw Error(fmt::format("{}: not a finished run's summary (no epochs_run)", path.string()));
  }
  r.epochs_run = summary["epochs_run"].as<std::int64_t>(0);
  r.seconds_per_epoch = summary["seconds_per_epoch"].as<double>(0);
  r.params = summary["params"].as<std::int64_t>(0);
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

bool read_finished_trial_or_fail(TrialResult& r) {
  try {
    read_finished_trial(r);
    return true;
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
    return false;
  }
}

namespace {

void write_summaries(const Sweep& sweep, const std::filesystem::path& dir,
                     const std::vector<TrialResult>& ranked) {
  std::string csv = "rank,trial,status";
  for (const auto& p : sweep.parameters) {
    csv += "," + p.path;
  }
  csv += fmt::format(
      ",best_{},best_epoch,validation_loss,validation_accuracy,test_loss,"
      "test_accuracy,epochs_run,seconds_per_epoch,params,folder\n",
      sweep.metric);
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const auto& r = ranked[i];
    csv += fmt::format("{},{},{}", i + 1, r.id, r.status);
    for (const auto& [path, value] : r.trial.assignments) {
      csv += "," + value;
    }
    auto eval = [&](const std::string& split, bool accuracy) {
      const auto it = r.evaluation.find(split);
      const auto v =
          it == r.evaluation.end() ? std::nullopt : it->second.get(accuracy ? "accuracy" : "loss");
      return v ? fmt::format("{}", *v) : std::string();
    };
    csv += fmt::format(",{},{},{},{},{},{},{},{:.3f},{},{}\n",
                       std::isnan(r.best) ? std::string() : fmt::format("{}", r.best), r.best_epoch,
                       eval("validation", false), eval("validation", true), eval("test", false),
                       eval("test", true), r.epochs_run, r.seconds_per_epoch, r.params,
                       r.dir.filename().string());
  }
  write_text_file(dir / "summary.csv", csv);

  write_atomically(dir / "summary.h5", [&](const std::filesystem::path& tmp) {
    h5::Object file = h5::create_file(tmp.string());
    file.write_string_attribute("sweep", sweep.name);
    file.write_string_attribute("metric", sweep.metric);
    file.write_string_attribute("goal", sweep.minimize ? "minimize" : "maximize");
    const h5::Object trials = file.create_group("trials");
    std::vector<std::string> ids;
    std::vector<std::string> statuses;
    std::vector<double> best;
    std::vector<double> epochs;
    for (const auto& r : ranked) {
      ids.push_back(r.id);
      statuses.push_back(r.status);
      best.push_back(r.best);
      epochs.push_back(static_cast<double>(r.epochs_run));
    }
    trials.write_string_list_attribute("trial", ids);
    trials.write_string_list_attribute("status", statuses);
    for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
      std::vector<std::string> values;
      for (const auto& r : ranked) {
        values.push_back(r.trial.assignments[p].second);
      }
      trials.write_string_list_attribute(sweep.parameters[p].path, values);
    }
    trials.write_doubles("best_" + sweep.metric, best);
    trials.write_doubles("epochs_run", epochs);
    const h5::Object histories = file.create_group("histories");
    for (const auto& r : ranked) {
      if (r.history.empty()) {
        continue;
      }
      const h5::Object g = histories.create_group(r.id);
      for (const auto& column : r.history.metric_names()) {
        std::vector<double> values;
        for (const auto& rec : r.history.epochs()) {
          values.push_back(rec.logs.get(column).value_or(std::nan("")));
        }
        g.write_doubles(column, values);
      }
    }
    file.close();
  });
}
}  // namespace

std::filesystem::path sweep_dir(const Sweep& sweep) {
  const Experiment base = load_experiment(sweep.base, sweep.fixed);
  return std::filesystem::path(base.results_dir) / sweep.name;
}

SweepFolderLock::SweepFolderLock(const std::filesystem::path& dir) {
  const auto path = (dir / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(fmt::format("{}: cannot create the sweep lock", path));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw Error(fmt::format("{}: another sweep is running in this folder", dir.string()));
  }
}

SweepFolderLock::~SweepFolderLock() {
  ::close(fd_);
}

SweepPlan plan_sweep(const Sweep& sweep) {
  const std::vector<Trial> trials = expand_trials(sweep);
  SweepPlan plan;
  plan.dir = sweep_dir(sweep);
  plan.results.resize(trials.size());
  for (std::size_t i = 0; i < trials.size(); ++i) {
    Prepared p = prepare_trial(sweep, trials[i]);
    plan.results[i].trial = trials[i];
    plan.results[i].id = p.id;
    plan.results[i].dir = plan.dir / p.id;
    plan.experiments.push_back(std::move(p.experiment));
  }
  return plan;
}

void run_trial(SweepPlan& plan, std::size_t i, const std::filesystem::path& run_dir,
               std::size_t threads, const std::function<void(const EpochRecord&)>& on_epoch) {
  TrialResult& r = plan.results[i];
  std::error_code ec;
  std::filesystem::remove_all(run_dir, ec);  // an unfinished trial starts over
  RunOptions run;
  run.verbosity = Verbosity::kQuiet;
  run.threads = threads;
  run.run_dir = run_dir;
  run.on_epoch = on_epoch;
  try {
    tbb::task_arena arena(static_cast<int>(threads));
    arena.execute([&] { run_experiment(plan.experiments[i], run); });
    r.status = "done";
  } catch (const Interrupted& e) {
    r.status = "interrupted";
    r.error = e.what();
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
  }
}

std::function<void(const EpochRecord&)> best_so_far(const Sweep& sweep,
                                                    std::function<void(const std::string&)> show) {
  auto best = std::make_shared<double>(sweep.minimize ? std::numeric_limits<double>::infinity()
                                                      : -std::numeric_limits<double>::infinity());
  return [&sweep, best, show = std::move(show)](const EpochRecord& rec) {
    const auto v = rec.logs.get(sweep.metric);
    if (v && (sweep.minimize ? *v < *best : *v > *best)) {
      *best = *v;
    }
    show(fmt::format("epoch {}, best {} {}", rec.epoch, sweep.metric, metric_text(*best)));
  };
}

std::vector<TrialResult> run_sweep(const Sweep& sweep, const SweepOptions& options) {
  SweepPlan plan = plan_sweep(sweep);
  const std::filesystem::path& dir = plan.dir;
  std::filesystem::create_directories(dir);
  const SweepFolderLock lock(dir);
  std::vector<TrialResult>& results = plan.results;
  const std::size_t total_threads = options.threads > 0 ? options.threads : ThreadLimit::current();
  const auto concurrency = static_cast<std::size_t>(
      std::min<std::int64_t>(sweep.concurrency, static_cast<std::int64_t>(results.size())));
  const std::size_t per_trial =
      std::max<std::size_t>(1, total_threads / std::max<std::size_t>(1, concurrency));
  if (!options.quiet) {
    fmt::print(options.out,
               "sweep {}: {} trials of {}, {} at a time with {} thread(s) each, in {}/\n",
               sweep.name, results.size(), sweep.base, concurrency, per_trial, dir.string());
  }
  SweepTable table(sweep, results, options);
  // Ctrl-C and SIGTERM stop the running trials at their next step; no new trial starts.
  const InterruptibleWork interruptible;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < results.size(); i = next++) {
      TrialResult& r = results[i];
      if (interrupt_requested()) {
        r.status = "queued";
        continue;
      }
      if (std::filesystem::exists(r.dir / "summary.json")) {
        r.status = "skipped";
        if (read_finished_trial_or_fail(r)) {
          table.set(i, "skipped", "finished before");
        } else {
          table.set(i, "failed", r.error);
        }
        continue;
      }
      table.set(i, "running");
      run_trial(plan, i, r.dir, per_trial, best_so_far(sweep, [&, i](const std::string& text) {
                  table.set(i, "running", text);
                }));
      if (r.status == "done" && read_finished_trial_or_fail(r)) {
        table.set(i, "done");
      } else {
        table.set(i, "failed", r.error);
      }
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
  auto ranked = finish_sweep(sweep, plan, options);
  if (const int signal = interrupt_signal(); signal != 0) {
    std::size_t finished = 0;
    for (const auto& r : ranked) {
      finished += r.status == "done" || r.status == "skipped" ? 1 : 0;
    }
    throw Interrupted(
        fmt::format("sweep interrupted by {}: {} of {} trials finished{}", signal_name(signal),
                    finished, ranked.size(),
                    finished < ranked.size() ? "; run the sweep again to run the others" : ""),
        signal);
  }
  return ranked;
}

std::vector<TrialResult> finish_sweep(const Sweep& sweep, SweepPlan& plan,
                                      const SweepOptions& options) {
  const std::filesystem::path& dir = plan.dir;
  std::vector<TrialResult>& results = plan.results;
  for (auto& r : results) {
    r.best = best_of(r, sweep, &r.best_epoch);
  }
  std::vector<TrialResult> ranked = results;
  std::stable_sort(ranked.begin(), ranked.end(), [&](const TrialResult& a, const TrialResult& b) {
    const bool a_ok = !std::isnan(a.best) && a.status != "failed";
    const bool b_ok = !std::isnan(b.best) && b.status != "failed";
    if (a_ok != b_ok) {
      return a_ok;
    }
    return sweep.minimize ? a.best < b.best : a.best > b.best;
  });
  write_summaries(sweep, dir, ranked);
  if (!options.quiet) {
    fmt::print(options.out, "\nleaderboard ({} {}):\n", sweep.minimize ? "lowest" : "highest",
               sweep.metric);
    fmt::print(options.out, "{}", leaderboard_text(sweep, ranked, output_width(options.out)));
    fmt::print(options.out, "summary: {}/summary.csv, {}/summary.h5\n", dir.string(), dir.string());
  }
  return ranked;
}

}  // namespace runner
