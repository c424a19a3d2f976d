// A NumPy .npz archive (np.savez or np.savez_compressed) holding inputs and labels by name.
#include "data/readers/npy_reader.hpp"
#include "data/source.hpp"

namespace runner {

namespace {

class NpzSource final : public DataSource {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("npz", "a NumPy .npz archive with an inputs array and a labels array")
            .text("path", "path of the .npz file")
            .required()
            .text("x", "name of the inputs array in the archive", std::string("x"))
            .text("y", "name of the labels array in the archive", std::string("y"));
    return s;
  }

  static std::unique_ptr<DataSource> create(const Params& p) {
    auto source = std::make_unique<NpzSource>();
    source->path_ = p.text("path");
    source->x_ = p.text("x");
    source->y_ = p.text("y");
    source->config_ = p.resolved();
    return source;
  }

  [[nodiscard]] std::string_view type() const override { return "npz"; }

  [[nodiscard]] SourceData load(const LoadContext& context) const override {
    const NpyArray x = read_npz_member(path_, x_);  // first: its problems are reported first
    return npy_source_data(x, read_npz_member(path_, y_), context.limit);
  }

 private:
  std::string path_;
  std::string x_;
  std::string y_;
};

}  // namespace
RUNNER_REGISTER_DATA_SOURCE(NpzSource);

}  // namespace runner
