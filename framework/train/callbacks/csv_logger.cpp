// CSVLogger as Keras 2.11 writes it: a row per epoch, `epoch` 0-based, then the log keys sorted,
// through Python's csv "excel" dialect (CRLF line ends). Keras' logs hold float32 values turned
// into Python floats (`.item()`), so a value is written as the repr of the float32 widened to a
// double (0.4000000059604645); `lr`, which ReduceLROnPlateau adds as a NumPy float32, as that
// float32's str (0.001). Rows are flushed as they are written, so an interrupted run keeps its
// finished epochs.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/train/callbacks/callback.hpp"

namespace runner {
namespace {

// Python's repr of a float: the shortest text that reads back to it, with ".0" when that looks
// like an integer (1.0, not 1).
template <typename Float>
std::string python_repr(Float value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eninf") == std::string::npos) {
    text += ".0";
  }
  return text;
}

std::string keras_value(const std::string& key, double value) {
  if (std::isnan(value)) {
    return "nan";  // Python prints no sign
  }
  const auto single = static_cast<float>(value);
  return key == "lr" ? python_repr(single) : python_repr(static_cast<double>(single));
}

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
    errno = 0;
    out_.open(path_, append ? std::ios::app : std::ios::trunc);
    if (!out_) {
      throw Error(fmt::format("{}: cannot write: {}", path_.string(), os_reason()));
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
      out_ << "\r\n";
      header_written_ = true;
    }
    out_ << epoch;
    for (const auto& k : keys_) {
      const auto v = logs.get(k);
      out_ << separator_ << (v ? keras_value(k, *v) : "NA");
    }
    out_ << "\r\n";
    out_.flush();
    if (!out_) {
      throw Error(fmt::format("{}: cannot write: {}", path_.string(), os_reason()));
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
