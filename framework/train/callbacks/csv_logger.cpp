// CSVLogger as Keras writes it: a row per epoch, `epoch` 0-based, then the log keys sorted.
// Rows are flushed as they are written, so an interrupted run keeps its finished epochs.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner {
namespace {

class CSVLogger final : public Callback {
 public:
  static constexpr std::string_view kType = "CSVLogger";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "writes each epoch's logs to a CSV file in the run folder")
            .text("filename", "file name, relative to the run folder", "training.log")
            .text("separator", "field separator", ",")
            .flag("append", "append to an existing file instead of replacing it", false);
    return s;
  }

  static std::unique_ptr<Callback> create(const Params& p) {
    auto cb = std::make_unique<CSVLogger>();
    cb->filename_ = p.text("filename");
    cb->separator_ = p.text("separator");
    cb->append_ = p.flag("append");
    cb->config_ = p.resolved();
    return cb;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  void on_train_begin(TrainContext& ctx) override {
    path_ = ctx.run_dir / filename_;
    // A resumed run continues its own log.
    const bool append = append_ || ctx.resuming;
    const bool existing =
        append && std::filesystem::exists(path_) && std::filesystem::file_size(path_) > 0;
    out_.open(path_, append ? std::ios::app : std::ios::trunc);
    if (!out_) {
      throw Error(fmt::format("CSVLogger: cannot write {}", path_.string()));
    }
    header_written_ = existing;
    keys_.clear();
  }

  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& /*ctx*/) override {
    if (keys_.empty()) {
      keys_ = logs.names();
      std::sort(keys_.begin(), keys_.end());
    }
    if (!header_written_) {
      out_ << "epoch";
      for (const auto& k : keys_) {
        out_ << separator_ << k;
      }
      out_ << '\n';
      header_written_ = true;
    }
    out_ << epoch;
    for (const auto& k : keys_) {
      const auto v = logs.get(k);
      out_ << separator_ << (v ? fmt::format("{}", *v) : "NA");
    }
    out_ << '\n';
    out_.flush();
    if (!out_) {
      throw Error(fmt::format("{}: write failed (disk full?)", path_.string()));
    }
  }

  void on_train_end(TrainContext& /*ctx*/) override { out_.close(); }

 private:
  std::string filename_;
  std::string separator_;
  bool append_ = false;
  std::filesystem::path path_;
  std::ofstream out_;
  bool header_written_ = false;
  std::vector<std::string> keys_;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(CSVLogger);
}  // namespace runner
