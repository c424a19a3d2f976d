// Sweeps under mpirun on this machine (loopback): the same files and numbers as a sequential
// sweep, a killed worker losing only its trial, and clear messages for wrong usage.
#ifdef RUNNER_WITH_MPI
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "framework/io/run_store.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
// mpirun refuses root unless told; these variables change nothing else. In the sanitize build
// the ranks preload tests/sanitizers/keep_plugins.c (Open MPI's mca_base_env_list sets it in
// every rank), so LeakSanitizer sees Open MPI's plugins still loaded at exit and lsan.supp can
// name what they keep.
#ifdef RUNNER_KEEP_PLUGINS
const std::string kPreload = " OMPI_MCA_mca_base_env_list=LD_PRELOAD=" RUNNER_KEEP_PLUGINS;
#else
const std::string kPreload;
#endif
const std::string kMpiEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_rmaps_base_oversubscribe=1" +
    kPreload;

std::string mpirun(int ranks, const std::string& flags = "", int timeout_s = 300) {
  // In a session of its own: when a rank dies, Open MPI may signal mpirun's whole process group,
  // which without a job-control shell would include this test.
  return fmt::format("setsid -w timeout {} mpirun {} -np {} {}", timeout_s, flags, ranks,
                     RUNNER_BINARY);
}

std::vector<std::string> trial_folders(const std::filesystem::path& sweep) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(sweep)) {
    if (entry.is_directory()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> file_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// summary.csv without the timing column (seconds_per_epoch), which no two runs share.
std::string summary_without_timing(const std::filesystem::path& sweep) {
  std::istringstream in(slurp(sweep / "summary.csv"));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream cells_in(line);
    for (std::string cell; std::getline(cells_in, cell, ',');) {
      cells.push_back(cell);
    }
    cells.erase(cells.end() - 3);  // seconds_per_epoch, then params, folder
    out += fmt::format("{}\n", fmt::join(cells, ","));
  }
  return out;
}

void check_same_sweep(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto trials = trial_folders(a);
  REQUIRE(trials.size() == 4);
  CHECK(trial_folders(b) == trials);
  for (const auto& t : trials) {
    CAPTURE(t);
    CHECK(file_names(b / t) == file_names(a / t));
    CHECK(history_without_seconds(b / t) == history_without_seconds(a / t));
  }
  CHECK(summary_without_timing(b) == summary_without_timing(a));
}

// The pid of the runner process that has MPI rank `rank` and `marker` on its command line.
int pid_of_rank(int rank, const std::string& marker) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::string cmdline = slurp(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (!cmdline.starts_with(std::string(RUNNER_BINARY) + " ") ||
        cmdline.find(marker) == std::string::npos) {
      continue;
    }
    std::string environ = slurp(entry.path() / "environ");
    if (environ.find(fmt::format("OMPI_COMM_WORLD_RANK={}", rank) + '\0') != std::string::npos) {
      return std::stoi(name);
    }
  }
  return -1;
}
}  // namespace

TEST_SUITE("slow/mpi") {
  TEST_CASE("A sweep over 3 ranks writes the same trials and numbers as a sequential sweep") {
    TempDir dir;
    const CliResult local =
        run_cli("tests/fixtures/sweep_tiny.yaml --quiet --set results_dir=" + (dir / "a").string());
    INFO(local.err);
    REQUIRE(local.exit_code == 0);
    const CliResult spread = run_shell(kMpiEnv + " " + mpirun(3) +
                                       " tests/fixtures/sweep_tiny.yaml --threads 1 --set "
                                       "results_dir=" +
                                       (dir / "b").string());
    INFO(spread.out);
    INFO(spread.err);
    REQUIRE(spread.exit_code == 0);
    CHECK(spread.out.find("on 2 worker rank(s) (rank 0 coordinates)") != std::string::npos);
    CHECK(spread.out.find("leaderboard (lowest val_loss):") != std::string::npos);
    check_same_sweep(dir / "a/tiny-sweep", dir / "b/tiny-sweep");
    CHECK_FALSE(std::filesystem::exists(dir / "b/tiny-sweep/.mpi-coordinator"));

    SUBCASE("and a second run skips every finished trial") {
      const CliResult again =
          run_shell(kMpiEnv + " " + mpirun(2) +
                    " tests/fixtures/sweep_tiny.yaml --set results_dir=" + (dir / "b").string());
      REQUIRE(again.exit_code == 0);
      const std::size_t skipped = count_of(again.out, ": completed (finished before)");
      CHECK(skipped == 4);
    }
  }

  TEST_CASE("A TPE sweep with a pruner over 3 ranks prunes on rank 0 and keeps its journal") {
    TempDir dir;
    std::filesystem::copy_file("tests/fixtures/tiny.yaml", dir / "tiny.yaml");
    std::ofstream(dir / "search.yaml")
        << "sweep:\n  name: search\n  base: tiny.yaml\n  seed: 3\n"
           "  method: {type: tpe, startup_trials: 6}\n"
           "  pruner: {type: asha, min_resource: 1, reduction_factor: 2}\n  max_trials: 6\n"
           "  set: [fit.epochs=3, 'callbacks=[]', results_dir="
        << (dir / "results").string()
        << "]\n  parameters:\n"
           "    compile.optimizer.learning_rate: {min: 0.0003, max: 0.03, log: true}\n"
           "    model.layers.dense.units: {type: int, min: 8, max: 32, step: 8}\n";
    const CliResult r = run_shell(kMpiEnv + " " + mpirun(3) + " " + (dir / "search.yaml").string() +
                                  " --threads 1");
    INFO(r.out);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string summary = slurp(dir / "results/search/summary.csv");
    CHECK(count_of(summary, ",completed,") + count_of(summary, ",pruned,") == 6);
    CHECK(count_of(summary, ",pruned,") >= 1);
    CHECK(count_of(slurp(dir / "results/search/trials.json"), "\"trial\":") == 6);
    CHECK(r.out.find("the sweep stopped proposing trials: max_trials (6) reached") !=
          std::string::npos);
    // Run again without mpirun: the journal's six trials are kept, nothing is trained.
    const CliResult again = run_cli((dir / "search.yaml").string());
    CHECK(again.exit_code == 0);
    CHECK(count_of(again.out, "(finished before)") == 6);
  }

  TEST_CASE("Workers that send their folders to rank 0 give the same sweep") {
    TempDir dir;
    REQUIRE(
        run_cli("tests/fixtures/sweep_tiny.yaml --quiet --set results_dir=" + (dir / "a").string())
            .exit_code == 0);
    const CliResult sent = run_shell(kMpiEnv + " " + mpirun(2) +
                                     " tests/fixtures/sweep_tiny.yaml --quiet --mpi-send-files "
                                     "--set results_dir=" +
                                     (dir / "b").string());
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    check_same_sweep(dir / "a/tiny-sweep", dir / "b/tiny-sweep");
  }

  TEST_CASE("A killed worker rank loses only its trial and the next run redoes just that one") {
    TempDir dir;
    const std::string results = (dir / "results").string();
    // Longer trials, so the kill lands while rank 2 trains. A live worker reports every second;
    // 15 s of silence is far beyond what a loaded CI machine delays it.
    const std::string sweep_args =
        "tests/fixtures/sweep_tiny.yaml --threads 1 --set data.limit=2000 "
        "--set fit.epochs=6 --set results_dir=" +
        results;
    TempDir io;
    // A bound in case a surviving rank hangs in MPI_Finalize again (it did when it was told to
    // stop before rank 0 noticed the loss: 303-305 s in two CI runs, until the timeout); 150 s is
    // 4x this test's time under the sanitizers (38 s).
    const std::string command = kMpiEnv + " " + mpirun(3, "--enable-recovery", 150) + " " +
                                sweep_args + " --mpi-timeout 15 >" + (io / "out").string() + " 2>" +
                                (io / "err").string() + " </dev/null; echo $? >" +
                                (io / "rc").string();
    // At teardown Open MPI may SIGTERM mpirun's process group (1 run in 6 here), which without
    // the setsid in mpirun() is this process's group; the test only watches, so it ignores it.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction previous {};
    sigaction(SIGTERM, &ignore, &previous);
    std::thread job([&] { (void)std::system(command.c_str()); });
    int pid = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (pid < 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      bool training = false;  // some trial has finished an epoch
      if (std::filesystem::exists(results + "/tiny-sweep")) {
        for (const auto& t : std::filesystem::directory_iterator(results + "/tiny-sweep")) {
          training = training || std::filesystem::exists(t.path() / "history.csv");
        }
      }
      if (training) {
        pid = pid_of_rank(2, results);
      }
    }
    REQUIRE(pid > 0);
    ::kill(pid, SIGKILL);
    job.join();
    sigaction(SIGTERM, &previous, nullptr);
    const std::string out = slurp(io / "out");
    INFO(out);
    INFO(slurp(io / "err"));
    // The sweep finished with one failed trial; the files and the leaderboard say so. (mpirun's
    // own exit status means little here: with --enable-recovery it is 0 whatever the ranks
    // return, and at teardown Open MPI may SIGTERM its process group, `timeout` included.)
    CHECK(out.find("leaderboard (lowest val_loss):") != std::string::npos);
    const std::string summary = slurp(results + "/tiny-sweep/summary.csv");
    CHECK(count_of(summary, ",failed,") == 1);
    CHECK(count_of(summary, ",completed,") == 3);
    CHECK(out.find("lost: rank 2 sent nothing for 15 s") != std::string::npos);

    const CliResult again = run_cli(sweep_args);
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    const std::size_t skipped = count_of(again.out, ": completed (finished before)");
    CHECK(skipped == 3);
  }

  TEST_CASE("Data-parallel training on 2 and 3 ranks follows single-process training") {
    // The gradients of a batch are summed in another order (per rank, then rank by rank), so
    // the numbers agree to float rounding, not bit for bit. With SGD that stays at rounding
    // level; Adam divides by the gradients' running RMS and so turns rounding noise in
    // near-zero gradients into full-size steps: its runs part slowly, so only its first epoch
    // is held to the tight bound.
    const std::string base =
        "tests/fixtures/tiny.yaml --quiet --set fit.epochs=3 --set "
        "fit.batch_size=24 --set callbacks=[] ";
    const std::string sgd =
        "--set compile.optimizer.type=sgd --set compile.optimizer.learning_rate=0.05 ";
    for (const int ranks : {2, 3}) {
      for (const bool adam : {false, true}) {
        CAPTURE(ranks);
        CAPTURE(adam);
        TempDir dir;
        const std::string args = base + (adam ? "" : sgd) + "--set results_dir=";
        REQUIRE(run_cli(args + (dir / "one").string()).exit_code == 0);
        const CliResult dp = run_shell(kMpiEnv + " " + mpirun(ranks) + " " + args +
                                       (dir / "many").string() + " --data-parallel");
        INFO(dp.err);
        REQUIRE(dp.exit_code == 0);
        const auto one = read_history_csv(only_run(dir.path() / "one", "tiny") / "history.csv");
        const auto run = only_run(dir.path() / "many", "tiny");  // rank 0's folder, no other
        const auto many = read_history_csv(run / "history.csv");
        REQUIRE(many.epochs().size() == 3);
        for (std::size_t e = 0; e < (adam ? 1U : 3U); ++e) {
          for (const char* column : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
            CAPTURE(e);
            CAPTURE(column);
            CHECK(*many.epochs()[e].logs.get(column) ==
                  doctest::Approx(*one.epochs()[e].logs.get(column)).epsilon(1e-6));
          }
        }
        CHECK(slurp(run / "summary.json").find(fmt::format("\"data_parallel_ranks\": {}", ranks)) !=
              std::string::npos);
      }
    }
  }

  TEST_CASE("A signal on one data-parallel rank stops all of them after the same step") {
    TempDir dir;
    // Only rank 1 is interrupted (the test hook sends it SIGINT after global step 3).
    const std::string command = fmt::format(
        "{} setsid -w timeout 300 mpirun -np 2 sh -c 'if [ $OMPI_COMM_WORLD_RANK = 1 ]; then "
        "export "
        "RUNNER_TEST_SIGNAL_AT_STEP=3:INT; fi; exec {} tests/fixtures/tiny.yaml --quiet "
        "--data-parallel --set results_dir={}'",
        kMpiEnv, RUNNER_BINARY, (dir / "results").string());
    const CliResult r = run_shell(command);
    INFO(r.err);
    CHECK(r.exit_code == 130);
    const auto run = only_run(dir.path() / "results", "tiny");
    CHECK(r.err.find("runner: interrupted by SIGINT at epoch 1, step 5/6; the run's state is "
                     "saved: continue with 'runner resume " +
                     run.string() + "'") != std::string::npos);
    CHECK(r.err.find("rank 1") == std::string::npos);  // rank 0 speaks for both
    CHECK(r.err.find("MPI_ABORT") == std::string::npos);
    const CliResult resumed = run_cli("resume " + run.string() + " --quiet");
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(read_history_csv(run / "history.csv").epochs().size() == 2);
  }

  TEST_CASE("Wrong use of --data-parallel gets one clear message") {
    const CliResult alone = run_cli("tests/fixtures/tiny.yaml --data-parallel");
    CHECK(alone.exit_code == 2);
    CHECK(alone.err ==
          "error: --data-parallel needs at least 2 MPI ranks (start it with mpirun "
          "-np N, N >= 2)\n");
    const CliResult one =
        run_shell(kMpiEnv + " " + mpirun(1) + " tests/fixtures/tiny.yaml --data-parallel");
    CHECK(one.exit_code == 2);
    CHECK(one.err.find("--data-parallel needs at least 2 MPI ranks") != std::string::npos);
    const CliResult uneven =
        run_shell(kMpiEnv + " " + mpirun(3) + " tests/fixtures/tiny.yaml --data-parallel");
    CHECK(uneven.exit_code == 2);
    CHECK(uneven.err.find("error: tests/fixtures/tiny.yaml: fit.batch_size 32 is not divisible "
                          "by the 3 MPI ranks") != std::string::npos);
    CHECK(uneven.err.find("rank 1") == std::string::npos);
    const CliResult sweep =
        run_shell(kMpiEnv + " " + mpirun(2) + " tests/fixtures/sweep_tiny.yaml --data-parallel");
    CHECK(sweep.exit_code == 2);
    CHECK(sweep.err.find("--data-parallel trains one experiment") != std::string::npos);
    const CliResult bad_set = run_shell(
        kMpiEnv + " " + mpirun(3) + " tests/fixtures/tiny.yaml --data-parallel --set fit.epochs=x");
    CHECK(bad_set.exit_code == 2);
    const std::size_t errors = count_of(bad_set.err, "error: ");
    CHECK(errors == 1);  // every rank fails alike; rank 0 says it
  }

  TEST_CASE("Wrong use of mpirun gets one clear message") {
    const CliResult single = run_shell(kMpiEnv + " " + mpirun(2) + " tests/fixtures/tiny.yaml");
    CHECK(single.exit_code == 2);
    CHECK(single.err.find("error: tests/fixtures/tiny.yaml: started on 2 MPI ranks, but this is "
                          "a single experiment") != std::string::npos);
    CHECK(single.err.find("rank 1") == std::string::npos);  // said once, by rank 0
    const CliResult timeout =
        run_shell(kMpiEnv + " " + mpirun(2) + " tests/fixtures/sweep_tiny.yaml --mpi-timeout 0");
    CHECK(timeout.exit_code == 2);
    CHECK(timeout.err.find("--mpi-timeout must be a positive number") != std::string::npos);
  }
}

}  // namespace runner::test
#endif
