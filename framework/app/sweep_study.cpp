// SweepStudy: the trials of a sweep, its journal, its sampler, pruner and budgets.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "framework/app/sweep_journal.hpp"
#include "framework/app/sweep_runner.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/io/run_store.hpp"
#include "framework/search/sampler.hpp"
#include "framework/train/interrupt.hpp"

namespace runner {

namespace {
using Clock = std::chrono::steady_clock;

// After this many proposals in a row that add nothing (settings already tried, which samplers
// propose only when they find no other, or refused by the experiment), the sampler is taken to
// have run out of new settings.
constexpr int kMaxBarrenProposals = 100;

std::string trial_id(const Experiment& e) {
  const Model model = build_model(e, declared_input_shape(e));
  return "trial-" + config_fingerprint(e, model);
}

double metric_of(const Sweep& sweep, const Logs& logs) {
  return logs.get(sweep.metric).value_or(std::nan(""));
}
}  // namespace

struct SweepStudy::Impl {
  const Sweep& sweep;
  std::filesystem::path dir;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<Pruner> pruner;
  mutable std::mutex mutex;
  std::vector<TrialResult> results;
  std::vector<TrialRecord> records;    // the samplers' and pruners' view of each trial
  std::deque<Experiment> experiments;  // a deque: references stay valid as trials are added
  std::vector<bool> resumable;
  std::vector<std::size_t> pending;  // known trials still to run, in number order
  std::size_t grid_next = 0;         // grid: the next grid point to add
  std::vector<Trial> grid;
  std::string stop_reason;
  std::string note;
  Clock::time_point started = Clock::now();
  int barren = 0;

  Impl(const Sweep& s, std::filesystem::path d) : sweep(s), dir(std::move(d)) {}

  void changed(std::size_t i, const std::string& progress, const SweepStudy& owner) const {
    if (owner.on_change) {
      owner.on_change(results[i], progress);
    }
  }

  // Adds a trial (not yet started) for `trial`; its state comes from its folder.
  std::size_t add(const Trial& trial, const std::string& journal_id) {
    const std::size_t i = results.size();
    TrialResult r;
    r.number = static_cast<std::int64_t>(i);
    r.trial = trial;
    TrialRecord record;
    record.number = r.number;
    record.params = values_of(sweep, trial);
    Experiment e;
    try {
      std::vector<std::string> overrides = sweep.fixed;
      const auto own = trial.overrides();
      overrides.insert(overrides.end(), own.begin(), own.end());
      e = load_experiment(sweep.base, overrides);
      r.id = trial_id(e);
    } catch (const std::exception& ex) {
      r.state = TrialState::kFailed;
      r.error = ex.what();
      r.id = journal_id.empty() ? fmt::format("trial-unprepared-{}", i) : journal_id;
    }
    r.dir = dir / r.id;
    bool can_resume = false;
    if (r.state != TrialState::kFailed) {
      if (std::filesystem::exists(r.dir / "summary.json")) {
        try {
          read_finished_trial(r);
          r.earlier = true;
        } catch (const std::exception& ex) {
          r.state = TrialState::kFailed;
          r.error = ex.what();
        }
      } else if (std::filesystem::exists(r.dir / "state.bin")) {
        can_resume = true;
        r.state = TrialState::kInterrupted;
        try {  // the epochs it had: the pruner judges its later epochs with them
          r.history = read_history_csv(r.dir / "history.csv");
        } catch (const std::exception&) {
          r.history = History();
        }
      }
    }
    results.push_back(std::move(r));
    taken.push_back(record.params);
    records.push_back(std::move(record));
    experiments.push_back(std::move(e));
    resumable.push_back(can_resume);
    sync(i);
    if (results.back().state == TrialState::kQueued ||
        results.back().state == TrialState::kInterrupted) {
      pending.push_back(i);
    }
    return i;
  }

  // Trial i's best metric, and the samplers' and pruners' record of it, from its result.
  void sync(std::size_t i) {
    TrialResult& r = results[i];
    r.best = best_of(r, sweep, &r.best_epoch);
    TrialRecord& record = records[i];
    record.state = r.state;
    record.intermediate.clear();
    for (const auto& rec : r.history.epochs()) {
      record.intermediate[rec.epoch] = metric_of(sweep, rec.logs);
    }
    record.value = is_finished(r.state) ? std::optional<double>(r.best) : std::nullopt;
  }

  // Epochs trained, each trial folder once: a proposal that repeats an earlier trial's settings
  // takes its numbers without training.
  [[nodiscard]] std::int64_t epochs_spent() const {
    std::map<std::string, std::int64_t> per_folder;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto step = records[i].last_step();
      std::int64_t& epochs = per_folder[results[i].id];
      epochs = std::max({epochs, results[i].epochs_run, step.value_or(0)});
    }
    std::int64_t total = 0;
    for (const auto& [id, epochs] : per_folder) {
      total += epochs;
    }
    return total;
  }

  // Why no new trial may start, or empty.
  [[nodiscard]] std::string budget_reached() const {
    if (sweep.max_trials && static_cast<std::int64_t>(results.size()) >= *sweep.max_trials) {
      return fmt::format("max_trials ({}) reached", *sweep.max_trials);
    }
    if (sweep.max_epochs_total && epochs_spent() >= *sweep.max_epochs_total) {
      return fmt::format("max_epochs_total ({}) reached: {} epochs trained",
                         *sweep.max_epochs_total, epochs_spent());
    }
    if (sweep.timeout_seconds &&
        std::chrono::duration<double>(Clock::now() - started).count() >= *sweep.timeout_seconds) {
      return fmt::format("timeout ({:g} s) reached", *sweep.timeout_seconds);
    }
    return {};
  }

  // The trials a decision may learn from: those that have ended.
  [[nodiscard]] std::vector<TrialRecord> ended(std::size_t except) const {
    std::vector<TrialRecord> out;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const TrialState s = records[i].state;
      if (i != except && (is_finished(s) || s == TrialState::kFailed)) {
        out.push_back(records[i]);
      }
    }
    return out;
  }

  [[nodiscard]] StudyView view(const std::vector<TrialRecord>& trials) const {
    StudyView v;
    v.space = &sweep.space;
    v.trials = trials;
    v.taken = taken;
    v.minimize = sweep.minimize;
    v.seed = sweep.seed;
    v.name = sweep.name;
    v.max_epochs = max_epochs;
    return v;
  }
  std::int64_t max_epochs = 0;
  std::vector<ParameterValues> taken;  // every trial's settings
  std::optional<std::uint64_t> space_size;

  // Every setting of a finite space has a trial.
  [[nodiscard]] bool exhausted() const {
    if (!space_size) {
      return false;
    }
    const std::set<ParameterValues> distinct(taken.begin(), taken.end());
    return distinct.size() >= *space_size;
  }

  void save_journal() const {
    std::vector<JournalEntry> journal;
    for (const auto& r : results) {
      journal.push_back({r.id, r.trial});
    }
    write_journal(dir, sweep, journal);
  }
};

SweepStudy::SweepStudy(const Sweep& sweep, std::filesystem::path dir)
    : impl_(std::make_unique<Impl>(sweep, std::move(dir))) {
  Impl& s = *impl_;
  s.max_epochs = load_experiment(sweep.base, sweep.fixed).epochs;
  s.pruner = make_pruner(sweep);
  if (sweep.grid()) {
    s.grid = expand_grid(sweep);
  } else {
    s.sampler = make_sampler(sweep);
    s.space_size = sweep.space.size(kEnumerableSettings);
    for (const auto& entry : read_journal(s.dir, sweep, &s.note)) {
      (void)s.add(entry.trial, entry.id);
    }
  }
}

SweepStudy::~SweepStudy() = default;

std::optional<std::size_t> SweepStudy::next() {
  Impl& s = *impl_;
  const std::lock_guard lock(s.mutex);
  for (;;) {
    if (interrupt_requested()) {
      return std::nullopt;
    }
    if (s.pending.empty()) {
      // New work (a proposal, or a grid point): only within the budgets. Trials proposed before
      // (interrupted, or never started) run whatever the budgets say: they are the sweep's.
      if (const std::string reason = s.budget_reached(); !reason.empty()) {
        s.stop_reason = reason;
        return std::nullopt;
      }
    }
    if (!s.pending.empty()) {
      const std::size_t i = s.pending.front();
      s.pending.erase(s.pending.begin());
      s.results[i].state = TrialState::kRunning;
      s.records[i].state = TrialState::kRunning;
      s.changed(i, s.resumable[i] ? "resuming" : "", *this);
      return i;
    }
    // A new trial: the next grid point, or the sampler's proposal from the ended trials.
    Trial trial;
    if (s.sweep.grid()) {
      if (s.grid_next >= s.grid.size()) {
        return std::nullopt;
      }
      trial = s.grid[s.grid_next++];
    } else {
      if (s.exhausted()) {
        s.stop_reason =
            fmt::format("all {} settings of the search space have been tried", *s.space_size);
        return std::nullopt;
      }
      if (s.barren >= kMaxBarrenProposals) {
        s.stop_reason = fmt::format(
            "the last {} proposals were settings already tried or refused: the search space "
            "looks exhausted",
            kMaxBarrenProposals);
        return std::nullopt;
      }
      std::vector<TrialRecord> ended = s.ended(SIZE_MAX);
      const auto number = static_cast<std::int64_t>(s.results.size());
      if (s.pruner) {  // Hyperband: the new trial's bracket only
        const std::vector<TrialRecord> none;
        const StudyView plain = s.view(none);
        const std::size_t group = s.pruner->group(plain, number);
        std::erase_if(
            ended, [&](const TrialRecord& t) { return s.pruner->group(plain, t.number) != group; });
      }
      trial = trial_of(s.sweep, s.sampler->sample(s.view(ended), number));
    }
    const std::size_t i = s.add(trial, "");
    // A proposal whose settings an earlier trial has (same folder) takes that trial's numbers.
    for (std::size_t j = 0; j + 1 < s.results.size() && !s.sweep.grid(); ++j) {
      if (s.results[j].id == s.results[i].id && s.results[i].state != TrialState::kFailed) {
        TrialResult copy = s.results[j];
        copy.number = s.results[i].number;
        copy.trial = s.results[i].trial;
        copy.earlier = true;
        if (!is_finished(copy.state)) {
          copy.state = TrialState::kFailed;
          copy.error = fmt::format("the same settings as trial {}, which has not finished", j);
        }
        s.results[i] = copy;
        s.sync(i);
        s.pending.erase(std::remove(s.pending.begin(), s.pending.end(), i), s.pending.end());
        break;
      }
    }
    s.save_journal();
    const TrialResult& added = s.results[i];
    if (added.state != TrialState::kQueued && added.state != TrialState::kInterrupted) {
      s.changed(i, added.earlier ? "finished before" : added.error, *this);
      s.barren += s.sweep.grid() ? 0 : 1;
      continue;
    }
    s.barren = 0;
    s.pending.erase(std::remove(s.pending.begin(), s.pending.end(), i), s.pending.end());
    s.results[i].state = TrialState::kRunning;
    s.records[i].state = TrialState::kRunning;
    s.changed(i, s.resumable[i] ? "resuming" : "", *this);
    return i;
  }
}

const Experiment& SweepStudy::experiment(std::size_t i) const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->experiments.at(i);
}

bool SweepStudy::resumable(std::size_t i) const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->resumable.at(i);
}

bool SweepStudy::report(std::size_t i, const EpochRecord& record) {
  Impl& s = *impl_;
  const std::lock_guard lock(s.mutex);
  s.records[i].intermediate[record.epoch] = metric_of(s.sweep, record.logs);
  s.results[i].epochs_run = record.epoch;
  if (!s.pruner) {
    return false;
  }
  const std::vector<TrialRecord> ended = s.ended(i);
  return s.pruner->prune(s.view(ended), s.records[i]);
}

void SweepStudy::finish(std::size_t i, TrialState state, const std::string& error) {
  Impl& s = *impl_;
  const std::lock_guard lock(s.mutex);
  TrialResult& r = s.results[i];
  r.state = state;
  r.error = error;
  if (is_finished(state)) {
    try {
      read_finished_trial(r);  // also reads the status it ended with (pruned or completed)
    } catch (const std::exception& e) {
      r.state = TrialState::kFailed;
      r.error = e.what();
    }
  }
  s.sync(i);
  s.changed(i, r.state == TrialState::kFailed ? r.error : "", *this);
}

void SweepStudy::show_known() {
  Impl& s = *impl_;
  const std::lock_guard lock(s.mutex);
  for (std::size_t i = 0; i < s.results.size(); ++i) {
    const TrialResult& r = s.results[i];
    s.changed(i, r.earlier ? "finished before" : r.error, *this);
  }
}

void SweepStudy::close() {
  Impl& s = *impl_;
  const std::lock_guard lock(s.mutex);
  for (const std::size_t i : s.pending) {
    s.results[i].error =
        interrupt_requested() ? "not run: the sweep was interrupted" : "not run: " + s.stop_reason;
    s.changed(i, s.results[i].error, *this);
  }
  // The grid's points never reached: listed as queued, so the summary shows the whole grid.
  while (s.sweep.grid() && s.grid_next < s.grid.size()) {
    const std::size_t i = s.add(s.grid[s.grid_next++], "");
    if (s.results[i].state == TrialState::kQueued) {
      s.results[i].error = interrupt_requested() ? "not run: the sweep was interrupted"
                                                 : "not run: " + s.stop_reason;
    }
  }
  if (!s.sweep.grid() || !s.results.empty()) {
    s.save_journal();
  }
}

std::vector<TrialResult> SweepStudy::results() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->results;
}

std::size_t SweepStudy::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->results.size();
}

std::string SweepStudy::stop_reason() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->stop_reason;
}

const std::filesystem::path& SweepStudy::dir() const {
  return impl_->dir;
}

std::string SweepStudy::note() const {
  return impl_->note;
}

}  // namespace runner
