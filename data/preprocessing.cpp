#include "data/preprocessing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "framework/core/parallel.hpp"

namespace runner {

std::string Preprocessing::scale_text() const {
  if (scale_denominator == 1) {
    return fmt::format("{}", scale_numerator);
  }
  return fmt::format("{}/{}", fmt::format("{}", scale_numerator),
                     fmt::format("{}", scale_denominator));
}

namespace {
bool parse_positive(std::string_view text, double& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out) && out > 0;
}
}  // namespace

bool parse_scale(const std::string& text, Preprocessing& p) {
  const auto slash = text.find('/');
  double num = 0;
  double den = 1;
  const bool ok = slash == std::string::npos
                      ? parse_positive(text, num)
                      : parse_positive(std::string_view(text).substr(0, slash), num) &&
                            parse_positive(std::string_view(text).substr(slash + 1), den);
  if (ok) {
    p.scale_numerator = num;
    p.scale_denominator = den;
  }
  return ok;
}

namespace {
constexpr std::array<std::pair<TargetEncoding, const char*>, 4> kEncodings{{
    {TargetEncoding::kClasses, "classes"},
    {TargetEncoding::kOneHot, "one_hot"},
    {TargetEncoding::kBinary, "binary"},
    {TargetEncoding::kValues, "values"},
}};
}  // namespace

std::string encoding_name(TargetEncoding encoding) {
  for (const auto& [e, name] : kEncodings) {
    if (e == encoding) {
      return name;
    }
  }
  return "classes";
}

bool parse_encoding(const std::string& name, TargetEncoding& encoding) {
  for (const auto& [e, n] : kEncodings) {
    if (name == n) {
      encoding = e;
      return true;
    }
  }
  return false;
}

namespace {
// The scaled value of every byte, in double (standardisation) and rounded to float.
std::array<double, 256> byte_scale(const Preprocessing& p) {
  std::array<double, 256> table{};
  for (int v = 0; v < 256; ++v) {
    table[static_cast<std::size_t>(v)] = v * p.scale_numerator / p.scale_denominator;
  }
  return table;
}

double scaled(const Samples& set, const std::array<double, 256>& bytes, const Preprocessing& p,
              std::int64_t sample, std::size_t j) {
  if (set.x.type() == ElementType::kUint8) {
    return bytes[set.x.bytes(sample)[j]];
  }
  return static_cast<double>(set.x.floats(sample)[j]) * p.scale_numerator / p.scale_denominator;
}
}  // namespace

void fit_standardization(Preprocessing& p, const Samples& set,
                         std::span<const std::int64_t> indices) {
  const auto features = static_cast<std::size_t>(set.x.sample_size());
  const auto bytes = byte_scale(p);
  std::vector<double> sum(features, 0.0);
  for (const std::int64_t i : indices) {
    for (std::size_t j = 0; j < features; ++j) {
      sum[j] += scaled(set, bytes, p, i, j);
    }
  }
  const auto n = static_cast<double>(std::max<std::size_t>(1, indices.size()));
  p.mean.resize(features);
  for (std::size_t j = 0; j < features; ++j) {
    p.mean[j] = sum[j] / n;
  }
  std::vector<double> squares(features, 0.0);
  for (const std::int64_t i : indices) {
    for (std::size_t j = 0; j < features; ++j) {
      const double d = scaled(set, bytes, p, i, j) - p.mean[j];
      squares[j] += d * d;
    }
  }
  p.std.resize(features);
  for (std::size_t j = 0; j < features; ++j) {
    const double s = std::sqrt(squares[j] / n);
    p.std[j] = s > 0 ? s : 1.0;  // a constant feature is centred, not divided by zero
  }
}

namespace {
void gather_targets(const Samples& set, std::span<const std::int64_t> indices,
                    const Preprocessing& p, Targets& y) {
  const auto n = static_cast<std::int64_t>(indices.size());
  y.classes.clear();
  if (!set.has_classes() && set.value_width == 0) {  // new inputs to predict: no labels
    y.values.resize(Shape{0});
    return;
  }
  if (set.has_classes()) {
    y.classes.resize(indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i) {
      y.classes[i] = set.classes[static_cast<std::size_t>(indices[i])];
    }
  }
  switch (p.targets) {
    case TargetEncoding::kClasses:
      y.values.resize(Shape{0});
      break;
    case TargetEncoding::kOneHot:
      y.values.resize(Shape{n, p.classes});
      y.values.fill(0.0F);
      for (std::size_t i = 0; i < indices.size(); ++i) {
        y.values[i * static_cast<std::size_t>(p.classes) + static_cast<std::size_t>(y.classes[i])] =
            1.0F;
      }
      break;
    case TargetEncoding::kBinary:
      y.values.resize(Shape{n, 1});
      for (std::size_t i = 0; i < indices.size(); ++i) {
        y.values[i] = static_cast<float>(y.classes[i]);
      }
      break;
    case TargetEncoding::kValues: {
      const auto width = static_cast<std::size_t>(set.value_width);
      y.values.resize(Shape{n, set.value_width});
      for (std::size_t i = 0; i < indices.size(); ++i) {
        const float* src = set.values.data() + static_cast<std::size_t>(indices[i]) * width;
        std::copy(src, src + width, y.values.data() + i * width);
      }
      break;
    }
  }
}
// How gather_batch turns a byte into its float: through the table (byte_scale's values rounded
// to float), or by one multiplication or division that gives the table's value for each of the
// 256 bytes (checked here), which compiles to vector code. (The table's scalar loop was 8% of an
// MLP's inference on Fashion-MNIST: bench/probes/mlp-batchnorm.yaml.) Scale 1/255 divides.
struct ByteConversion {
  enum class Kind { kTable, kMultiply, kDivide };
  Kind kind = Kind::kTable;
  float operand = 1;
};

ByteConversion byte_conversion(const std::array<float, 256>& table, const Preprocessing& p) {
  auto gives_table = [&](auto convert) {
    for (std::size_t v = 0; v < table.size(); ++v) {
      if (convert(static_cast<float>(v)) != table[v]) {
        return false;
      }
    }
    return true;
  };
  const auto factor = static_cast<float>(p.scale_numerator / p.scale_denominator);
  if (gives_table([factor](float v) { return v * factor; })) {
    return {ByteConversion::Kind::kMultiply, factor};
  }
  const auto divisor = static_cast<float>(p.scale_denominator / p.scale_numerator);
  if (gives_table([divisor](float v) { return v / divisor; })) {
    return {ByteConversion::Kind::kDivide, divisor};
  }
  return {};
}

void convert_bytes(const std::uint8_t* src, std::size_t size, const std::array<float, 256>& table,
                   ByteConversion conversion, float* dst) {
  const float operand = conversion.operand;
  switch (conversion.kind) {
    case ByteConversion::Kind::kMultiply:
      for (std::size_t j = 0; j < size; ++j) {
        dst[j] = static_cast<float>(src[j]) * operand;
      }
      break;
    case ByteConversion::Kind::kDivide:
      for (std::size_t j = 0; j < size; ++j) {
        dst[j] = static_cast<float>(src[j]) / operand;
      }
      break;
    case ByteConversion::Kind::kTable:
      for (std::size_t j = 0; j < size; ++j) {
        dst[j] = table[src[j]];
      }
      break;
  }
}

// Asks the cache for a sample's bytes ahead of use (a task's samples all at once): shuffled batches
// read samples from all over the dataset, and a byte-image loop waited on each new sample's first
// lines (gathering a batch of 128 Fashion-MNIST images was 0.26 ms of the strided model's 6.8 ms
// training step).
void prefetch_sample(const Samples& set, std::int64_t sample) {
  constexpr std::size_t kLine = 64;
  const bool bytes = set.x.type() == ElementType::kUint8;
  const void* start = bytes ? static_cast<const void*>(set.x.bytes(sample))
                            : static_cast<const void*>(set.x.floats(sample));
  const std::size_t size = static_cast<std::size_t>(set.x.sample_size()) * set.x.element_bytes();
  for (std::size_t offset = 0; offset < size; offset += kLine) {
    __builtin_prefetch(static_cast<const char*>(start) + offset);
  }
}
}  // namespace

void gather_batch(const Samples& set, std::span<const std::int64_t> indices, const Preprocessing& p,
                  Tensor& x, Targets& y) {
  const auto bytes = byte_scale(p);
  std::array<float, 256> byte_floats{};
  for (std::size_t v = 0; v < 256; ++v) {
    byte_floats[v] = static_cast<float>(bytes[v]);
  }
  const ByteConversion conversion = byte_conversion(byte_floats, p);
  const auto n = static_cast<std::int64_t>(indices.size());
  x.resize(set.sample_shape().with_batch(n));
  const auto size = static_cast<std::size_t>(set.x.sample_size());
  const bool standardize = p.standardizes();
  // In parallel like the layers after it, so the worker thread does not idle through it.
  // Tasks of about 16K floats: with 4 samples each, 17% of its time on Fashion-MNIST went to the
  // task tree's reference counts (perf).
  constexpr std::size_t kFloatsPerTask = 16384;
  const std::size_t samples_per_task =
      std::max<std::size_t>(1, kFloatsPerTask / std::max<std::size_t>(1, size));
  parallel_for(0, indices.size(), samples_per_task, [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      prefetch_sample(set, indices[i]);
    }
    for (std::size_t i = first; i < last; ++i) {
      const std::int64_t sample = indices[i];
      float* dst = x.data() + i * size;
      if (standardize) {
        for (std::size_t j = 0; j < size; ++j) {
          dst[j] = static_cast<float>((scaled(set, bytes, p, sample, j) - p.mean[j]) / p.std[j]);
        }
      } else if (set.x.type() == ElementType::kUint8) {
        convert_bytes(set.x.bytes(sample), size, byte_floats, conversion, dst);
      } else {
        const float* src = set.x.floats(sample);
        const double factor = p.scale_numerator / p.scale_denominator;
        if (factor == 1.0) {
          std::copy(src, src + size, dst);
        } else {
          for (std::size_t j = 0; j < size; ++j) {
            dst[j] = static_cast<float>(static_cast<double>(src[j]) * p.scale_numerator /
                                        p.scale_denominator);
          }
        }
      }
    }
  });
  gather_targets(set, indices, p, y);
}

}  // namespace runner
