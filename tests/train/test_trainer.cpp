#include <doctest/doctest.h>

#include "framework/config/typed_specs.hpp"
#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"
#include "framework/train/trainer.hpp"
#include "tests/support/layer_checks.hpp"
#include "tests/support/prepared_run.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
struct TinyRun {
  History history;
  std::vector<float> weights;
  std::vector<float> dense_kernel;  // model.layers[3]'s (784 x 16) kernel
  Evaluation test;
};

// The tiny fixture experiment (with `overrides`) trained in memory for `epochs`, on `threads`
// threads.
TinyRun train_tiny(int threads, std::int64_t epochs,
                   const std::vector<std::string>& overrides = {}) {
  return with_threads(threads, [&] {
    PreparedRun run;
    prepare_run(run, "tests/fixtures/tiny.yaml", overrides);
    const Experiment& e = run.e;
    Model& model = run.model;
    auto optimizer = make_optimizer(e);
    std::vector<std::unique_ptr<Callback>> callbacks;
    TrainContext ctx;
    Progress quiet(Verbosity::kQuiet, stdout);
    FitSettings settings{epochs, e.batch_size, 0, true, e.seed};
    FitOutcome out = fit(model, *optimizer, run.objective(), callbacks, run.d.parts.train,
                         run.d.parts.validation, settings, ctx, quiet);
    const auto kernel = model.entry(3).params[0].span();
    return TinyRun{out.history,
                   std::vector<float>(model.parameters().begin(), model.parameters().end()),
                   std::vector<float>(kernel.begin(), kernel.end()),
                   evaluate(model, run.objective(), run.d.parts.test, 32)};
  });
}
}  // namespace

TEST_SUITE("trainer") {
  TEST_CASE("A short fit lowers the loss and reports Keras' metrics per epoch") {
    const TinyRun run = train_tiny(2, 4);
    REQUIRE(run.history.epochs().size() == 4);
    const auto& first = run.history.epochs().front().logs;
    const auto& last = run.history.epochs().back().logs;
    CHECK(run.history.metric_names() == std::vector<std::string>{"loss", "accuracy", "val_loss",
                                                                 "val_accuracy", "learning_rate"});
    CHECK(*last.get("loss") < *first.get("loss"));
    CHECK(*last.get("val_loss") < *first.get("val_loss"));
    CHECK(*last.get("accuracy") > 0.2);  // twice chance after 24 steps on 192 images
    CHECK(run.test.count == 64);
  }

  TEST_CASE("Training gives bitwise-identical histories and weights on 1 and 2 threads") {
    const TinyRun one = train_tiny(1, 2);
    const TinyRun two = train_tiny(2, 2);
    CHECK(bitwise_equal(one.weights, two.weights));
    for (std::size_t e = 0; e < 2; ++e) {
      CHECK(one.history.epochs()[e].logs.items() == two.history.epochs()[e].logs.items());
    }
    CHECK(one.test.loss == two.test.loss);
  }

  TEST_CASE("Regularization penalties count in the training and the evaluation loss") {
    // Keras adds the regularization losses to every batch's loss, in fit and in evaluate.
    const std::vector<std::string> penalties{"model.layers[3].kernel_regularizer={l2: 0.05}",
                                             "model.layers[0].bias_regularizer={l1: 0.5}"};
    PreparedRun with_penalty;
    prepare_run(with_penalty, "tests/fixtures/tiny.yaml", penalties);
    const double penalty = with_penalty.model.penalty();
    CHECK(penalty > 0.1);  // glorot_uniform 784 x 16 kernel: about 0.05 * 784 * 16 / 800 * 2
    const Evaluation penalized =
        evaluate(with_penalty.model, with_penalty.objective(), with_penalty.d.parts.test, 32);
    PreparedRun plain;
    prepare_run(plain, "tests/fixtures/tiny.yaml");
    CHECK(plain.model.penalty() == 0);
    const Evaluation unpenalized = evaluate(plain.model, plain.objective(), plain.d.parts.test, 32);
    CHECK(penalized.loss == doctest::Approx(unpenalized.loss + penalty).epsilon(1e-9));

    // One epoch: the penalty pulls the kernel towards zero much harder than without it.
    auto kernel_norm = [](const TinyRun& run) {
      double norm = 0;
      for (const float w : run.dense_kernel) {
        norm += static_cast<double>(w) * w;
      }
      return norm;
    };
    auto first_loss = [](const TinyRun& run) {
      return *run.history.epochs().front().logs.get("loss");
    };
    const TinyRun penalized_run = train_tiny(2, 1, penalties);
    const TinyRun plain_run = train_tiny(2, 1);
    CHECK(kernel_norm(penalized_run) < 0.8 * kernel_norm(plain_run));
    CHECK(first_loss(penalized_run) > first_loss(plain_run));
  }

  TEST_CASE("Each epoch's order is a seeded permutation and shuffle false keeps the split order") {
    const std::vector<std::int64_t> idx{10, 11, 12, 13, 14, 15, 16, 17};
    const auto a = epoch_order(idx, 42, 0, true);
    CHECK(a == epoch_order(idx, 42, 0, true));
    CHECK(a != epoch_order(idx, 42, 1, true));
    CHECK(std::is_permutation(a.begin(), a.end(), idx.begin()));
    CHECK(epoch_order(idx, 42, 3, false) == idx);
  }

  TEST_CASE("The loss from logits equals the loss from softmax probabilities") {
    Tensor logits(Shape{2, 3});
    const float values[] = {2.0F, -1.0F, 0.5F, 0.1F, 0.2F, 3.0F};
    std::copy(values, values + 6, logits.data());
    Tensor probs = logits;
    softmax_in_place(std::span<float>(probs.data(), 3));
    softmax_in_place(std::span<float>(probs.data() + 3, 3));
    const std::vector<std::int32_t> labels{0, 1};
    Tensor g1;
    Tensor g2;
    const double from_logits = sparse_categorical_crossentropy(logits, labels, true, &g1);
    const double from_probs = sparse_categorical_crossentropy(probs, labels, false, &g2);
    CHECK(from_logits == doctest::Approx(from_probs).epsilon(1e-6));
    // -log softmax: 2 - log(e^2 + e^-1 + e^0.5) and 0.2 - log(e^0.1 + e^0.2 + e^3)
    const double expected = -(2.0 - std::log(std::exp(2.0) + std::exp(-1.0) + std::exp(0.5))) -
                            (0.2 - std::log(std::exp(0.1) + std::exp(0.2) + std::exp(3.0)));
    CHECK(from_logits == doctest::Approx(expected).epsilon(1e-6));
    CHECK(g1[0] == doctest::Approx((probs[0] - 1.0) / 2));
  }
}

}  // namespace runner::test

namespace runner::test {

TEST_SUITE("trainer") {
  TEST_CASE("A NaN loss stops training with its epoch and step and fails the run") {
    TempDir results;
    // A learning rate of 1e30 blows the weights up within a few steps.
    const CliResult r =
        run_cli("tests/fixtures/tiny.yaml --set results_dir=" + results.path().string() +
                " --set compile.optimizer.learning_rate=1e30");
    CHECK(r.exit_code == 1);
    CHECK(r.out.find(": invalid loss (") != std::string::npos);
    CHECK(r.err.starts_with("error: Epoch 1, batch "));
    CHECK(r.err.find("terminating training (the run folder ") != std::string::npos);
    // As Keras: NaN prints without a sign, and a run TerminateOnNaN ended did not stop early.
    CHECK(r.out.find("-nan") == std::string::npos);
    CHECK(r.out.find("early stopping") == std::string::npos);
  }
}

}  // namespace runner::test
