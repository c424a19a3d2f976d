#include "data/new_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "data/readers/csv_reader.hpp"
#include "data/readers/image_decode.hpp"
#include "data/readers/npy_reader.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner {

namespace {

std::string extension_of(const std::string& path) {
  const auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

Samples image_input(const std::string& path, const Shape& input) {
  if (input.rank() != 3 || (input[2] != 1 && input[2] != 3)) {
    throw DataError(
        fmt::format("{}: the model's input is {}, not an image (height, width, 1 or "
                    "3 channels)",
                    path, input.str()));
  }
  const Image image = decode_image(path, static_cast<int>(input[2]));
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(input.elements()));
  resize_bilinear(image, input[0], input[1], pixels.data());
  Samples s;
  s.x = FeatureArray::of_bytes(std::move(pixels), 1, input);
  s.description = path;
  return s;
}

Samples npy_input(const std::string& path, const Shape& input) {
  const NpyArray a = read_npy_file(path);
  const std::vector<std::int64_t> want = input.dims();
  std::int64_t count = 0;
  if (a.shape == want) {
    count = 1;
  } else if (a.shape.size() == want.size() + 1 &&
             std::equal(want.begin(), want.end(), a.shape.begin() + 1)) {
    count = a.shape[0];
  } else {
    throw DataError(fmt::format(
        "{}: an array of shape ({}); the model takes {} per sample, so "
        "expected ({}) or (count, {})",
        path, fmt::join(a.shape, ", "), input.str(), fmt::join(want, ", "), fmt::join(want, ", ")));
  }
  NpyArray stacked = a;
  stacked.shape = {count};
  stacked.shape.insert(stacked.shape.end(), want.begin(), want.end());
  Samples s;
  s.x = npy_features(stacked, count);
  s.description = path;
  return s;
}

Samples csv_input(const std::string& path, const Shape& input,
                  const std::vector<std::string>& feature_names) {
  CsvReader csv(path, ',');
  std::vector<std::size_t> columns;
  if (feature_names.empty()) {
    for (std::size_t i = 0; i < csv.header().size(); ++i) {
      columns.push_back(i);
    }
  } else {
    for (const auto& name : feature_names) {
      columns.push_back(csv.column(name));
    }
  }
  if (input.rank() != 1 || static_cast<std::int64_t>(columns.size()) != input[0]) {
    throw DataError(fmt::format("{}: {} feature columns, but the model takes {} per sample", path,
                                columns.size(), input.str()));
  }
  std::vector<float> values;
  std::vector<std::string> fields;
  std::int64_t count = 0;
  while (csv.next(fields)) {
    for (const std::size_t c : columns) {
      const auto v = is_missing(fields[c]) ? std::nullopt : parse_number(fields[c]);
      if (!v || !std::isfinite(*v)) {
        throw DataError(fmt::format("{}: line {}, column '{}': '{}' is not a number", path,
                                    csv.line(), csv.header()[c], fields[c]));
      }
      values.push_back(static_cast<float>(*v));
    }
    ++count;
  }
  if (count == 0) {
    throw DataError(fmt::format("{}: no rows after the header", path));
  }
  Samples s;
  s.x = FeatureArray::of_floats(std::move(values), count, input);
  s.description = path;
  return s;
}

}  // namespace

Samples read_new_inputs(const std::string& path, const Shape& input_shape,
                        const std::vector<std::string>& feature_names) {
  const std::string ext = extension_of(path);
  if (ext == "png" || ext == "jpg" || ext == "jpeg") {
    return image_input(path, input_shape);
  }
  if (ext == "npy") {
    return npy_input(path, input_shape);
  }
  if (ext == "csv") {
    return csv_input(path, input_shape, feature_names);
  }
  throw DataError(
      fmt::format("{}: runner predict reads .png, .jpg, .jpeg, .npy and .csv inputs", path));
}

}  // namespace runner
