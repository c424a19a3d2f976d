// A sweep over MPI ranks. Rank 0 coordinates: it skips finished trials, hands the others out one
// at a time, writes what workers send, and ranks the trials exactly as run_sweep() does. Every
// other rank trains the trial it is given with its own threads and reports progress about once a
// second; a busy worker that stays silent longer than the timeout (a rank that died, under
// `mpirun --enable-recovery`) loses its trial, which the next run of the sweep redoes.
#include <fmt/format.h>

#include <atomic>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <deque>
#include <mutex>
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
enum Tag : int { kAssign = 1, kProgress = 2, kResult = 3 };

struct Assignment {
  std::int64_t index = -1;  // -1: no more trials, stop
  std::string id;           // the worker checks it computed the same trial list
  std::string marker;       // a file the coordinator wrote; seen with `token` = shared storage
  std::string token;
  bool send_files = false;
  bool peer_lost = false;  // with a stop: a rank died, so do not wait for it in MPI_Finalize
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // clang-format off
    ar & index & id & marker & token & send_files & peer_lost;
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
  SweepPlan plan = plan_sweep(sweep);
  fs::create_directories(plan.dir);
  const SweepFolderLock lock(plan.dir);
  const fs::path marker = plan.dir / ".mpi-coordinator";
  const std::string token = random_token();
  write_text_file(marker, token);
  auto& results = plan.results;
  if (!options.quiet) {
    fmt::print(options.out,
               "sweep {}: {} trials of {} on {} worker rank(s) (rank 0 coordinates), in {}/\n",
               sweep.name, results.size(), sweep.base, world.size() - 1, plan.dir.string());
  }
  SweepTable table(sweep, results, options);
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (fs::exists(results[i].dir / "summary.json")) {
      results[i].status = "skipped";
      if (read_finished_trial_or_fail(results[i])) {
        table.set(i, "skipped", "finished before");
      } else {
        table.set(i, "failed", results[i].error);
      }
    } else {
      queue.push_back(i);
    }
  }

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
    if (queue.empty() || interrupt_requested()) {  // Ctrl-C: no new trials
      return;
    }
    Assignment a;
    a.index = static_cast<std::int64_t>(queue.front());
    a.id = results[queue.front()].id;
    queue.pop_front();
    table.set(static_cast<std::size_t>(a.index), "running", fmt::format("rank {}", w.rank));
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
          table.set(static_cast<std::size_t>(p.index), "running",
                    fmt::format("rank {}: {}", w.rank, p.text));
        }
      } else if (status->tag() == kResult) {
        Outcome o;
        world.recv(status->source(), kResult, o);
        TrialResult& r = results.at(static_cast<std::size_t>(o.index));
        r.status = o.status;
        r.error = o.error;
        try {
          if (!o.files.empty()) {
            write_folder(r.dir, o.files);
          }
          if (r.status == "done") {
            read_finished_trial(r);
          }
        } catch (const std::exception& e) {
          r.status = "failed";
          r.error = fmt::format("rank {}'s files: {}", w.rank, e.what());
        }
        table.set(static_cast<std::size_t>(o.index), r.status,
                  r.status == "done" ? "" : fmt::format("rank {}: {}", w.rank, r.error));
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
        TrialResult& r = results[static_cast<std::size_t>(w.index)];
        r.status = "failed";
        r.error = fmt::format(
            "lost: rank {} sent nothing for {:g} s (the next run of the sweep "
            "redoes this trial)",
            w.rank, mpi_options.timeout_seconds);
        table.set(static_cast<std::size_t>(w.index), "failed", r.error);
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
  for (std::size_t i : queue) {  // interrupted, or every worker is gone
    results[i].status = "failed";
    results[i].error = interrupt_requested() ? "not run: the sweep was interrupted"
                                             : "not run: no worker rank left";
    table.set(i, "failed", results[i].error);
  }
  std::error_code ec;
  fs::remove(marker, ec);
  auto ranked = finish_sweep(sweep, plan, options);
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

void work(const Sweep& sweep, const bm::communicator& world) {
  SweepPlan plan = plan_sweep(sweep);
  const std::size_t threads = ThreadLimit::current();
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
    const auto i = static_cast<std::size_t>(a.index);
    if (i >= plan.results.size() || plan.results[i].id != a.id) {
      out.status = "failed";
      out.error = fmt::format(
          "rank {} computed a different trial list (are the sweep and experiment files the "
          "same on every node?)",
          world.rank());
      world.send(0, kResult, out);
      continue;
    }
    const bool shared = shares_storage(a);
    const fs::path run_dir =
        shared ? plan.results[i].dir
               : fs::temp_directory_path() / fmt::format("runner-rank{}-{}", world.rank(), a.id);
    std::mutex mutex;
    std::string latest;
    std::atomic<bool> finished{false};
    std::thread trial([&] {
      run_trial(plan, i, run_dir, threads, best_so_far(sweep, [&](const std::string& text) {
                  const std::lock_guard guard(mutex);
                  latest = text;
                }));
      finished = true;
    });
    auto beat = Clock::now() - std::chrono::hours(1);
    while (!finished) {  // only this thread talks to MPI
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
    out.status = plan.results[i].status;
    out.error = plan.results[i].error;
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
