#include "data/readers/npy_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <bit>
#include <cstring>
#include <limits>
#include <regex>

#include "framework/core/errors.hpp"

namespace runner {

std::int64_t NpyArray::elements() const {
  std::int64_t n = 1;
  for (const auto d : shape) {
    n *= d;
  }
  return n;
}

std::string NpyArray::dtype() const {
  return fmt::format("{}{}{}", item_bytes == 1 ? '|' : (big_endian ? '>' : '<'), kind, item_bytes);
}

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw DataError(fmt::format("{}: {}", where, what));
}

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
         (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
}
std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8U));
}
std::uint64_t le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(le32(p)) | (static_cast<std::uint64_t>(le32(p + 4)) << 32U);
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
void parse_header(const std::string& header, NpyArray& a) {
  static const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex kFortran(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
  std::smatch m;
  if (!std::regex_search(header, m, kDescr)) {
    if (header.find("'descr'") != std::string::npos) {
      fail(a.where, "a structured (record) dtype; only plain numeric arrays can be read");
    }
    fail(a.where, "not a valid .npy header (no 'descr')");
  }
  const std::string descr = m[1];
  if (descr.size() >= 2 && descr[1] == 'O') {
    fail(a.where,
         "an object array (dtype 'O'); reading it would need pickle, which runner never loads: "
         "save a numeric array (np.save(path, np.asarray(x, dtype=np.float32)))");
  }
  if (descr.size() < 3 ||
      (descr[0] != '<' && descr[0] != '>' && descr[0] != '|' && descr[0] != '=')) {
    fail(a.where, fmt::format("unsupported dtype '{}'", descr));
  }
  a.kind = descr[1];
  const std::string size_text = descr.substr(2);
  if ((a.kind != 'u' && a.kind != 'i' && a.kind != 'f' && a.kind != 'b') ||
      (size_text != "1" && size_text != "2" && size_text != "4" && size_text != "8")) {
    fail(a.where, fmt::format("unsupported dtype '{}' (expected an integer, float or bool array: "
                              "uint8, int64, float32, float64, ...)",
                              descr));
  }
  a.item_bytes = static_cast<std::size_t>(size_text[0] - '0');
  if (a.kind == 'b') {
    a.kind = 'u';  // bool is one byte 0/1
  }
  if (a.kind == 'f' && a.item_bytes == 1) {
    fail(a.where, fmt::format("unsupported dtype '{}'", descr));
  }
  a.big_endian = descr[0] == '>';
  if (!std::regex_search(header, m, kFortran)) {
    fail(a.where, "not a valid .npy header (no 'fortran_order')");
  }
  if (m[1] == "True") {
    fail(a.where,
         "the array is in Fortran order; save it in C order (np.save(path, "
         "np.ascontiguousarray(x)))");
  }
  if (!std::regex_search(header, m, kShape)) {
    fail(a.where, "not a valid .npy header (no 'shape')");
  }
  const std::string dims = m[1];
  std::size_t pos = 0;
  while (pos < dims.size()) {
    const auto comma = dims.find(',', pos);
    const std::string item = dims.substr(pos, comma == std::string::npos ? comma : comma - pos);
    pos = comma == std::string::npos ? dims.size() : comma + 1;
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) {
      continue;
    }
    const std::string digits = item.substr(first, item.find_last_not_of(" \tL") - first + 1);
    if (digits.empty() || digits.size() > 12 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      fail(a.where, fmt::format("not a valid .npy shape '({})'", dims));
    }
    a.shape.push_back(std::stoll(digits));
  }
}

}  // namespace

NpyArray parse_npy(std::shared_ptr<const void> owner, const std::uint8_t* bytes, std::size_t size,
                   const std::string& where) {
  NpyArray a;
  a.where = where;
  static constexpr std::uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, sizeof kMagic) != 0) {
    fail(where,
         size < 10 && size > 0 ? "truncated .npy file" : "not a .npy file (no \\x93NUMPY magic)");
  }
  const unsigned major = bytes[6];
  std::size_t header_len = 0;
  std::size_t data_start = 0;
  if (major == 1) {
    header_len = le16(bytes + 8);
    data_start = 10 + header_len;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      fail(where, "truncated .npy file");
    }
    header_len = le32(bytes + 8);
    data_start = 12 + header_len;
  } else {
    fail(where, fmt::format(".npy format version {} is not supported (1, 2 or 3)", major));
  }
  if (data_start > size) {
    fail(where, fmt::format("truncated .npy header ({} bytes announced, {} in the file)",
                            header_len, size));
  }
  parse_header(
      std::string(reinterpret_cast<const char*>(bytes) + (data_start - header_len), header_len), a);
  // Overflow-safe element count and byte size.
  std::uint64_t elements = 1;
  for (const auto d : a.shape) {
    if (d != 0 &&
        elements > std::numeric_limits<std::uint64_t>::max() / 16 / static_cast<std::uint64_t>(d)) {
      fail(where, "the shape is too large");
    }
    elements *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t need = elements * a.item_bytes;
  if (need > size - data_start) {
    fail(where, fmt::format("truncated: shape ({}) of {} needs {} bytes of data, the file has {}",
                            fmt::join(a.shape, ", "), a.dtype(), need, size - data_start));
  }
  a.data = bytes + data_start;
  a.owner = std::move(owner);
  return a;
}

NpyArray read_npy_file(const std::string& path) {
  std::size_t size = 0;
  auto mapping = map_file(path, size);
  const auto* bytes = static_cast<const std::uint8_t*>(mapping.get());
  return parse_npy(std::move(mapping), bytes, size, path);
}

NpyArray read_npz_member(const std::string& path, const std::string& key) {
  std::size_t size = 0;
  auto mapping = map_file(path, size);
  const auto* zip = static_cast<const std::uint8_t*>(mapping.get());
  // The end-of-central-directory record: in the last 64 KiB + 22 bytes.
  std::size_t eocd = std::string::npos;
  for (std::size_t i = size >= 22 ? size - 22 : 0; size >= 22; --i) {
    if (le32(zip + i) == 0x06054b50U) {
      eocd = i;
      break;
    }
    if (i == 0 || size - i > 65557) {
      break;
    }
  }
  if (eocd == std::string::npos) {
    fail(path, "not an .npz file (no zip directory found; truncated?)");
  }
  const std::uint16_t entries = le16(zip + eocd + 10);
  std::uint64_t offset = le32(zip + eocd + 16);
  const std::string wanted = key.ends_with(".npy") ? key : key + ".npy";
  std::vector<std::string> names;
  for (std::uint16_t e = 0; e < entries; ++e) {
    if (offset + 46 > size || le32(zip + offset) != 0x02014b50U) {
      fail(path, "a damaged zip directory");
    }
    const std::uint8_t* h = zip + offset;
    const std::uint16_t method = le16(h + 10);
    std::uint64_t packed = le32(h + 20);
    std::uint64_t unpacked = le32(h + 24);
    const std::uint16_t name_len = le16(h + 28);
    const std::uint16_t extra_len = le16(h + 30);
    const std::uint16_t comment_len = le16(h + 32);
    std::uint64_t local = le32(h + 42);
    if (offset + 46 + name_len + extra_len > size) {
      fail(path, "a damaged zip directory");
    }
    const std::string name(reinterpret_cast<const char*>(h + 46), name_len);
    // ZIP64: the sizes and offset that do not fit 32 bits follow in extra field 0x0001.
    for (std::size_t x = 0; x + 4 <= extra_len;) {
      const std::uint8_t* field = h + 46 + name_len + x;
      const std::uint16_t id = le16(field);
      const std::uint16_t len = le16(field + 2);
      if (id == 0x0001) {
        std::size_t at = 4;
        for (std::uint64_t* v : {&unpacked, &packed, &local}) {
          if (*v == 0xFFFFFFFFU && at + 8 <= 4U + len) {
            *v = le64(field + at);
            at += 8;
          }
        }
      }
      x += 4U + len;
    }
    offset += 46U + name_len + extra_len + comment_len;
    names.push_back(name.ends_with(".npy") ? name.substr(0, name.size() - 4) : name);
    if (name != wanted) {
      continue;
    }
    const std::string where = path + ":" + name;
    if (local + 30 > size || le32(zip + local) != 0x04034b50U) {
      fail(where, "a damaged zip entry");
    }
    const std::uint64_t start = local + 30 + le16(zip + local + 26) + le16(zip + local + 28);
    if (start > size || packed > size - start) {
      fail(where, "truncated zip entry");
    }
    if (method == 0) {
      return parse_npy(mapping, zip + start, packed, where);
    }
    if (method != 8) {
      fail(where,
           fmt::format("zip compression method {} is not supported (stored or deflated)", method));
    }
    if (unpacked > (std::uint64_t{1} << 40U)) {
      fail(where, "the member is too large");
    }
    auto out = std::make_shared<std::vector<std::uint8_t>>(unpacked);
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
      fail(where, "zlib could not start");
    }
    z.next_in = const_cast<std::uint8_t*>(zip + start);
    std::uint64_t in_left = packed;
    std::uint64_t out_done = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
      const auto in_chunk = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1U << 30U));
      const auto out_chunk =
          static_cast<uInt>(std::min<std::uint64_t>(unpacked - out_done, 1U << 30U));
      z.avail_in = in_chunk;
      z.next_out = out->data() + out_done;
      z.avail_out = out_chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      in_left -= in_chunk - z.avail_in;
      out_done += out_chunk - z.avail_out;
      if (rc == Z_OK && z.avail_in == 0 && in_left == 0 && out_done == unpacked) {
        break;  // all there, no end marker needed
      }
      if (rc == Z_BUF_ERROR || (rc == Z_OK && in_chunk == z.avail_in && out_chunk == z.avail_out)) {
        rc = Z_DATA_ERROR;
      }
    }
    inflateEnd(&z);
    if ((rc != Z_STREAM_END && rc != Z_OK) || out_done != unpacked) {
      fail(where, "the compressed member is damaged or truncated");
    }
    const std::uint8_t* bytes = out->data();
    return parse_npy(std::move(out), bytes, unpacked, where);
  }
  fail(path, fmt::format("no array '{}' (the file has: {})", key.substr(0, key.rfind(".npy")),
                         fmt::join(names, ", ")));
}

namespace {
template <typename T>
T load(const std::uint8_t* p, bool swap) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if (swap) {
    if constexpr (sizeof(T) == 2) {
      v = std::bit_cast<T>(__builtin_bswap16(std::bit_cast<std::uint16_t>(v)));
    } else if constexpr (sizeof(T) == 4) {
      v = std::bit_cast<T>(__builtin_bswap32(std::bit_cast<std::uint32_t>(v)));
    } else if constexpr (sizeof(T) == 8) {
      v = std::bit_cast<T>(__builtin_bswap64(std::bit_cast<std::uint64_t>(v)));
    }
  }
  return v;
}

double element(const NpyArray& a, std::int64_t i) {
  const std::uint8_t* p = a.data + static_cast<std::size_t>(i) * a.item_bytes;
  const bool swap = a.big_endian;
  switch (a.item_bytes) {
    case 1:
      return a.kind == 'i' ? static_cast<double>(static_cast<std::int8_t>(*p)) : *p;
    case 2:
      return a.kind == 'i' ? load<std::int16_t>(p, swap) : load<std::uint16_t>(p, swap);
    case 4:
      if (a.kind == 'f') {
        return load<float>(p, swap);
      }
      return a.kind == 'i' ? load<std::int32_t>(p, swap) : load<std::uint32_t>(p, swap);
    default:
      if (a.kind == 'f') {
        return load<double>(p, swap);
      }
      return a.kind == 'i' ? static_cast<double>(load<std::int64_t>(p, swap))
                           : static_cast<double>(load<std::uint64_t>(p, swap));
  }
}

}  // namespace

FeatureArray npy_features(const NpyArray& x, std::int64_t count) {
  std::vector<std::int64_t> dims(x.shape.begin() + 1, x.shape.end());
  if (dims.empty()) {
    dims.push_back(1);  // one number per sample
  }
  const Shape sample(dims);
  const std::int64_t n = count * sample.elements();
  if (x.kind == 'u' && x.item_bytes == 1) {
    return FeatureArray::of_memory(x.owner, x.data, ElementType::kUint8, count, sample);
  }
  const bool aligned = reinterpret_cast<std::uintptr_t>(x.data) % alignof(float) == 0;
  if (x.kind == 'f' && x.item_bytes == 4 && !x.big_endian && aligned) {
    return FeatureArray::of_memory(x.owner, x.data, ElementType::kFloat32, count, sample);
  }
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    values[static_cast<std::size_t>(i)] = static_cast<float>(element(x, i));
  }
  return FeatureArray::of_floats(std::move(values), count, sample);
}

SourceData npy_source_data(const NpyArray& x, const NpyArray& y,
                           std::optional<std::int64_t> limit) {
  if (x.shape.empty() || x.shape.size() > 4) {
    fail(x.where, fmt::format("expected inputs of shape (count, ...) with 1 to 3 dimensions per "
                              "sample, got ({})",
                              fmt::join(x.shape, ", ")));
  }
  if (y.shape.empty() || y.shape.size() > 2) {
    fail(y.where, fmt::format("expected labels of shape (count,) or (count, width), got ({})",
                              fmt::join(y.shape, ", ")));
  }
  if (x.shape[0] != y.shape[0]) {
    fail(y.where, fmt::format("{} labels for {} inputs in {}", y.shape[0], x.shape[0], x.where));
  }
  for (std::size_t d = 1; d < x.shape.size(); ++d) {
    if (x.shape[d] <= 0 || x.shape[d] > 65536) {
      fail(x.where,
           fmt::format("dimension {} of the inputs is {}; expected 1 to 65536", d, x.shape[d]));
    }
  }
  const std::int64_t count = std::min(x.shape[0], limit.value_or(x.shape[0]));
  SourceData data;
  data.x = npy_features(x, count);
  data.y.width = y.shape.size() == 2 ? y.shape[1] : 1;
  if (data.y.width <= 0) {
    fail(y.where, "labels of width 0");
  }
  data.y.numbers.resize(static_cast<std::size_t>(count * data.y.width));
  for (std::int64_t i = 0; i < count * data.y.width; ++i) {
    const double v = element(y, i);
    if (!std::isfinite(v)) {
      fail(y.where, fmt::format("item {}: label {} is not a finite number", i / data.y.width, v));
    }
    data.y.numbers[static_cast<std::size_t>(i)] = v;
  }
  data.y.origin = y.where;
  data.description = x.where;
  return data;
}

}  // namespace runner
