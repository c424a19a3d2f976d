#pragma once
// An experiment's data, model, loss and metrics prepared as run_experiment prepares them, for
// tests that call fit / evaluate directly.
#include <memory>
#include <string>
#include <vector>

#include "framework/app/run_data.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/train/trainer.hpp"

namespace runner::test {

// Not movable (RunData points into itself): fill one in place with prepare_run().
struct PreparedRun {
  Experiment e;
  std::unique_ptr<Loss> loss;
  RunData d;
  Model model;
  MetricSet metrics;
  [[nodiscard]] Objective objective() const { return {*loss, metrics, d.preprocessing}; }
};

inline void prepare_run(PreparedRun& run, const std::string& file,
                        const std::vector<std::string>& overrides = {}) {
  run.e = load_experiment(file, overrides);
  run.loss = make_loss(run.e);
  load_run_data(run.e, *run.loss, run.d);
  run.model = build_model(run.e, run.d.input);
  plan_run_data(run.e, *run.loss, run.model, run.d, std::nullopt);
  run.model.prepare(run.e.batch_size);
  if (run.loss->takes_softmax_logits()) {
    run.model.use_logits_output();
  }
  run.metrics = MetricSet(make_metrics(run.e), run.loss->targets());
}

}  // namespace runner::test
