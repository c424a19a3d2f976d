#include <fmt/format.h>

#include <iostream>

#include "framework/cli/commands.hpp"
#include "framework/cli/model_source.hpp"
#include "framework/cli/options.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/nn/metrics/accuracy.hpp"
#include "framework/train/trainer.hpp"

namespace runner::cli {

int predict_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string source_path;
  std::string split;
  std::int64_t index = 0;
  po::options_description desc(
      "runner predict RUN_FOLDER|CHECKPOINT.h5 [options]\n"
      "Class probabilities of one image, from the files alone");
  desc.add_options()("source", po::value(&source_path), "run folder or HDF5 checkpoint")(
      "split", po::value(&split)->default_value("validation"), "test | validation | train")(
      "index", po::value(&index)->default_value(0), "position of the image within the split")(
      "experiment", po::value(&common.experiment),
      "take data settings from this experiment file (for checkpoints that lack them)");
  add_common_options(desc, common);
  parse(args, desc, {"source"}, "predict");
  if (common.help) {
    std::cout << desc;
    return 0;
  }
  if (source_path.empty()) {
    throw ConfigError("runner predict: missing RUN_FOLDER or CHECKPOINT.h5");
  }
  check_split(split, "predict");
  ThreadLimit threads(common.threads);
  ModelSource source = open_model_source(source_path, common.experiment, common.overrides);
  const Dataset data = load_dataset(source.data);
  const SplitView view = select_split(data, source, split);
  if (index < 0 || index >= static_cast<std::int64_t>(view.indices.size())) {
    throw ConfigError(fmt::format("runner predict: --index {} is outside the {} split (0..{})",
                                  index, split,
                                  static_cast<std::int64_t>(view.indices.size()) - 1));
  }
  const auto names = source.class_names.empty() ? data.class_names : source.class_names;
  const std::int64_t image = view.indices[static_cast<std::size_t>(index)];
  const auto probs = predict_one(source.model, *view.set, image);
  const std::size_t best = argmax(probs);
  const auto label = static_cast<std::size_t>(view.set->labels[static_cast<std::size_t>(image)]);
  fmt::print("predict {}[{}] (image {} of the {} file; label: {})\n", split, index, image,
             split == "test" ? "test" : "training", names[label]);
  for (std::size_t c = 0; c < probs.size(); ++c) {
    fmt::print("  {:<12} {:.4f}{}\n", names[c], probs[c], c == best ? "  <-" : "");
  }
  fmt::print("class: {} (p={:.3f})\n", names[best], probs[best]);
  return 0;
}

}  // namespace runner::cli
