#include "framework/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "framework/losses/sparse_categorical_crossentropy.hpp"
#include "framework/metrics/accuracy.hpp"

namespace runner {

namespace {
constexpr std::uint64_t kShuffleStream = 0x5F1E;
}

std::vector<std::int64_t> epoch_order(std::span<const std::int64_t> indices, std::uint64_t seed,
                                      std::int64_t epoch, bool shuffle) {
  std::vector<std::int64_t> order(indices.begin(), indices.end());
  if (!shuffle) {
    return order;
  }
  Rng rng(derive_seed(derive_seed(seed, kShuffleStream), static_cast<std::uint64_t>(epoch)));
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

Evaluation evaluate(Model& model, const ImageSet& set, std::span<const std::int64_t> indices,
                    std::int64_t batch_size) {
  Evaluation result;
  Tensor x;
  std::vector<std::int32_t> y;
  double loss_sum = 0;
  std::int64_t correct = 0;
  const auto n = static_cast<std::int64_t>(indices.size());
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t count = std::min(batch_size, n - begin);
    gather_batch(set,
                 indices.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                 x, y);
    const Tensor& out = model.forward(x, Pass{Mode::kEval, 0});
    loss_sum += sparse_categorical_crossentropy(out, y, model.outputs_logits(), nullptr);
    correct += count_correct(out, y);
  }
  result.count = n;
  if (n > 0) {
    result.loss = loss_sum / static_cast<double>(n);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  }
  return result;
}

std::vector<float> predict_one(Model& model, const ImageSet& set, std::int64_t index) {
  Tensor x;
  std::vector<std::int32_t> y;
  const std::int64_t indices[] = {index};
  gather_batch(set, indices, x, y);
  const Tensor& out = model.forward(x, Pass{Mode::kEval, 0});
  std::vector<float> probs(out.data(), out.data() + out.size());
  if (model.outputs_logits()) {
    softmax_in_place(probs);
  }
  return probs;
}

FitOutcome fit(Model& model, Optimizer& optimizer,
               std::vector<std::unique_ptr<Callback>>& callbacks, const ImageSet& data,
               std::span<const std::int64_t> train_indices,
               std::span<const std::int64_t> validation_indices, const FitSettings& settings,
               TrainContext& ctx, Progress& progress) {
  FitOutcome outcome;
  ctx.model = &model;
  ctx.optimizer = &optimizer;
  ctx.history = &outcome.history;
  ctx.stop_training = false;
  if (!ctx.message) {
    ctx.message = [&progress](const std::string& text) { progress.message(text); };
  }
  const auto n = static_cast<std::int64_t>(train_indices.size());
  const std::int64_t steps = (n + settings.batch_size - 1) / settings.batch_size;
  optimizer.prepare(model.parameter_count());
  for (auto& cb : callbacks) {
    cb->on_train_begin(ctx);
  }
  Tensor x;
  Tensor grad;
  std::vector<std::int32_t> y;
  for (std::int64_t epoch = settings.initial_epoch; epoch < settings.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    for (auto& cb : callbacks) {
      cb->on_epoch_begin(epoch, ctx);
    }
    progress.start_epoch(epoch, settings.epochs, steps);
    const auto order = epoch_order(train_indices, settings.seed, epoch, settings.shuffle);
    const double learning_rate = optimizer.learning_rate();
    double loss_sum = 0;
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    Logs running;
    for (std::int64_t step = 0; step < steps; ++step) {
      const std::int64_t begin = step * settings.batch_size;
      const std::int64_t count = std::min(settings.batch_size, n - begin);
      gather_batch(data,
                   std::span(order).subspan(static_cast<std::size_t>(begin),
                                            static_cast<std::size_t>(count)),
                   x, y);
      const Pass pass{Mode::kTrain, static_cast<std::uint64_t>(epoch * steps + step)};
      const Tensor& out = model.forward(x, pass);
      const double batch_loss =
          sparse_categorical_crossentropy(out, y, model.outputs_logits(), &grad);
      correct += count_correct(out, y);
      model.zero_gradients();
      model.backward(grad);
      optimizer.apply(model.parameters(), model.gradients());
      loss_sum += batch_loss;
      seen += count;
      running.set("loss", loss_sum / static_cast<double>(seen));
      running.set("accuracy", static_cast<double>(correct) / static_cast<double>(seen));
      Logs batch_logs;
      batch_logs.set("loss", batch_loss / static_cast<double>(count));
      for (auto& cb : callbacks) {
        cb->on_batch_end(step, batch_logs, ctx);
      }
      progress.update(step, running);
      if (ctx.stop_training) {
        break;
      }
    }
    Logs logs = running;
    if (!validation_indices.empty()) {
      const Evaluation val = evaluate(model, data, validation_indices, settings.batch_size);
      logs.set("val_loss", val.loss);
      logs.set("val_accuracy", val.accuracy);
    }
    progress.end_epoch(logs);
    Logs recorded = logs;
    recorded.set("learning_rate", learning_rate);
    for (auto& cb : callbacks) {
      cb->on_epoch_end(epoch, recorded, ctx);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    outcome.history.add(EpochRecord{epoch + 1, recorded, seconds});
    ++outcome.epochs_run;
    if (ctx.stop_training) {
      outcome.stopped_early = true;
      break;
    }
  }
  for (auto& cb : callbacks) {
    cb->on_train_end(ctx);
  }
  outcome.restored_note = ctx.restored_note;
  return outcome;
}

}  // namespace runner
