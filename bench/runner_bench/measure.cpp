#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "bench/runner_bench/child_process.hpp"
#include "bench/runner_bench/measurement.hpp"
#include "framework/core/file_util.hpp"
#include "framework/io/json.hpp"

namespace runner::bench {

std::optional<Row> measure_runner(const Settings& s, std::size_t threads) {
  std::vector<std::string> argv{s.self,
                                "--worker",
                                "--experiment",
                                s.experiment,
                                "--threads",
                                std::to_string(threads),
                                "--steps",
                                std::to_string(s.steps),
                                "--warmup",
                                std::to_string(s.warmup),
                                "--infer-repeats",
                                std::to_string(s.repeats),
                                "--eval-batch",
                                std::to_string(s.eval_batch)};
  if (s.profile) {
    argv.emplace_back("--profile");
  }
  const ChildResult ours = run_child(argv);
  const YAML::Node j = last_json_line(ours.out);
  if (ours.exit_code != 0 || !j.IsMap()) {
    fmt::print(stderr, "runner_bench: worker failed (exit {})\n", ours.exit_code);
    return std::nullopt;
  }
  if (s.profile && j["profile_ms_per_step"]) {
    fmt::print("runner {} thread(s), ms per step forward/backward:", threads);
    for (const auto& kv : j["profile_ms_per_step"]) {
      fmt::print(" {} {}/{}", kv.first.Scalar(), kv.second[0].Scalar(), kv.second[1].Scalar());
    }
    fmt::print(" (total {} ms)\n", j["ms_per_step"].Scalar());
    fmt::print(
        "runner {} thread(s), inference ms per 1000 images (a layer fused into the one "
        "before it shows 0):",
        threads);
    for (const auto& kv : j["profile_ms_per_1000_inferences"]) {
      fmt::print(" {} {}", kv.first.Scalar(), kv.second.Scalar());
    }
    fmt::print("\n");
  }
  fmt::print("runner {} thread(s): test accuracy {} after the timed steps\n", threads,
             j["test_accuracy"].Scalar());
  return Row{"runner",
             threads,
             j["train_img_s"].as<double>(),
             j["train_gflops"].as<double>(),
             j["infer_img_s"].as<double>(),
             j["infer_gflops"].as<double>(),
             ours.peak_rss_mb,
             0,
             j["sleeps"].as<double>(),
             {},
             j["latency_ms"].as<double>()};
}

std::optional<Row> measure_torch(const Settings& s, std::size_t threads, const Flops& flops) {
  const std::string json = fmt::format("/tmp/runner-bench-torch-{}-{}.json", getpid(), threads);
  const std::vector<std::string> argv =
      s.twin ? std::vector<std::string>{"/usr/bin/python3",
                                        s.torch_script,
                                        "--model",
                                        s.experiment,
                                        "--threads",
                                        std::to_string(threads),
                                        "--channels-last",
                                        "--steps",
                                        std::to_string(s.steps),
                                        "--warmup",
                                        std::to_string(s.warmup),
                                        "--bench-infer",
                                        std::to_string(s.repeats),
                                        "--eval-batch",
                                        std::to_string(s.eval_batch),
                                        "--json-out",
                                        json}
             : std::vector<std::string>{"/usr/bin/python3",
                                        s.torch_script,
                                        "--threads",
                                        std::to_string(threads),
                                        "--channels-last",
                                        "--epochs",
                                        "1",
                                        "--max-steps",
                                        std::to_string(s.steps + s.warmup),
                                        "--no-val",
                                        "--no-test",
                                        "--bench-infer",
                                        std::to_string(s.repeats),
                                        "--eval-batch",
                                        std::to_string(s.eval_batch),
                                        "--json-out",
                                        json};
  const ChildResult torch = run_child(argv);
  if (torch.exit_code != 0) {
    fmt::print(stderr, "runner_bench: the PyTorch reference failed (exit {})\n", torch.exit_code);
    return std::nullopt;
  }
  const std::string text = read_text_file(json);
  std::filesystem::remove(json);
  const YAML::Node t = parse_json(text, json);
  const double tips = t["history"][0]["samples_per_s"].as<double>();
  const double iips = t["infer"]["median_img_per_s"].as<double>();
  Row row;
  row.who = "pytorch";
  row.threads = threads;
  row.train_ips = tips;
  row.train_gflops = tips * flops.training * 1e-9;
  row.infer_ips = iips;
  row.infer_gflops = iips * flops.forward * 1e-9;
  row.rss = torch.peak_rss_mb;
  row.latency_ms = t["latency_ms"] ? t["latency_ms"].as<double>() : 0.0;
  return row;
}

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

Row median_row(const std::vector<Row>& rounds) {
  Row out = rounds.front();
  auto metric = [&](double Row::*field) {
    std::vector<double> v;
    for (const auto& r : rounds) {
      v.push_back(r.*field);
    }
    return median(v);
  };
  out.train_ips = metric(&Row::train_ips);
  out.train_gflops = metric(&Row::train_gflops);
  out.infer_ips = metric(&Row::infer_ips);
  out.infer_gflops = metric(&Row::infer_gflops);
  out.gemm_peak = metric(&Row::gemm_peak);
  out.latency_ms = metric(&Row::latency_ms);
  for (const auto& r : rounds) {
    out.rss = std::max(out.rss, r.rss);
  }
  return out;
}

}  // namespace runner::bench
