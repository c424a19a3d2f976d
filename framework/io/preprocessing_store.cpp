#include "framework/io/preprocessing_store.hpp"

#include <fmt/format.h>

#include "framework/core/errors.hpp"

namespace runner {

void write_preprocessing(const h5::Object& parent, const std::string& name,
                         const StoredPreprocessing& stored) {
  const Preprocessing& p = stored.preprocessing;
  const h5::Object group = parent.create_group(name);
  group.write_string_attribute("scale", p.scale_text());
  group.write_string_attribute("targets", encoding_name(p.targets));
  if (stored.class_names.empty()) {
    group.write_empty_list_attribute("class_names");
  } else {
    group.write_string_list_attribute("class_names", stored.class_names);
  }
  if (stored.feature_names.empty()) {
    group.write_empty_list_attribute("feature_names");
  } else {
    group.write_string_list_attribute("feature_names", stored.feature_names);
  }
  group.write_int64_scalar("classes", p.classes);
  if (p.standardizes()) {
    group.write_doubles("mean", p.mean);
    group.write_doubles("std", p.std);
  }
}

std::optional<StoredPreprocessing> read_preprocessing(const h5::Object& parent,
                                                      const std::string& name) {
  if (!parent.has(name)) {
    return std::nullopt;
  }
  const h5::Object group = parent.group(name);
  StoredPreprocessing stored;
  Preprocessing& p = stored.preprocessing;
  const std::string scale = group.read_string_attribute("scale");
  const std::string targets = group.read_string_attribute("targets");
  if (!parse_scale(scale, p) || !parse_encoding(targets, p.targets)) {
    throw CheckpointError(fmt::format("{}: unreadable preprocessing (scale '{}', targets '{}')",
                                      group.where(), scale, targets));
  }
  stored.class_names = group.read_string_list_attribute("class_names");
  stored.feature_names = group.read_string_list_attribute("feature_names");
  const auto classes = group.read_int64s("classes");
  p.classes = classes.empty() ? 0 : classes.front();
  if (group.has("mean") || group.has("std")) {
    p.mean = group.read_doubles("mean");
    p.std = group.read_doubles("std");
    if (p.mean.size() != p.std.size()) {
      throw CheckpointError(fmt::format("{}: {} means but {} standard deviations", group.where(),
                                        p.mean.size(), p.std.size()));
    }
  }
  return stored;
}

}  // namespace runner
