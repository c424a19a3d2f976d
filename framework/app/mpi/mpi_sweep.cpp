// A sweep over MPI ranks. Rank 0 coordinates: it holds the sweep's study (journal, sampler,
// pruner, budgets), hands trials out one at a time, decides after every epoch a worker reports
// whether the trial goes on (the pruner), writes what workers send, and ranks the trials
// exactly as run_sweep() does. Every other rank trains the trial it is given with its own
// threads, reports each epoch and waits for the verdict, and sends a heartbeat about once a
// second; a busy worker that stays silent longer than the timeout (a rank that died, under
// `mpirun --enable-recovery`) loses its trial, which the next run of the sweep redoes.
#include <fmt/format.h>

#include <atomic>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "framework/app/mpi/mpi.hpp"
#include "framework/app/sweep_table.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/parallel.hpp"
#include "framework/train/interrupt.hpp"

namespace runner::mpi {

namespace fs = std::filesystem;
namespace bm = boost::mpi;
using Clock = std::chrono::steady_clock;

namespace {
enum Tag : int { kAssign = 1, kProgress = 2, kResult = 3, kEpoch = 4, kVerdict = 5 };

struct Assignment {
  std::int64_t index = -1;             // -1: no more trials, stop
  std::string id;                      // the worker checks it resolves the same trial
  std::vector<std::string> overrides;  // the trial's settings (after the sweep's `set`)
  bool resume = false;                 // its folder holds a state to go on from
  std::string marker;  // a file the coordinator wrote; seen with `token` = shared storage
  std::string token;
  bool send_files = false;
  bool peer_lost = false;  // with a stop: a rank died, so do not wait for it in MPI_Finalize
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & id & overrides & resume & marker & token & send_files & peer_lost;
    // clang-format on
  }
};

struct Progress {
  std::int64_t index = -1;
  std::string text;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & text;
    // clang-format on
  }
};

// An epoch's record, for the pruner on rank 0; answered by a Verdict.
struct EpochReport {
  std::int64_t index = -1;
  std::int64_t epoch = 0;
  std::vector<std::string> names;
  std::vector<double> values;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & epoch & names & values;
    // clang-format on
  }
};

struct Verdict {
  std::int64_t index = -1;
  bool prune = false;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & prune;
    // clang-format on
  }
};

struct FileBlob {
  std::string name;  // relative to the trial folder
  std::string bytes;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & name & bytes;
    // clang-format on
  }
};

struct Outcome {
  std::int64_t index = -1;
  std::string status;
  std::string error;
  std::vector<FileBlob> files;  // the trial folder, when storage is not shared
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & status & error & files;
    // clang-format on
  }
};

std::string random_token() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

std::vector<FileBlob> read_folder(const fs::path& dir) {
  std::vector<FileBlob> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.push_back(
          {entry.path().lexically_relative(dir).string(), read_text_file(entry.path())});
    }
  }
  return files;
}

void write_folder(const fs::path& dir, const std::vector<FileBlob>& files) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  for (const auto& f : files) {
    const fs::path path = (dir / f.name).lexically_normal();
    if (f.name.empty() || fs::path(f.name).is_absolute() ||
        !path.string().starts_with(dir.lexically_normal().string())) {
      throw Error(fmt::format("a worker sent a file outside its trial folder: '{}'", f.name));
    }
    fs::create_directories(path.parent_path());
    write_text_file(path, f.bytes);
  }
}

std::vector<TrialResult> coordinate(const Sweep& sweep, const runner::SweepOptions& options,
                                    const SweepOptions& mpi_options,
                                    const bm::communicator& world) {
  const fs::path dir = sweep_dir(sweep);
  fs::create_directories(dir);
  const SweepFolderLock lock(dir);
  SweepStudy study(sweep, dir);
  const fs::path marker = dir / ".mpi-coordinator";
  const std::string token = random_token();
  write_text_file(marker, token);
  if (!options.quiet) {
    fmt::print(options.out,
               "sweep {}: {} over {} on {} worker rank(s) (rank 0 coordinates), in {}/\n",
               sweep.name, search_description(sweep), sweep.base, world.size() - 1, dir.string());
    if (!study.note().empty()) {
      fmt::print(options.out, "note: {}\n", study.note());
    }
  }
  SweepTable table(sweep, options);
  table.follow(study);

  struct Worker {
    int rank = 0;
    std::int64_t index = -1;  // the trial it trains, -1 when idle or stopped
    Clock::time_point heard;
    bool alive = true;
  };
  std::vector<Worker> workers;
  bool lost_any = false;
  // A worker with nothing left to do is told to stop only once the sweep is over: a rank that
  // dies in the meantime must be known to every survivor (peer_lost), or the survivor's
  // MPI_Finalize waits for the dead rank forever.
  auto send = [&](Worker& w, Assignment a) {
    a.marker = marker.string();
    a.token = token;
    a.send_files = mpi_options.send_files;
    world.send(w.rank, kAssign, a);
  };
  auto assign = [&](Worker& w) {
    w.index = -1;
    w.heard = Clock::now();
    const auto next = study.next();  // nothing on Ctrl-C, or when a budget is reached
    if (!next) {
      return;
    }
    const TrialResult r = study.results()[*next];
    Assignment a;
    a.index = static_cast<std::int64_t>(*next);
    a.id = r.id;
    a.overrides = r.trial.overrides();
    a.resume = study.resumable(*next);
    table.set(r, fmt::format("rank {}", w.rank), /*chatter=*/true);
    send(w, a);
    w.index = a.index;
  };
  for (int r = 1; r < world.size(); ++r) {
    workers.push_back(Worker{r, -1, Clock::now(), true});
    assign(workers.back());
  }
  const auto timeout = std::chrono::duration<double>(mpi_options.timeout_seconds);
  auto busy = [&] {
    return std::any_of(workers.begin(), workers.end(),
                       [](const Worker& w) { return w.alive && w.index >= 0; });
  };
  while (busy()) {
    if (const auto status = world.iprobe(bm::any_source, bm::any_tag)) {
      Worker& w = workers[static_cast<std::size_t>(status->source() - 1)];
      w.heard = Clock::now();
      if (status->tag() == kProgress) {
        Progress p;
        world.recv(status->source(), kProgress, p);
        if (p.index == w.index && !p.text.empty()) {
          TrialResult r = study.results()[static_cast<std::size_t>(p.index)];
          table.set(r, fmt::format("rank {}: {}", w.rank, p.text), /*chatter=*/true);
        }
      } else if (status->tag() == kEpoch) {
        EpochReport report;
        world.recv(status->source(), kEpoch, report);
        Verdict verdict;
        verdict.index = report.index;
        if (report.index == w.index) {
          EpochRecord record;
          record.epoch = report.epoch;
          for (std::size_t k = 0; k < report.names.size() && k < report.values.size(); ++k) {
            record.logs.set(report.names[k], report.values[k]);
          }
          verdict.prune = study.report(static_cast<std::size_t>(report.index), record);
        }
        world.send(status->source(), kVerdict, verdict);
      } else if (status->tag() == kResult) {
        Outcome o;
        world.recv(status->source(), kResult, o);
        const auto i = static_cast<std::size_t>(o.index);
        TrialState state = parse_state(o.status).value_or(TrialState::kFailed);
        std::string error = o.error;
        try {
          if (!o.files.empty()) {
            write_folder(study.results().at(i).dir, o.files);
          }
        } catch (const std::exception& e) {
          state = TrialState::kFailed;
          error = fmt::format("rank {}'s files: {}", w.rank, e.what());
        }
        if (!error.empty() && state == TrialState::kFailed) {
          error = fmt::format("rank {}: {}", w.rank, error);
        }
        study.finish(i, state, error);
        assign(w);
      } else {
        world.recv(status->source(), status->tag());  // not ours: drop it
      }
      continue;
    }
    for (auto& w : workers) {
      if (w.alive && w.index >= 0 && Clock::now() - w.heard > timeout) {
        w.alive = false;
        lost_any = true;
        study.finish(static_cast<std::size_t>(w.index), TrialState::kFailed,
                     fmt::format("lost: rank {} sent nothing for {:g} s (the next run of the "
                                 "sweep redoes this trial)",
                                 w.rank, mpi_options.timeout_seconds));
        w.index = -1;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& w : workers) {
    if (w.alive) {
      Assignment stop;
      stop.peer_lost = lost_any;
      send(w, stop);
    }
  }
  study.close();
  std::error_code ec;
  fs::remove(marker, ec);
  auto ranked = finish_sweep(sweep, study, options);
  if (lost_any) {
    skip_finalize();
  }
  return ranked;
}

bool shares_storage(const Assignment& a) {
  try {
    return !a.send_files && fs::exists(a.marker) && read_text_file(a.marker) == a.token;
  } catch (const std::exception&) {
    return false;
  }
}

// Prepares the trial the coordinator named; an error (or another resolution of the files on
// this node) is returned as the reason.
std::optional<Experiment> prepare(const Sweep& sweep, const Assignment& a, int rank,
                                  std::string* error) {
  try {
    std::vector<std::string> overrides = sweep.fixed;
    overrides.insert(overrides.end(), a.overrides.begin(), a.overrides.end());
    Experiment e = load_experiment(sweep.base, overrides);
    const Model model = build_model(e, declared_input_shape(e));
    if ("trial-" + config_fingerprint(e, model) != a.id) {
      *error = fmt::format(
          "rank {} resolved the trial to another configuration (are the sweep and experiment "
          "files the same on every node?)",
          rank);
      return std::nullopt;
    }
    return e;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

void work(const Sweep& sweep, const bm::communicator& world) {
  const std::size_t threads = ThreadLimit::current();
  const fs::path dir = sweep_dir(sweep);
  for (;;) {
    Assignment a;
    world.recv(0, kAssign, a);
    if (a.index < 0) {
      if (a.peer_lost) {
        skip_finalize();
      }
      return;
    }
    Outcome out;
    out.index = a.index;
    std::string error;
    const std::optional<Experiment> experiment = prepare(sweep, a, world.rank(), &error);
    if (!experiment) {
      out.status = "failed";
      out.error = error;
      world.send(0, kResult, out);
      continue;
    }
    const bool shared = shares_storage(a);
    // Without shared storage the trial trains in a temporary folder and starts from scratch.
    const fs::path run_dir =
        shared ? dir / a.id
               : fs::temp_directory_path() / fmt::format("runner-rank{}-{}", world.rank(), a.id);
    // The trial's thread hands each epoch to this thread (only this one talks to MPI) and
    // waits for rank 0's verdict.
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<EpochReport> pending;
    std::optional<bool> verdict;
    std::string latest;
    std::atomic<bool> finished{false};
    std::pair<TrialState, std::string> ended;
    const auto progress = best_so_far(sweep);
    std::thread trial([&] {
      ended =
          run_trial(*experiment, a.resume && shared, run_dir, threads, [&](const EpochRecord& rec) {
            std::unique_lock guard(mutex);
            latest = progress(rec);
            EpochReport report;
            report.index = a.index;
            report.epoch = rec.epoch;
            for (const auto& [name, value] : rec.logs.items()) {
              report.names.push_back(name);
              report.values.push_back(value);
            }
            pending = report;
            verdict.reset();
            changed.wait(guard, [&] { return verdict.has_value(); });
            return *verdict;
          });
      finished = true;
    });
    auto beat = Clock::now() - std::chrono::hours(1);
    while (!finished) {
      std::optional<EpochReport> report;
      {
        const std::lock_guard guard(mutex);
        report.swap(pending);
      }
      if (report) {
        world.send(0, kEpoch, *report);
        Verdict v;
        world.recv(0, kVerdict, v);
        {
          const std::lock_guard guard(mutex);
          verdict = v.prune;
        }
        changed.notify_all();
        beat = Clock::now();
        continue;
      }
      if (Clock::now() - beat >= std::chrono::seconds(1)) {
        Progress p;
        p.index = a.index;
        {
          const std::lock_guard guard(mutex);
          p.text = latest;
        }
        world.send(0, kProgress, p);
        beat = Clock::now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    trial.join();
    out.status = std::string(state_name(ended.first));
    out.error = ended.second;
    if (!shared) {
      try {
        if (fs::exists(run_dir)) {
          out.files = read_folder(run_dir);
        }
      } catch (const std::exception& e) {
        out.status = "failed";
        out.error =
            fmt::format("rank {} could not read its trial folder: {}", world.rank(), e.what());
      }
      std::error_code ec;
      fs::remove_all(run_dir, ec);
    }
    world.send(0, kResult, out);
  }
}
}  // namespace

std::vector<TrialResult> run_sweep(const Sweep& sweep, const runner::SweepOptions& options,
                                   const SweepOptions& mpi_options) {
  const World w = init();
  const bm::communicator world;
  if (w.size < 2) {
    return runner::run_sweep(sweep, options);
  }
  // Ctrl-C or SIGTERM (mpirun passes them to every rank): workers stop their trial at its next
  // step, the coordinator assigns nothing new and writes the summary, then every rank ends with
  // 128 + signal.
  const InterruptibleWork interruptible;
  std::vector<TrialResult> ranked;
  if (w.rank == 0) {
    runner::SweepOptions events = options;
    events.redraw = false;
    ranked = coordinate(sweep, events, mpi_options, world);
  } else {
    work(sweep, world);
  }
  if (const int signal = interrupt_signal(); signal != 0) {
    throw Interrupted(fmt::format("sweep interrupted by {}", signal_name(signal)), signal);
  }
  return ranked;
}

}  // namespace runner::mpi
