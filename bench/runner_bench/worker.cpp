// The worker process: runner trains and evaluates the reference model, timed, in this process.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "bench/runner_bench/measurement.hpp"
#include "framework/app/run_data.hpp"
#include "framework/config/experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/parallel.hpp"
#include "framework/train/trainer.hpp"

namespace runner::bench {

using Clock = std::chrono::steady_clock;

namespace {
// The fewest images one timed inference repeat covers.
constexpr std::int64_t kMinImagesTimed = 10000;

// Median time of one prediction at batch 1 (what a service answering one request sees): the
// first test sample, preprocessed once, through the model 200 times after 20 untimed.
double batch_one_latency_ms(Model& model, const RunData& d, const Part& test) {
  Tensor x;
  Targets y;
  gather_batch(*test.set, std::span(test.indices).first(1), d.preprocessing, x, y);
  std::vector<double> times;
  for (int r = 0; r < 220; ++r) {
    const auto t = Clock::now();
    (void)model.forward(x, Pass{Mode::kEval, 0});
    if (r >= 20) {
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    }
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}
}  // namespace

int worker(const Settings& settings, std::size_t threads) {
  const std::string& experiment = settings.experiment;
  const std::int64_t steps = settings.steps;
  const std::int64_t warmup = settings.warmup;
  const int repeats = settings.repeats;
  const std::int64_t eval_batch = settings.eval_batch;
  const bool profile = settings.profile;
  ThreadLimit limit(threads);
  const Experiment e = load_experiment(experiment);
  const auto loss = make_loss(e);
  RunData d;
  load_run_data(e, *loss, d);
  Model model = build_model(e, d.input);
  plan_run_data(e, *loss, model, d, std::nullopt);
  model.prepare(std::max(e.batch_size, eval_batch));
  if (loss->takes_softmax_logits()) {
    model.use_logits_output();
  }
  const MetricSet metrics(make_metrics(e), loss->targets());
  const Objective objective{*loss, metrics, d.preprocessing};
  auto optimizer = make_optimizer(e);
  optimizer->prepare(model.trainable_sizes());
  const auto order = epoch_order(d.parts.train.indices, e.seed, 0, true);
  Tensor x;
  Tensor grad;
  Targets y;
  // With --profile, the parts of a step outside the layers are timed too.
  bool timing = false;
  double data_s = 0, loss_s = 0, zero_s = 0, optimizer_s = 0;
  auto timed = [&](double& total, auto&& fn) {
    if (!timing) {
      fn();
      return;
    }
    const auto t = Clock::now();
    fn();
    total += std::chrono::duration<double>(Clock::now() - t).count();
  };
  auto step = [&](std::int64_t s) {
    const auto begin =
        static_cast<std::size_t>((s * e.batch_size) % static_cast<std::int64_t>(order.size() - 64));
    timed(data_s, [&] {
      gather_batch(*d.parts.train.set,
                   std::span(order).subspan(begin, static_cast<std::size_t>(e.batch_size)),
                   d.preprocessing, x, y);
    });
    const Tensor& out = model.forward(x, Pass{Mode::kTrain, static_cast<std::uint64_t>(s)});
    timed(loss_s, [&] { loss->compute(out, y, model.outputs_logits(), &grad, 0); });
    timed(zero_s, [&] { model.zero_gradients(); });
    model.backward(grad);
    timed(optimizer_s,
          [&] { optimizer->apply(model.trainable_parameters(), model.trainable_gradients()); });
  };
  for (std::int64_t s = 0; s < warmup; ++s) {
    step(s);
  }
  model.enable_timing(profile);
  timing = profile;
  const long switches_before = voluntary_context_switches();
  const auto t0 = Clock::now();
  for (std::int64_t s = 0; s < steps; ++s) {
    step(warmup + s);
  }
  const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const long sleeps = voluntary_context_switches() - switches_before;
  const auto times = model.layer_times();
  const Part& test = d.parts.test;
  model.enable_timing(false);
  // The warm-up's accuracy guards the speed numbers: a broken kernel shows here.
  const double test_accuracy = evaluate(model, objective, test, eval_batch).metric("accuracy");
  // A test part smaller than kMinImagesTimed is evaluated over and over within one timed repeat
  // (114 tabular rows take 0.4 ms, as noisy as a thread's wake-up); bench/torch_from_yaml.py
  // does the same.
  const std::int64_t passes = (kMinImagesTimed + test.size() - 1) / test.size();
  std::vector<double> infer;
  for (int r = 0; r < repeats; ++r) {
    const auto t = Clock::now();
    for (std::int64_t p = 0; p < passes; ++p) {
      (void)evaluate(model, objective, test, eval_batch);
    }
    infer.push_back(std::chrono::duration<double>(Clock::now() - t).count() /
                    static_cast<double>(passes));
  }
  // With --profile, one more (untimed) repeat gives the per-layer inference times: as many
  // passes as a timed repeat (one pass over 114 tabular rows put a thread's wake-up into the
  // first layer, 0.44 ms per 1000 rows against 0.24 over 88 passes).
  model.enable_timing(profile);
  for (std::int64_t p = 0; profile && p < passes; ++p) {
    (void)evaluate(model, objective, test, eval_batch);
  }
  const auto infer_times = model.layer_times();
  model.enable_timing(false);
  std::sort(infer.begin(), infer.end());
  const double infer_s = infer[infer.size() / 2];
  const double latency_ms = batch_one_latency_ms(model, d, test);
  const Flops flops = count_flops(model);
  const double train_ips = static_cast<double>(steps * e.batch_size) / train_s;
  const double infer_ips = static_cast<double>(test.size()) / infer_s;
  fmt::print(
      "{{\"threads\": {}, \"train_img_s\": {:.1f}, \"train_gflops\": {:.1f}, "
      "\"infer_img_s\": {:.1f}, \"infer_gflops\": {:.1f}, \"ms_per_step\": {:.3f}, "
      "\"test_accuracy\": {:.4f}, \"sleeps\": {}, \"latency_ms\": {:.4f}",
      ThreadLimit::current(), train_ips, train_ips * flops.training * 1e-9, infer_ips,
      infer_ips * flops.forward * 1e-9, 1e3 * train_s / static_cast<double>(steps), test_accuracy,
      sleeps, latency_ms);
  if (profile) {
    fmt::print(", \"profile_ms_per_step\": {{");
    for (std::size_t i = 0; i < model.size(); ++i) {
      fmt::print("{}\"{}\": [{:.3f}, {:.3f}]", i > 0 ? ", " : "", model.entry(i).name,
                 1e3 * times.forward_s[i] / static_cast<double>(steps),
                 1e3 * times.backward_s[i] / static_cast<double>(steps));
    }
    const auto per_step = [&](double total) { return 1e3 * total / static_cast<double>(steps); };
    fmt::print(
        ", \"(data)\": [{:.3f}, 0], \"(loss)\": [{:.3f}, 0], \"(zero grads)\": [0, {:.3f}], "
        "\"(optimizer)\": [0, {:.3f}]",
        per_step(data_s), per_step(loss_s), per_step(zero_s), per_step(optimizer_s));
    fmt::print("}}, \"profile_ms_per_1000_inferences\": {{");
    const double thousands = static_cast<double>(test.size() * passes) / 1000.0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      fmt::print("{}\"{}\": {:.3f}", i > 0 ? ", " : "", model.entry(i).name,
                 1e3 * infer_times.forward_s[i] / thousands);
    }
    fmt::print("}}");
  }
  fmt::print(", \"peak_rss_mb\": {:.1f}}}\n", peak_rss_mb());
  return 0;
}

}  // namespace runner::bench
