#pragma once
// fit / evaluate / predict with Keras' semantics: training metrics are running means over the
// epoch with dropout active; validation runs in eval mode after each epoch; callbacks see the
// epoch's logs in list order.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "data/dataset.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/model.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/history.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "framework/train/progress.hpp"
#include "framework/train/training_state.hpp"

namespace runner {

// One process's part in data-parallel training: it trains samples [count * rank / ranks,
// count * (rank + 1) / ranks) of every batch of `count`, then all_reduce sums the gradients and
// the step's loss and correct count over the ranks (the same sums on every rank), and turns
// `signal` into the largest any rank passed: a signal on one rank stops all of them after the
// same step.
struct DataParallel {
  int rank = 0;
  int ranks = 1;
  std::function<void(std::span<float> gradients, double& loss_sum, std::int64_t& correct,
                     int& signal)>
      all_reduce;
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
  double accuracy = 0;
  std::int64_t count = 0;
};

struct FitOutcome {
  History history;
  std::int64_t epochs_run = 0;
  bool stopped_early = false;
  std::optional<std::string> restored_note;  // what EarlyStopping restored, if anything
};

// Trains `model` (built, prepared for batch_size) on data.train[train_indices].
// Requires: model.use_logits_output() already decided (the loss reads outputs_logits()).
// Saves a TrainingState through ctx.save_state after every epoch; on SIGINT/SIGTERM it saves
// one at the current step and throws Interrupted.
FitOutcome fit(Model& model, Optimizer& optimizer, const Loss& loss,
               std::vector<std::unique_ptr<Callback>>& callbacks, const ImageSet& data,
               std::span<const std::int64_t> train_indices,
               std::span<const std::int64_t> validation_indices, const FitSettings& settings,
               TrainContext& ctx, Progress& progress);

// Mean loss (with the weights' penalties, as Keras) and accuracy over set[indices] in eval
// mode, in batches of batch_size.
Evaluation evaluate(Model& model, const Loss& loss, const ImageSet& set,
                    std::span<const std::int64_t> indices, std::int64_t batch_size);

// Class probabilities of one image (softmax applied when the model outputs logits).
std::vector<float> predict_one(Model& model, const ImageSet& set, std::int64_t index);

// The order of training samples in `epoch`: a permutation derived from (seed, epoch).
std::vector<std::int64_t> epoch_order(std::span<const std::int64_t> indices, std::uint64_t seed,
                                      std::int64_t epoch, bool shuffle);

}  // namespace runner
