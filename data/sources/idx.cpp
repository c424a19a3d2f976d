// IDX files (the MNIST format) from any folder: an images file and a labels file, gzip'd or
// plain, any image size and class count.
#include "data/readers/idx_reader.hpp"
#include "data/source.hpp"

namespace runner {

namespace {

class IdxSource final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("idx", "an IDX images file (count, height, width; uint8) and its labels file")
            .text("images", "path of the images file (.gz or plain)")
            .required()
            .text("labels", "path of the labels file (.gz or plain)")
            .required();
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<IdxSource>();
    source->images_ = p.text("images");
    source->labels_ = p.text("labels");
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "idx"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    return read_idx_pair(images_, labels_, context.limit);
  }

 private:
  std::string images_;
  std::string labels_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(IdxSource);

}  // namespace runner
