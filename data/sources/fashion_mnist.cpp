// Fashion-MNIST as Debian's dataset-fashion-mnist installs it: the reference experiment's data.
#include <filesystem>

#include "data/readers/idx_reader.hpp"
#include "data/source.hpp"
#include "framework/core/errors.hpp"

namespace runner {

namespace {

constexpr const char* kPackage = "dataset-fashion-mnist";

class FashionMnist final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("fashion_mnist",
               "Fashion-MNIST's training (60,000) or test (10,000) images, 28x28x1, 10 classes")
            .text("path", "folder of the IDX files", std::string(kFashionMnistDir))
            .choice("part", "which files: train (train-*) or test (t10k-*)", {"train", "test"},
                    "train");
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<FashionMnist>();
    source->path_ = p.text("path");
    source->part_ = p.text("part");
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "fashion_mnist"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    const std::filesystem::path dir = path_;
    const std::string prefix = part_ == "test" ? "t10k" : "train";
    const auto images = dir / (prefix + "-images-idx3-ubyte.gz");
    const auto labels = dir / (prefix + "-labels-idx1-ubyte.gz");
    for (const auto& p : {images, labels}) {
      if (!std::filesystem::exists(p)) {
        throw DataError(fmt::format(
            "{}: file not found{}", p.string(),
            path_ == kFashionMnistDir
                ? fmt::format("; it comes with Debian's package {} (apt-get install {})", kPackage,
                              kPackage)
                : std::string("; set the path to the folder holding the IDX files")));
      }
    }
    SourceData data = read_idx_pair(images.string(), labels.string(), context.limit);
    data.class_names = fashion_mnist_classes();
    for (std::size_t i = 0; i < data.y.numbers.size(); ++i) {
      if (data.y.numbers[i] >= 10) {
        throw DataError(fmt::format("{}: label {} of item {} is outside 0..9", labels.string(),
                                    data.y.numbers[i], i));
      }
    }
    return data;
  }

 private:
  std::string path_;
  std::string part_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(FashionMnist);

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace runner
