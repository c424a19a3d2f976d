#pragma once
// The weights a finished run left in its model-final.h5.
#include <filesystem>
#include <vector>

#include "framework/io/checkpoint.hpp"

namespace runner::test {

inline std::vector<float> final_weights(const std::filesystem::path& run) {
  const LoadedModel loaded = load_model_checkpoint(run / "model-final.h5");
  return {loaded.model.parameters().begin(), loaded.model.parameters().end()};
}

}  // namespace runner::test
