// CSVLogger as Keras 2.11 writes it: a row per epoch, `epoch` 0-based, then the log keys sorted,
// through Python's csv "excel" dialect (CRLF line ends). Keras' logs hold float32 values turned
// into Python floats (`.item()`), so a value is written as the repr of the float32 widened to a
// double (0.4000000059604645); `lr`, which ReduceLROnPlateau adds as a NumPy float32, as that
// float32's str (0.001).
// The file is rewritten whole after every epoch, atomically (a temporary file renamed over it,
// which replaces a symlink instead of writing through it), from rows the callback keeps in its
// saved state: a resumed run rebuilds the file from the state, so an epoch that finished after
// the last state.bin is not written twice.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

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
  [[nodiscard]] std::vector<OutputFile> output_files() const override {
    return {{"filename", filename_}};
  }

  void on_train_begin(TrainContext& ctx) override {
    path_ = ctx.run_dir / filename_;
    create_parent_folder(path_);  // a subfolder it names, as ModelCheckpoint makes its own
    // append: Keras adds to what the file holds, and writes no header after a non-empty file.
    // A resumed run keeps its file too; load_state() then cuts it back to what the saved state
    // holds (a continued finished run has no state for its callbacks and goes on after it).
    const bool keep = append_ || ctx.resuming;
    prior_ = keep && std::filesystem::exists(path_) ? read_text_file(path_) : std::string();
    keys_.clear();
    rows_.clear();
  }

  void on_epoch_end(std::int64_t epoch, const Logs& logs, TrainContext& /*ctx*/) override {
    if (keys_.empty()) {
      keys_ = logs.names();
      std::sort(keys_.begin(), keys_.end());
    }
    Row row{epoch, {}};
    for (const auto& k : keys_) {
      row.values.push_back(logs.get(k));
    }
    rows_.push_back(std::move(row));
    write_text_file(path_, text());
  }

  // The rows by number: "key:<name>" -> column, "epoch:<row>" -> epoch, "<row>:<column>" ->
  // value (absent: NA); "prior_bytes" how much of the file was there before the run.
  void save_state(CallbackState& state) const override {
    state.numbers["prior_bytes"] = static_cast<double>(prior_.size());
    for (std::size_t c = 0; c < keys_.size(); ++c) {
      state.numbers["key:" + keys_[c]] = static_cast<double>(c);
    }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      state.numbers[fmt::format("epoch:{}", r)] = static_cast<double>(rows_[r].epoch);
      for (std::size_t c = 0; c < keys_.size(); ++c) {
        if (rows_[r].values[c]) {
          state.numbers[fmt::format("{}:{}", r, c)] = *rows_[r].values[c];
        }
      }
    }
  }

  void load_state(const CallbackState& state) override {
    const auto number = [&](const std::string& key) -> std::optional<double> {
      const auto it = state.numbers.find(key);
      return it == state.numbers.end() ? std::nullopt : std::optional(it->second);
    };
    keys_.clear();
    for (const auto& [key, column] : state.numbers) {
      if (key.starts_with("key:")) {
        keys_.resize(std::max(keys_.size(), static_cast<std::size_t>(column) + 1));
        keys_[static_cast<std::size_t>(column)] = key.substr(4);
      }
    }
    rows_.clear();
    for (std::size_t r = 0; const auto epoch = number(fmt::format("epoch:{}", r)); ++r) {
      Row row{static_cast<std::int64_t>(*epoch), {}};
      for (std::size_t c = 0; c < keys_.size(); ++c) {
        row.values.push_back(number(fmt::format("{}:{}", r, c)));
      }
      rows_.push_back(std::move(row));
    }
    // What the file held before the run began (append): its first prior_bytes bytes.
    const auto prior_bytes = static_cast<std::size_t>(number("prior_bytes").value_or(0));
    prior_.clear();
    if (prior_bytes > 0 && std::filesystem::exists(path_)) {
      prior_ = read_text_file(path_).substr(0, prior_bytes);
    }
  }

 private:
  struct Row {
    std::int64_t epoch = 0;
    std::vector<std::optional<double>> values;  // one per key; none: "NA"
  };

  [[nodiscard]] std::string text() const {
    std::string out = prior_;
    if (prior_.empty()) {
      out += "epoch";
      for (const auto& k : keys_) {
        out += separator_ + k;
      }
      out += "\r\n";
    }
    for (const auto& row : rows_) {
      out += std::to_string(row.epoch);
      for (std::size_t c = 0; c < keys_.size(); ++c) {
        out += separator_;
        out += row.values[c] ? keras_value(keys_[c], *row.values[c]) : "NA";
      }
      out += "\r\n";
    }
    return out;
  }

  std::string filename_;
  std::string separator_;
  bool append_ = false;
  std::filesystem::path path_;
  std::string prior_;  // the file's text before the run began (append), else empty
  std::vector<std::string> keys_;
  std::vector<Row> rows_;
};

}  // namespace
RUNNER_REGISTER_CALLBACK(CSVLogger);
}  // namespace runner
