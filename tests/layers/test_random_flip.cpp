#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// Whether sample n of y is sample n of x flipped as asked (h: left-right, v: top-bottom).
bool is_flip(const Tensor& x, const Tensor& y, long n, bool h, bool v) {
  const long rows = x.shape()[1];
  const long cols = x.shape()[2];
  const long c = x.shape()[3];
  for (long r = 0; r < rows; ++r) {
    for (long col = 0; col < cols; ++col) {
      for (long k = 0; k < c; ++k) {
        const long sr = v ? rows - 1 - r : r;
        const long sc = h ? cols - 1 - col : col;
        if (y[static_cast<std::size_t>(((n * rows + r) * cols + col) * c + k)] !=
            x[static_cast<std::size_t>(((n * rows + sr) * cols + sc) * c + k)]) {
          return false;
        }
      }
    }
  }
  return true;
}
}  // namespace

TEST_SUITE("RandomFlip") {
  TEST_CASE("RandomFlip is the identity in inference") {
    Model m = make_layer_model("RandomFlip", Shape{4, 5, 2}, 3);
    const Tensor x = sine_input(Shape{3, 4, 5, 2});
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{Mode::kEval, 7}).span()));
  }

  TEST_CASE("RandomFlip flips each image in one of the four ways about equally often") {
    Model m = make_layer_model("RandomFlip", Shape{3, 4, 1}, 400);
    const Tensor x = sine_input(Shape{400, 3, 4, 1});
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 5});
    int counts[4] = {0, 0, 0, 0};
    for (long n = 0; n < 400; ++n) {
      int found = -1;
      for (int k = 0; k < 4 && found < 0; ++k) {
        if (is_flip(x, y, n, (k & 1) != 0, (k & 2) != 0)) {
          found = k;
        }
      }
      REQUIRE(found >= 0);
      ++counts[found];
    }
    for (int count : counts) {
      CHECK(count > 70);  // 100 expected of each
    }
    Model horizontal =
        make_layer_model("{type: RandomFlip, mode: horizontal}", Shape{3, 4, 1}, 400);
    const Tensor& yh = horizontal.forward(x, Pass{Mode::kTrain, 5});
    for (long n = 0; n < 400; ++n) {
      CHECK((is_flip(x, yh, n, false, false) || is_flip(x, yh, n, true, false)));
    }
  }

  TEST_CASE("RandomFlip draws by step and sample and not by call or shard") {
    const Tensor x = sine_input(Shape{6, 3, 3, 1});
    Model whole = make_layer_model("RandomFlip", Shape{3, 3, 1}, 6);
    Model shard = make_layer_model("RandomFlip", Shape{3, 3, 1}, 6);
    const Tensor all = whole.forward(x, Pass{Mode::kTrain, 9});
    Tensor piece(Shape{2, 3, 3, 1});
    std::copy(x.data() + 3 * 9, x.data() + 5 * 9, piece.data());
    const Tensor part = shard.forward(piece, Pass{Mode::kTrain, 9, /*sample_offset=*/3});
    CHECK(bitwise_equal(part.span(), all.span().subspan(3 * 9, 2 * 9)));
    CHECK_FALSE(bitwise_equal(all.span(), whole.forward(x, Pass{Mode::kTrain, 10}).span()));
  }

  TEST_CASE("RandomFlip gradients match finite differences") {
    Model m = make_layer_model("RandomFlip", Shape{3, 4, 2}, 4);
    CHECK(gradcheck(m, sine_input(Shape{4, 3, 4, 2}), Pass{Mode::kTrain, 3}).max_input_error <
          1e-4);
  }

  TEST_CASE("RandomFlip gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("RandomFlip", sine_input(Shape{33, 8, 8, 3}));
  }

  TEST_CASE("RandomFlip survives a checkpoint round trip and refuses an unknown mode") {
    check_checkpoint_round_trip("RandomFlip", sine_input(Shape{2, 3, 3, 1}));
    CHECK_THROWS_WITH_AS(make_layer_model("{type: RandomFlip, mode: diagonal}", Shape{3, 3, 1}, 1),
                         "test:1:26: model.layers[0].mode: expected one of horizontal, vertical, "
                         "horizontal_and_vertical, got 'diagonal'",
                         ConfigError);
  }
}

}  // namespace runner::test
