// Two NumPy .npy files: inputs (count, ...) and labels (count,) or (count, width).
#include "data/readers/npy_reader.hpp"
#include "data/source.hpp"

namespace runner {

namespace {

class NpySource final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("npy",
               "NumPy .npy files: inputs (count, ...) of uint8, int or float, and labels (count,) "
               "or (count, width)")
            .text("x", "path of the inputs' .npy file")
            .required()
            .text("y", "path of the labels' .npy file")
            .required();
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<NpySource>();
    source->x_ = p.text("x");
    source->y_ = p.text("y");
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "npy"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    const NpyArray x = read_npy_file(x_);  // first: its problems are reported first
    return npy_source_data(x, read_npy_file(y_), context.limit);
  }

 private:
  std::string x_;
  std::string y_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(NpySource);

}  // namespace runner
