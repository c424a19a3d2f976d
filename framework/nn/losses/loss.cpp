#include "framework/nn/losses/loss.hpp"

#include "framework/core/errors.hpp"
#include "framework/core/spec.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"

namespace runner {

LossRegistry& loss_registry() {
  static LossRegistry registry("loss");  // function-local: no init-order fiasco
  return registry;
}

std::unique_ptr<Loss> loss_by_name(const std::string& type) {
  Diagnostics diag("loss");
  const Spec spec(YAML::Node(type), "compile.loss", diag, 0, 0);
  auto loss = loss_registry().create(spec);
  diag.throw_if_any();
  return loss;
}

void Loss::to_probabilities(Tensor& output, bool softmax_folded) const {
  if (softmax_folded) {
    softmax_rows(output);
  }
}

void softmax_rows(Tensor& t) {
  const std::size_t width = t.sample_size();
  for (std::int64_t n = 0; n < t.batch(); ++n) {
    softmax_in_place(std::span<float>(t.data() + static_cast<std::size_t>(n) * width, width));
  }
}

}  // namespace runner
