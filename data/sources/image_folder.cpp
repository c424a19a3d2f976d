// A folder of images with one subfolder per class, as Keras' image_dataset_from_directory
// reads it: classes are the subfolder names in sorted order (or `class_names`), files are taken
// in name order, PNG and JPEG are decoded and resized (bilinear) to the model's input size.
#include <algorithm>
#include <filesystem>

#include "data/readers/image_decode.hpp"
#include "data/source.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"

namespace runner {

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> sorted_entries(const fs::path& dir, bool folders) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) {
      continue;  // .DS_Store, editors' files
    }
    if (it->is_directory() == folders) {
      out.push_back(it->path());
    }
  }
  if (ec) {
    throw DataError(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ImageFolder final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("image_folder",
               "a folder of PNG or JPEG images with one subfolder per class (Keras' "
               "image_dataset_from_directory)")
            .text("path", "the folder holding one subfolder per class")
            .required()
            .pair("image_size",
                  "[height, width] the images are resized to (default: model.input_shape's)",
                  std::nullopt)
            .at_least(1)
            .at_most(4096)
            .choice(
                "color_mode",
                "grayscale (1 channel) or rgb (3); auto: model.input_shape's channels, else rgb",
                {"auto", "grayscale", "rgb"}, "auto")
            .any("class_names",
                 "the subfolders to use, in label order (default: all of them, sorted)",
                 YAML::Node(YAML::NodeType::Null));
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<ImageFolder>();
    source->path_ = p.text("path");
    if (p.given("image_size")) {
      source->size_ = p.pair("image_size");
    }
    source->color_mode_ = p.text("color_mode");
    const YAML::Node names = p.node("class_names");
    if (names.IsSequence()) {
      for (const auto& n : names) {
        source->class_names_.push_back(n.Scalar());
      }
    } else if (!names.IsNull()) {
      p.error("class_names", "expected a list of subfolder names");
      return nullptr;
    }
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "image_folder"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    const fs::path root = path_;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
      throw DataError(
          fmt::format("{}: {}", path_, fs::exists(root, ec) ? "not a folder" : "no such folder"));
    }
    std::int64_t height = 0;
    std::int64_t width = 0;
    if (size_) {
      height = (*size_)[0];
      width = (*size_)[1];
    } else if (context.input_shape && context.input_shape->rank() == 3) {
      height = (*context.input_shape)[0];
      width = (*context.input_shape)[1];
    } else {
      throw DataError(
          fmt::format("{}: set image_size on the image_folder source or "
                      "model.input_shape [height, width, channels]",
                      path_));
    }
    int channels = 3;
    if (color_mode_ == "grayscale") {
      channels = 1;
    } else if (color_mode_ == "auto" && context.input_shape && context.input_shape->rank() == 3) {
      channels = (*context.input_shape)[2] == 1 ? 1 : 3;
    }
    std::vector<std::string> classes = class_names_;
    if (classes.empty()) {
      for (const auto& dir : sorted_entries(root, true)) {
        classes.push_back(dir.filename().string());
      }
    }
    if (classes.empty()) {
      throw DataError(fmt::format("{}: no class subfolders", path_));
    }
    std::vector<std::string> files;
    SourceData data;
    for (std::size_t c = 0; c < classes.size(); ++c) {
      const fs::path dir = root / classes[c];
      if (!fs::is_directory(dir, ec)) {
        throw DataError(fmt::format("{}: no class folder '{}'", path_, classes[c]));
      }
      const auto members = sorted_entries(dir, false);
      if (members.empty()) {
        throw DataError(fmt::format("{}: the class folder is empty", dir.string()));
      }
      for (const auto& f : members) {
        files.push_back(f.string());
        data.y.numbers.push_back(static_cast<double>(c));
      }
    }
    if (context.limit && static_cast<std::int64_t>(files.size()) > *context.limit) {
      files.resize(static_cast<std::size_t>(*context.limit));
      data.y.numbers.resize(files.size());
    }
    const auto sample = static_cast<std::size_t>(height * width * channels);
    std::vector<std::uint8_t> pixels(files.size() * sample);
    // Decoding is most of the time here; images are independent. The first failure (in file
    // order) is the one reported.
    std::vector<std::string> errors(files.size());
    parallel_for(0, files.size(), 16, [&](std::size_t first, std::size_t last) {
      for (std::size_t i = first; i < last; ++i) {
        try {
          const Image image = decode_image(files[i], channels);
          resize_bilinear(image, height, width, pixels.data() + i * sample);
        } catch (const DataError& e) {
          errors[i] = e.what();
        }
      }
    });
    for (const auto& e : errors) {
      if (!e.empty()) {
        throw DataError(e);
      }
    }
    const auto count = static_cast<std::int64_t>(files.size());
    data.x = FeatureArray::of_bytes(std::move(pixels), count, Shape{height, width, channels});
    data.y.origin = path_;
    data.class_names = std::move(classes);
    data.description = path_;
    return data;
  }

 private:
  std::string path_;
  std::optional<std::array<long, 2>> size_;
  std::string color_mode_;
  std::vector<std::string> class_names_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(ImageFolder);

}  // namespace runner
