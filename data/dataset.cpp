#include "data/dataset.hpp"

#include <fmt/format.h>

#include <array>
#include <filesystem>

#include "data/idx_reader.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"

namespace runner {

namespace {
struct KnownDataset {
  const char* name;
  const char* path;
  const char* package;
  Shape sample_shape;
  std::vector<std::string> classes;
};

const std::vector<KnownDataset>& registry() {
  static const std::vector<KnownDataset> known = {
      {"fashion_mnist",
       kFashionMnistDir,
       "dataset-fashion-mnist",
       Shape{28, 28, 1},
       {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot"}},
  };
  return known;
}

const KnownDataset& find(const std::string& name) {
  for (const auto& d : registry()) {
    if (name == d.name) {
      return d;
    }
  }
  throw DataError(fmt::format("unknown dataset '{}'", name));
}

ImageSet load_split(const std::filesystem::path& dir, const std::string& prefix,
                    std::optional<std::int64_t> limit, const KnownDataset& known) {
  const auto images_path = dir / (prefix + "-images-idx3-ubyte.gz");
  const auto labels_path = dir / (prefix + "-labels-idx1-ubyte.gz");
  for (const auto& p : {images_path, labels_path}) {
    if (!std::filesystem::exists(p)) {
      const bool default_dir = dir == known.path;
      throw DataError(fmt::format(
          "{}: file not found{}", p.string(),
          default_dir ? fmt::format("; it comes with Debian's package {} (apt-get install {})",
                                    known.package, known.package)
                      : std::string("; set data.path to the folder holding the IDX files")));
    }
  }
  IdxArray images = read_idx(images_path.string(), 3, limit);
  IdxArray labels = read_idx(labels_path.string(), 1, limit);
  if (images.dims[0] != labels.dims[0]) {
    throw DataError(fmt::format("{}: {} labels for {} images in {}", labels_path.string(),
                                labels.dims[0], images.dims[0], images_path.string()));
  }
  ImageSet set;
  set.count = images.dims[0];
  set.height = images.dims[1];
  set.width = images.dims[2];
  set.channels = 1;
  set.pixels = std::move(images.values);
  set.labels.reserve(labels.values.size());
  const auto classes = static_cast<std::int32_t>(known.classes.size());
  for (std::size_t i = 0; i < labels.values.size(); ++i) {
    const std::int32_t label = labels.values[i];
    if (label >= classes) {
      throw DataError(fmt::format("{}: label {} of item {} is outside 0..{}", labels_path.string(),
                                  label, i, classes - 1));
    }
    set.labels.push_back(label);
  }
  return set;
}
}  // namespace

const std::vector<std::string>& known_datasets() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : registry()) {
      out.emplace_back(d.name);
    }
    return out;
  }();
  return names;
}

std::string default_dataset_path(const std::string& name) {
  return find(name).path;
}

Shape dataset_sample_shape(const std::string& name) {
  return find(name).sample_shape;
}

Dataset load_dataset(const DatasetOptions& options) {
  const KnownDataset& known = find(options.name);
  const std::filesystem::path dir = options.path.empty() ? known.path : options.path;
  Dataset data;
  data.name = options.name;
  data.train = load_split(dir, "train", options.limit, known);
  data.test = load_split(dir, "t10k", options.test_limit, known);
  if (data.train.sample_shape() != data.test.sample_shape()) {
    throw DataError(fmt::format("{}: test images are {} but training images are {}", dir.string(),
                                data.test.sample_shape().str(), data.train.sample_shape().str()));
  }
  data.class_names = known.classes;
  return data;
}

void gather_batch(const ImageSet& set, std::span<const std::int64_t> indices, Tensor& x,
                  std::vector<std::int32_t>& y) {
  // x / 255.0 in float64, rounded to float32: what the Keras tutorial's NumPy code feeds.
  static const std::array<float, 256> kScale = [] {
    std::array<float, 256> table{};
    for (int v = 0; v < 256; ++v) {
      table[static_cast<std::size_t>(v)] = static_cast<float>(v / 255.0);
    }
    return table;
  }();
  const auto n = static_cast<std::int64_t>(indices.size());
  x.resize(set.sample_shape().with_batch(n));
  y.resize(indices.size());
  const auto size = static_cast<std::size_t>(set.image_size());
  // In parallel like the layers after it, so the worker thread does not idle through it.
  constexpr std::size_t kSamplesPerTask = 4;
  parallel_for(0, indices.size(), kSamplesPerTask, [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      const std::uint8_t* src = set.pixels.data() + static_cast<std::size_t>(indices[i]) * size;
      float* dst = x.data() + i * size;
      for (std::size_t j = 0; j < size; ++j) {
        dst[j] = kScale[src[j]];
      }
      y[i] = set.labels[static_cast<std::size_t>(indices[i])];
    }
  });
}

}  // namespace runner
