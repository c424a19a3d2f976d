#include "data/readers/csv_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>

#include "data/features.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner {

CsvReader::CsvReader(const std::string& path, char delimiter) : path_(path), delimiter_(delimiter) {
  require_regular_file(path);
  in_.open(path, std::ios::binary);
  if (!in_) {
    throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  if (!read_record(header_)) {
    throw DataError(
        fmt::format("{}: the file is empty; expected a header row of column names", path));
  }
  // Spreadsheets often save UTF-8 with a byte-order mark; it is not part of the first name.
  if (!header_.empty() && header_[0].starts_with("\xEF\xBB\xBF")) {
    header_[0].erase(0, 3);
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i].empty()) {
      throw DataError(fmt::format("{}: line 1: column {} has no name", path, i + 1));
    }
    if (!seen.insert(header_[i]).second) {
      throw DataError(
          fmt::format("{}: line 1: the column name '{}' appears twice", path, header_[i]));
    }
  }
}

std::size_t CsvReader::column(const std::string& name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) {
      return i;
    }
  }
  throw DataError(fmt::format("{}: no column '{}' (the header has: {}){}", path_, name,
                              fmt::join(header_, ", "), did_you_mean(name, header_)));
}

bool CsvReader::next(std::vector<std::string>& fields) {
  if (!read_record(fields)) {
    return false;
  }
  if (fields.size() != header_.size()) {
    throw DataError(fmt::format("{}: line {}: {} fields, but the header has {} columns", path_,
                                record_line_, fields.size(), header_.size()));
  }
  return true;
}

bool CsvReader::read_record(std::vector<std::string>& fields) {
  fields.clear();
  std::string line;
  // Skips blank lines between records (a trailing newline, an empty last line).
  do {
    if (!std::getline(in_, line)) {
      if (in_.bad()) {
        throw DataError(fmt::format("{}: cannot read: {}", path_, std::strerror(errno)));
      }
      return false;
    }
    record_line_ = next_line_++;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
  } while (line.empty());
  std::string field;
  bool quoted = false;
  std::size_t i = 0;
  while (true) {
    if (i == line.size()) {
      if (!quoted) {
        fields.push_back(std::move(field));
        return true;
      }
      // A quoted field goes on past the line break.
      if (!std::getline(in_, line)) {
        throw DataError(
            fmt::format("{}: line {}: a quoted field is never closed", path_, record_line_));
      }
      ++next_line_;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      field += '\n';
      i = 0;
      continue;
    }
    const char c = line[i++];
    if (quoted) {
      if (c == '"') {
        if (i < line.size() && line[i] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == delimiter_) {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
}

bool is_missing(const std::string& field) {
  static const std::array<const char*, 9> kMissing = {"",     "NA",   "N/A",  "NaN", "nan",
                                                      "null", "NULL", "None", "?"};
  std::string trimmed = field;
  const auto first = trimmed.find_first_not_of(" \t");
  trimmed = first == std::string::npos
                ? ""
                : trimmed.substr(first, trimmed.find_last_not_of(" \t") - first + 1);
  for (const char* m : kMissing) {
    if (trimmed == m) {
      return true;
    }
  }
  return false;
}

}  // namespace runner
