// The arithmetic data-parallel training relies on, without MPI: the shards' gradients of a
// batch add up to the whole batch's gradient (dropout included), up to float rounding.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "framework/config/experiment.hpp"
#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

TEST_SUITE("trainer") {
  TEST_CASE("Shard gradients of the reference CNN add up to the whole batch's gradient") {
    const Experiment e = load_experiment("experiments/cnn.yaml");
    Model model = build_model(e, Shape{28, 28, 1});
    model.prepare(24);
    model.use_logits_output();
    const Tensor x = sine_input(Shape{24, 28, 28, 1});
    std::vector<std::int32_t> labels(24);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      labels[i] = static_cast<std::int32_t>((i * 7) % 10);
    }
    Tensor grad;
    model.zero_gradients();
    const double whole_loss = sparse_categorical_crossentropy(
        model.forward(x, Pass{Mode::kTrain, 5, 0}), labels, true, &grad);
    model.backward(grad);
    const std::vector<float> whole(model.gradients().begin(), model.gradients().end());

    for (const std::int64_t ranks : {2, 3, 4}) {
      CAPTURE(ranks);
      model.zero_gradients();
      double loss = 0;
      for (std::int64_t r = 0; r < ranks; ++r) {
        const std::int64_t first = 24 * r / ranks;
        const std::int64_t last = 24 * (r + 1) / ranks;
        Tensor shard(Shape{last - first, 28, 28, 1});
        std::copy(x.data() + first * 784, x.data() + last * 784, shard.data());
        const std::vector<std::int32_t> shard_labels(labels.begin() + first, labels.begin() + last);
        const Tensor& out =
            model.forward(shard, Pass{Mode::kTrain, 5, static_cast<std::uint64_t>(first)});
        loss += sparse_categorical_crossentropy(out, shard_labels, true, &grad, 24);
        model.backward(grad);  // adds to the gradients
      }
      CHECK(loss == doctest::Approx(whole_loss).epsilon(1e-6));
      float largest = 0;
      float worst = 0;
      for (std::size_t i = 0; i < whole.size(); ++i) {
        largest = std::max(largest, std::abs(whole[i]));
        worst = std::max(worst, std::abs(whole[i] - model.gradients()[i]));
      }
      CHECK(largest > 0);
      CHECK(worst <= 1e-5F * largest);

      // A shard without its offset draws other dropout masks: visibly different gradients.
      if (ranks == 2) {
        model.zero_gradients();
        for (std::int64_t r = 0; r < 2; ++r) {
          Tensor shard(Shape{12, 28, 28, 1});
          std::copy(x.data() + r * 12 * 784, x.data() + (r + 1) * 12 * 784, shard.data());
          const std::vector<std::int32_t> shard_labels(labels.begin() + r * 12,
                                                       labels.begin() + (r + 1) * 12);
          (void)sparse_categorical_crossentropy(model.forward(shard, Pass{Mode::kTrain, 5, 0}),
                                                shard_labels, true, &grad, 24);
          model.backward(grad);
        }
        float off = 0;
        for (std::size_t i = 0; i < whole.size(); ++i) {
          off = std::max(off, std::abs(whole[i] - model.gradients()[i]));
        }
        CHECK(off > 1e-3F * largest);
      }
    }
  }
}

}  // namespace runner::test
