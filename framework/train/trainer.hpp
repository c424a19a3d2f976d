#pragma once
// fit / evaluate / predict with Keras' semantics: training metrics are running means over the
// epoch with dropout active; validation runs in eval mode after each epoch; callbacks see the
// epoch's logs in list order.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "data/partition.hpp"
#include "data/preprocessing.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/model.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/history.hpp"
#include "framework/train/metric_set.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "framework/train/progress.hpp"
#include "framework/train/training_state.hpp"

namespace runner {

// One process's part in data-parallel training: it trains samples [count * rank / ranks,
// count * (rank + 1) / ranks) of every batch of `count`, then all_reduce sums the gradients and
// the step's loss and metric sums over the ranks (the same sums on every rank), and turns
// `signal` into the largest any rank passed: a signal on one rank stops all of them after the
// same step.
struct DataParallel {
  int rank = 0;
  int ranks = 1;
  std::function<void(std::span<float> gradients, std::span<double> sums, int& signal)> all_reduce;
};

// What a model is trained and measured with: the loss, the compiled metrics, and the
// preprocessing batches are gathered through.
struct Objective {
  const Loss& loss;
  const MetricSet& metrics;
  const Preprocessing& preprocessing;
};

struct FitSettings {
  std::int64_t epochs = 1;
  std::int64_t batch_size = 32;
  std::int64_t initial_epoch = 0;
  bool shuffle = true;
  std::uint64_t seed = 42;
  // Continue this saved state instead of starting at initial_epoch (runner resume).
  const TrainingState* resume = nullptr;
  // Data-parallel training (framework/app/mpi/): train only this rank's share of every batch.
  const DataParallel* data_parallel = nullptr;
};

struct Evaluation {
  double loss = 0;
  Logs metrics;  // by metric name
  std::int64_t count = 0;
  // The metric's value, or NaN when the run does not compute it.
  [[nodiscard]] double metric(const std::string& name) const;
};

struct FitOutcome {
  History history;
  std::int64_t epochs_run = 0;
  bool stopped_early = false;
  std::optional<std::string> restored_note;  // what EarlyStopping restored, if anything
};

// Trains `model` (built, prepared for batch_size) on `train`, validating on `validation` (may
// be empty) after every epoch. Requires: model.use_logits_output() already decided (the loss
// reads outputs_logits()). Saves a TrainingState through ctx.save_state after every epoch; on
// SIGINT/SIGTERM it saves one at the current step and throws Interrupted.
FitOutcome fit(Model& model, Optimizer& optimizer, const Objective& objective,
               std::vector<std::unique_ptr<Callback>>& callbacks, const Part& train,
               const Part& validation, const FitSettings& settings, TrainContext& ctx,
               Progress& progress);

// Mean loss (with the weights' penalties, as Keras) and the metrics over `part` in eval mode,
// in batches of batch_size.
Evaluation evaluate(Model& model, const Objective& objective, const Part& part,
                    std::int64_t batch_size);

// The model's outputs for set[indices] as the metrics read them (probabilities, or regression
// values), {n, outputs}, in batches of batch_size.
Tensor predict(Model& model, const Objective& objective, const Samples& set,
               std::span<const std::int64_t> indices, std::int64_t batch_size);

// The order of training samples in `epoch`: a permutation derived from (seed, epoch).
std::vector<std::int64_t> epoch_order(std::span<const std::int64_t> indices, std::uint64_t seed,
                                      std::int64_t epoch, bool shuffle);

}  // namespace runner
