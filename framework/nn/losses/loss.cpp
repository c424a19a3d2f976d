#include "framework/nn/losses/loss.hpp"

#include "framework/core/errors.hpp"
#include "framework/core/spec.hpp"
#include "framework/core/yaml_reader.hpp"

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

}  // namespace runner
