// The loss registry: compile.loss by name or mapping, checked with its place.
#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/nn/losses/loss.hpp"
#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"
#include "tests/support/make_layer.hpp"

namespace runner::test {

TEST_SUITE("losses") {
  TEST_CASE("compile.loss names a registered loss that computes what its function does") {
    const auto loss = loss_by_name("sparse_categorical_crossentropy");
    REQUIRE(loss != nullptr);
    CHECK(loss->type() == "sparse_categorical_crossentropy");
    Tensor logits = sine_input(Shape{3, 4});
    const std::vector<std::int32_t> labels{0, 3, 1};
    Tensor from_registry;
    Tensor direct;
    Targets y;
    y.classes = labels;
    CHECK(loss->compute(logits, y, true, &from_registry, 0) ==
          sparse_categorical_crossentropy(logits, labels, true, &direct));
    CHECK(std::equal(direct.data(), direct.data() + direct.size(), from_registry.data()));
    // The mapping form is the same loss; the resolved config keeps Keras' string form.
    const Experiment e = parse_experiment(
        load_yaml_string("name: x\nmodel: {input_shape: [4], layers: [{type: Dense, units: 4}]}\n"
                         "compile: {loss: {type: sparse_categorical_crossentropy}}\n",
                         "test"),
        "test");
    CHECK(make_loss(e)->type() == "sparse_categorical_crossentropy");
    CHECK(resolved_compile(e)["loss"].Scalar() == "sparse_categorical_crossentropy");
  }

  TEST_CASE("An unknown loss is refused with its place and a did-you-mean") {
    CHECK_THROWS_WITH_AS(
        parse_experiment(load_yaml_string("name: x\nmodel: {input_shape: [4], layers: [{type: "
                                          "Dense, units: 4}]}\ncompile: {loss: hinge}\n",
                                          "test"),
                         "test"),
        "test:3:17: compile.loss: unknown loss 'hinge' (known: binary_crossentropy, "
        "categorical_crossentropy, huber, mae, mean_absolute_error, mean_squared_error, mse, "
        "sparse_categorical_crossentropy)",
        ConfigError);
    CHECK_THROWS_AS(loss_by_name("hinge"), ConfigError);
  }
}

}  // namespace runner::test
