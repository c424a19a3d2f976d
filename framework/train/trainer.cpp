#include "framework/train/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>

#include "framework/core/errors.hpp"
#include "framework/train/interrupt.hpp"

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

double Evaluation::metric(const std::string& name) const {
  return metrics.get(name).value_or(std::numeric_limits<double>::quiet_NaN());
}

namespace {
// The batch's outputs as metrics read them: `out` copied into `probs` and converted.
const Tensor& metric_outputs(const Objective& objective, const Model& model, const Tensor& out,
                             Tensor& probs) {
  probs = out;
  objective.loss.to_probabilities(probs, model.outputs_logits());
  return probs;
}
}  // namespace

Evaluation evaluate(Model& model, const Objective& objective, const Part& part,
                    std::int64_t batch_size) {
  Evaluation result;
  Tensor x;
  Tensor probs;
  Targets y;
  std::vector<double> sums(objective.metrics.state_size(), 0.0);
  double loss_sum = 0;
  const std::span<const std::int64_t> indices = part.indices;
  const auto n = static_cast<std::int64_t>(indices.size());
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t count = std::min(batch_size, n - begin);
    gather_batch(*part.set,
                 indices.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                 objective.preprocessing, x, y);
    const Tensor& out = model.forward_taking(x, Pass{Mode::kEval, 0});
    loss_sum += objective.loss.compute(out, y, model.outputs_logits(), nullptr, 0);
    if (!objective.metrics.empty()) {  // no copy of the outputs for no metric
      objective.metrics.update(metric_outputs(objective, model, out, probs), y, sums);
    }
  }
  result.count = n;
  if (n > 0) {
    result.loss = loss_sum / static_cast<double>(n) + model.penalty();
    objective.metrics.write(sums, "", result.metrics);
  }
  return result;
}

Tensor predict(Model& model, const Objective& objective, const Samples& set,
               std::span<const std::int64_t> indices, std::int64_t batch_size) {
  Tensor x;
  Targets y;
  Tensor probs;
  const auto n = static_cast<std::int64_t>(indices.size());
  Tensor all(model.output_shape().with_batch(n));
  const std::size_t width = all.sample_size();
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t count = std::min(batch_size, n - begin);
    gather_batch(set,
                 indices.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                 objective.preprocessing, x, y);
    const Tensor& p =
        metric_outputs(objective, model, model.forward_taking(x, Pass{Mode::kEval, 0}), probs);
    std::copy(p.data(), p.data() + p.size(), all.data() + static_cast<std::size_t>(begin) * width);
  }
  return all;
}

namespace {
// Each rank moved its moving statistics (BatchNormalization) towards its own shard's batch
// statistics; all ranks continue from their mean, as Keras' MirroredStrategy reads them.
void average_moving_statistics(Model& model, const DataParallel& dp) {
  const std::span<float> frozen = model.parameters().subspan(model.trainable_count());
  int no_signal = 0;
  dp.all_reduce(frozen, {}, no_signal);
  const float scale = 1.0F / static_cast<float>(dp.ranks);
  for (float& v : frozen) {
    v *= scale;
  }
}

// Running sums of the current epoch.
struct EpochSums {
  double loss_sum = 0;
  std::vector<double> metrics;  // MetricSet state
  std::int64_t seen = 0;
};

TrainingState capture(const Model& model, Optimizer& optimizer,
                      const std::vector<std::unique_ptr<Callback>>& callbacks,
                      const History& history, std::int64_t epoch, std::int64_t step,
                      const EpochSums& sums, double seconds) {
  TrainingState state;
  state.epoch = epoch;
  state.step = step;
  state.loss_sum = sums.loss_sum;
  state.metric_sums = sums.metrics;
  state.seen = sums.seen;
  state.epoch_seconds = seconds;
  state.params.assign(model.parameters().begin(), model.parameters().end());
  state.iterations = optimizer.iterations();
  state.learning_rate = optimizer.learning_rate();
  for (const auto& [name, buffer] : optimizer.slots()) {
    state.slots[name] = *buffer;
  }
  for (const auto& record : history.epochs()) {
    state.history.push_back(EpochState{record.epoch, record.logs.items(), record.seconds});
  }
  for (const auto& cb : callbacks) {
    cb->save_state(state.callbacks.emplace_back());
  }
  return state;
}

void restore(const TrainingState& state, Model& model, Optimizer& optimizer,
             std::vector<std::unique_ptr<Callback>>& callbacks, History& history) {
  if (state.params.size() != model.parameter_count() ||
      state.callbacks.size() != callbacks.size()) {
    throw CheckpointError(fmt::format(
        "the saved state holds {} parameters and {} callbacks, the experiment has {} and {}",
        state.params.size(), state.callbacks.size(), model.parameter_count(), callbacks.size()));
  }
  std::copy(state.params.begin(), state.params.end(), model.parameters().begin());
  optimizer.set_iterations(state.iterations);
  if (!optimizer.has_schedule()) {  // a schedule's rate follows from iterations()
    optimizer.set_learning_rate(state.learning_rate);
  }
  for (const auto& [name, buffer] : optimizer.slots()) {
    const auto it = state.slots.find(name);
    if (it != state.slots.end() && it->second.size() == buffer->size()) {
      *buffer = it->second;
    } else if (it != state.slots.end() ||
               !optimizer.restore_former_slot(name, state.slots, *buffer)) {
      throw CheckpointError(fmt::format("the saved state has no optimizer slot '{}' of {} values",
                                        name, buffer->size()));
    }
  }
  for (const auto& e : state.history) {
    EpochRecord record{e.epoch, {}, e.seconds};
    for (const auto& [name, value] : e.logs) {
      record.logs.set(name, value);
    }
    history.add(record);
  }
  for (std::size_t i = 0; i < callbacks.size(); ++i) {
    const CallbackState& saved = state.callbacks[i];
    // An empty state starts the callback afresh (a continued run's new fit, continue_run.hpp).
    if (!saved.numbers.empty() || !saved.arrays.empty()) {
      callbacks[i]->load_state(saved);
    }
  }
}

}  // namespace

FitOutcome fit(Model& model, Optimizer& optimizer, const Objective& objective,
               std::vector<std::unique_ptr<Callback>>& callbacks, const Part& train,
               const Part& validation, const FitSettings& settings, TrainContext& ctx,
               Progress& progress) {
  // Ctrl-C and SIGTERM stop training at the next step, with its state saved.
  const InterruptibleWork interruptible;
  const Loss& loss = objective.loss;
  const MetricSet& metrics = objective.metrics;
  const std::span<const std::int64_t> train_indices = train.indices;
  FitOutcome outcome;
  ctx.model = &model;
  ctx.optimizer = &optimizer;
  ctx.history = &outcome.history;
  ctx.stop_training = false;
  ctx.resuming = settings.resume != nullptr;
  if (!ctx.message) {
    ctx.message = [&progress](const std::string& text) { progress.message(text); };
  }
  const auto n = static_cast<std::int64_t>(train_indices.size());
  const std::int64_t steps = (n + settings.batch_size - 1) / settings.batch_size;
  optimizer.prepare(model.trainable_sizes());
  for (auto& cb : callbacks) {
    cb->on_train_begin(ctx);
  }
  std::int64_t first_epoch = settings.initial_epoch;
  std::int64_t first_step = 0;
  const EpochSums fresh{0.0, std::vector<double>(metrics.state_size(), 0.0), 0};
  EpochSums resumed_sums = fresh;
  double resumed_seconds = 0;
  if (settings.resume != nullptr) {
    restore(*settings.resume, model, optimizer, callbacks, outcome.history);
    first_epoch = settings.resume->epoch;
    first_step = settings.resume->step;
    resumed_sums = {settings.resume->loss_sum, settings.resume->metric_sums, settings.resume->seen};
    if (resumed_sums.metrics.size() != metrics.state_size()) {
      throw CheckpointError(
          fmt::format("the saved state holds {} metric sums, the experiment's "
                      "metrics have {}",
                      resumed_sums.metrics.size(), metrics.state_size()));
    }
    resumed_seconds = settings.resume->epoch_seconds;
  }
  Tensor x;
  Tensor grad;
  Tensor probs;
  Targets y;
  std::vector<double> batch_sums(1 + metrics.state_size());
  const bool rate_can_change = optimizer.has_schedule() ||
                               std::any_of(callbacks.begin(), callbacks.end(), [](const auto& cb) {
                                 return cb->changes_learning_rate();
                               });
  for (std::int64_t epoch = first_epoch; epoch < settings.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    const bool resumed_epoch = epoch == first_epoch;
    const double earlier_seconds = resumed_epoch ? resumed_seconds : 0.0;
    auto elapsed = [&] {
      return earlier_seconds +
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    for (auto& cb : callbacks) {
      cb->on_epoch_begin(epoch, ctx);
    }
    progress.start_epoch(epoch, settings.epochs, steps);
    const auto order = epoch_order(train_indices, settings.seed, epoch, settings.shuffle);
    const double learning_rate = optimizer.learning_rate();
    EpochSums sums = resumed_epoch ? resumed_sums : fresh;
    Logs running;
    if (sums.seen > 0) {
      running.set("loss", sums.loss_sum / static_cast<double>(sums.seen));
      metrics.write(sums.metrics, "", running);
    }
    for (std::int64_t step = resumed_epoch ? first_step : 0; step < steps; ++step) {
      const std::int64_t begin = step * settings.batch_size;
      const std::int64_t count = std::min(settings.batch_size, n - begin);
      const std::int64_t global_step = epoch * steps + step;
      // This process's share of the batch: all of it, or a data-parallel shard.
      const DataParallel* dp = settings.data_parallel;
      const std::int64_t first = dp != nullptr ? count * dp->rank / dp->ranks : 0;
      const std::int64_t last = dp != nullptr ? count * (dp->rank + 1) / dp->ranks : count;
      std::fill(batch_sums.begin(), batch_sums.end(), 0.0);  // loss, then metric sums
      model.zero_gradients();
      if (last > first) {
        gather_batch(*train.set,
                     std::span(order).subspan(static_cast<std::size_t>(begin + first),
                                              static_cast<std::size_t>(last - first)),
                     objective.preprocessing, x, y);
        const Pass pass{Mode::kTrain, static_cast<std::uint64_t>(global_step),
                        static_cast<std::uint64_t>(first)};
        const Tensor& out = model.forward(x, pass);
        batch_sums[0] = loss.compute(out, y, model.outputs_logits(), &grad, count);
        if (!metrics.empty()) {  // no copy of the outputs for no metric
          metrics.update(metric_outputs(objective, model, out, probs), y,
                         std::span(batch_sums).subspan(1));
        }
        model.backward(grad);
      }
      int signal = interrupt_signal();
      if (dp != nullptr) {
        dp->all_reduce(model.gradients(), batch_sums, signal);
      }
      // Keras adds the regularization losses once per batch, to the batch's mean loss.
      const double batch_loss = batch_sums[0] + model.penalty() * static_cast<double>(count);
      model.add_penalty_gradients();
      for (std::size_t k = 0; k < sums.metrics.size(); ++k) {
        sums.metrics[k] += batch_sums[1 + k];
      }
      optimizer.apply(model.trainable_parameters(), model.trainable_gradients());
      if (dp != nullptr && model.trainable_count() < model.parameter_count()) {
        average_moving_statistics(model, *dp);
      }
      sums.loss_sum += batch_loss;
      sums.seen += count;
      running.set("loss", sums.loss_sum / static_cast<double>(sums.seen));
      metrics.write(sums.metrics, "", running);
      // Keras' batch logs: the epoch's running loss and metrics so far.
      for (auto& cb : callbacks) {
        cb->on_batch_end(step, running, ctx);
      }
      progress.update(step, running);
      maybe_inject_fault(global_step);
      if (signal != 0) {
        if (ctx.save_state) {
          TrainingState state = capture(model, optimizer, callbacks, outcome.history, epoch,
                                        step + 1, sums, elapsed());
          ctx.save_state(state);
        }
        progress.close_line();
        throw Interrupted(
            fmt::format("interrupted by {} at epoch {}, step {}/{}; the run's state is saved: "
                        "continue with "
                        "'runner resume {}'",
                        signal_name(signal), epoch + 1, step + 1, steps, ctx.run_dir.string()),
            signal);
      }
      if (ctx.stop_training) {
        break;
      }
    }
    Logs logs = running;
    if (validation.size() > 0) {
      const Evaluation val = evaluate(model, objective, validation, settings.batch_size);
      logs.set("val_loss", val.loss);
      for (const auto& [name, value] : val.metrics.items()) {
        logs.set("val_" + name, value);
      }
    }
    if (rate_can_change) {
      logs.set("lr", optimizer.learning_rate());  // as Keras' ReduceLROnPlateau logs it
    }
    // Keras' order: the callbacks (their messages), then the epoch's line (ProgbarLogger is the
    // last callback). They get Keras' logs: no learning_rate (CSVLogger writes them as they are).
    for (auto& cb : callbacks) {
      cb->on_epoch_end(epoch, logs, ctx);
    }
    progress.end_epoch(logs);
    Logs recorded = logs;  // runner's history also keeps the rate each epoch trained with
    recorded.set("learning_rate", learning_rate);
    outcome.history.add(EpochRecord{epoch + 1, recorded, elapsed()});
    ++outcome.epochs_run;
    if (ctx.save_state) {
      TrainingState state =
          capture(model, optimizer, callbacks, outcome.history, epoch + 1, 0, fresh, 0.0);
      ctx.save_state(state);
    }
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
