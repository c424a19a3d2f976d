// Merge layers called directly with several inputs: values by hand (with Keras' broadcasting),
// input gradients against finite differences, 1 vs 2 threads.
#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "framework/nn/merge_layer.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
struct MergeCase {
  std::unique_ptr<Layer> layer;
  std::vector<Tensor> inputs;
  Shape output;

  MergeLayer& merge() { return *layer->as_merge(); }
  [[nodiscard]] std::vector<const Tensor*> pointers() const {
    std::vector<const Tensor*> out;
    for (const Tensor& t : inputs) {
      out.push_back(&t);
    }
    return out;
  }
  Tensor forward() {
    Tensor y(output);
    merge().forward_merge(pointers(), y);
    return y;
  }
};

// The layer `yaml` on inputs of `shapes` (batch included), filled with shifted sines.
MergeCase make_case(const std::string& yaml, const std::vector<Shape>& shapes) {
  Diagnostics diag("test");
  LayerSpec spec(load_yaml_string(yaml, "test"), "layer", diag, 0, 42);
  MergeCase c{layer_registry().create(spec), {}, {}};
  REQUIRE(c.layer != nullptr);
  REQUIRE(c.layer->as_merge() != nullptr);
  std::vector<Shape> sample_shapes;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    Tensor t = sine_input(shapes[k]);
    for (std::size_t i = 0; i < t.size(); ++i) {
      t[i] += 0.13F * static_cast<float>(k);  // no ties between inputs
    }
    c.inputs.push_back(std::move(t));
    sample_shapes.push_back(shapes[k].without_batch());
  }
  c.output = c.merge().merged_shape(sample_shapes).with_batch(shapes.front()[0]);
  c.merge().prepare_merge(sample_shapes, shapes.front()[0]);
  return c;
}

// Worst relative error of every input gradient against central differences of sum(y * r).
double worst_input_error(MergeCase& c, float eps = 1e-3F) {
  Tensor r(c.output);
  Rng rng(3);
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i] = rng.uniform(-1.0F, 1.0F);
  }
  const Tensor y = c.forward();
  std::vector<Tensor> grads;
  for (const Tensor& t : c.inputs) {
    grads.emplace_back(t.shape());
  }
  std::vector<Tensor*> grad_pointers;
  for (Tensor& g : grads) {
    grad_pointers.push_back(&g);
  }
  c.merge().backward_merge(c.pointers(), y, r, grad_pointers);
  double worst = 0;
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    for (std::size_t i = 0; i < c.inputs[k].size(); ++i) {
      float& value = c.inputs[k][i];
      const float saved = value;
      value = saved + eps;
      const double up = weighted_sum(c.forward(), r);
      value = saved - eps;
      const double down = weighted_sum(c.forward(), r);
      value = saved;
      worst = std::max(worst, relative_error((up - down) / (2.0 * eps), grads[k][i]));
    }
  }
  return worst;
}
}  // namespace

TEST_SUITE("merge layers") {
  TEST_CASE("Element-wise merges compute Keras' values in input order") {
    MergeCase add = make_case("{type: Add}", {Shape{1, 2}, Shape{1, 2}, Shape{1, 2}});
    add.inputs[0][0] = 1;
    add.inputs[1][0] = 2;
    add.inputs[2][0] = 4;
    CHECK(add.forward()[0] == 7.0F);
    MergeCase sub = make_case("{type: Subtract}", {Shape{1, 1}, Shape{1, 1}});
    sub.inputs[0][0] = 5;
    sub.inputs[1][0] = 3;
    CHECK(sub.forward()[0] == 2.0F);
    MergeCase avg = make_case("{type: Average}", {Shape{1, 1}, Shape{1, 1}, Shape{1, 1}});
    avg.inputs[0][0] = 1;
    avg.inputs[1][0] = 2;
    avg.inputs[2][0] = 4;
    CHECK(avg.forward()[0] == 7.0F / 3.0F);
    MergeCase max = make_case("{type: Maximum}", {Shape{1, 1}, Shape{1, 1}});
    max.inputs[0][0] = -1;
    max.inputs[1][0] = 3;
    CHECK(max.forward()[0] == 3.0F);
    MergeCase min = make_case("{type: Minimum}", {Shape{1, 1}, Shape{1, 1}});
    min.inputs[0][0] = -1;
    min.inputs[1][0] = 3;
    CHECK(min.forward()[0] == -1.0F);
  }

  TEST_CASE("Inputs broadcast as Keras aligns them: size-1 and missing leading dimensions") {
    // (2, 3) * (1, 3): the row repeats; (3) + (2, 3): the lower rank aligns at the end.
    MergeCase mul = make_case("{type: Multiply}", {Shape{1, 2, 3}, Shape{1, 1, 3}});
    CHECK(mul.output == Shape{1, 2, 3});
    const Tensor y = mul.forward();
    for (std::size_t i = 0; i < 6; ++i) {
      CHECK(y[i] == mul.inputs[0][i] * mul.inputs[1][i % 3]);
    }
    MergeCase add = make_case("{type: Add}", {Shape{2, 3}, Shape{2, 2, 3}});
    CHECK(add.output == Shape{2, 2, 3});
    const Tensor z = add.forward();
    CHECK(z[4] == add.inputs[0][1] + add.inputs[1][4]);    // sample 0, row 1, column 1
    CHECK(z[10] == add.inputs[0][4] + add.inputs[1][10]);  // sample 1, row 1, column 1
  }

  TEST_CASE("Merge gradients match finite differences with broadcast inputs summed") {
    for (const char* type : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
      CAPTURE(type);
      MergeCase c =
          make_case(fmt::format("{{type: {}}}", type), {Shape{2, 3, 2, 4}, Shape{2, 1, 2, 1}});
      CHECK(worst_input_error(c) < 1e-3);
    }
    MergeCase three = make_case("{type: Multiply}", {Shape{2, 5}, Shape{2, 5}, Shape{2, 1}});
    CHECK(worst_input_error(three) < 1e-3);
    MergeCase concat =
        make_case("{type: Concatenate, axis: 2}", {Shape{2, 3, 2, 2}, Shape{2, 3, 1, 2}});
    CHECK(concat.output == Shape{2, 3, 3, 2});
    CHECK(worst_input_error(concat) < 1e-3);
  }

  // Add's full-size inputs get their gradient in one pass (merge_backward_shared), the repeated
  // one its sums; with a fused ReLU, through the ReLU's derivative.
  TEST_CASE("Add gives every full-size input the output gradient through a fused ReLU") {
    for (const bool relu : {false, true}) {
      CAPTURE(relu);
      MergeCase c =
          make_case("{type: Add}", {Shape{2, 5, 5, 3}, Shape{2, 5, 5, 3}, Shape{2, 1, 5, 3}});
      Diagnostics diag("test");
      LayerSpec spec(load_yaml_string("{type: Activation, activation: relu}", "test"), "layer",
                     diag, 0, 42);
      const std::unique_ptr<Layer> activation = layer_registry().create(spec);
      if (relu) {
        REQUIRE(c.layer->fuse_next(activation.get()) == Layer::Fusion::kAlways);
      }
      const Tensor y = c.forward();
      const Tensor r = sine_input(y.shape());
      std::vector<Tensor> grads;
      std::vector<Tensor*> pointers;
      for (const Tensor& t : c.inputs) {
        grads.emplace_back(t.shape());
      }
      for (Tensor& g : grads) {
        pointers.push_back(&g);
      }
      c.merge().backward_merge(c.pointers(), y, r, pointers);
      std::vector<float> expected(y.size());
      for (std::size_t i = 0; i < y.size(); ++i) {
        expected[i] = relu ? r[i] * (y[i] > 0.0F ? 1.0F : 0.0F) : r[i];  // as ReLU's backward
      }
      CHECK(std::any_of(y.data(), y.data() + y.size(),
                        [](float v) { return v <= 0.0F; }));  // the mask matters
      CHECK(bitwise_equal(std::span<const float>(grads[0].data(), grads[0].size()), expected));
      CHECK(bitwise_equal(std::span<const float>(grads[1].data(), grads[1].size()), expected));
      // The repeated input: the sum over the rows it went to, in row order.
      for (long n = 0; n < 2; ++n) {
        for (long x = 0; x < 15; ++x) {
          float sum = 0.0F;
          for (long row = 0; row < 5; ++row) {
            sum += expected[static_cast<std::size_t>((n * 5 + row) * 15 + x)];
          }
          CHECK(grads[2][static_cast<std::size_t>(n * 15 + x)] == doctest::Approx(sum));
        }
      }
    }
  }

  TEST_CASE("Concatenate joins along its axis (the channels by default)") {
    MergeCase c = make_case("{type: Concatenate}", {Shape{2, 2}, Shape{2, 1}});
    const Tensor y = c.forward();
    CHECK(c.output == Shape{2, 3});
    CHECK(y[0] == c.inputs[0][0]);
    CHECK(y[1] == c.inputs[0][1]);
    CHECK(y[2] == c.inputs[1][0]);
    CHECK(y[3] == c.inputs[0][2]);
    CHECK(y[5] == c.inputs[1][1]);
  }

  TEST_CASE("Merge layers give bitwise-equal results on 1 and 2 threads") {
    const auto run = [](int threads) {
      return with_threads(threads, [] {
        MergeCase c = make_case("{type: Multiply}", {Shape{40, 9, 9, 16}, Shape{40, 1, 1, 16}});
        const Tensor y = c.forward();
        Tensor g0(c.inputs[0].shape());
        Tensor g1(c.inputs[1].shape());
        std::vector<Tensor*> grads{&g0, &g1};
        c.merge().backward_merge(c.pointers(), y, y, grads);
        std::vector<float> bits(y.data(), y.data() + y.size());
        bits.insert(bits.end(), g0.data(), g0.data() + g0.size());
        bits.insert(bits.end(), g1.data(), g1.data() + g1.size());
        return bits;
      });
    };
    CHECK(bitwise_equal(run(1), run(2)));
  }

  TEST_CASE("A merge layer refuses to be called with one tensor") {
    MergeCase c = make_case("{type: Add}", {Shape{1, 2}, Shape{1, 2}});
    Tensor y(Shape{1, 2});
    CHECK_THROWS_AS(c.layer->forward(c.inputs[0], y, Pass{}), std::logic_error);
  }
}

}  // namespace runner::test
