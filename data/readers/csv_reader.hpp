#pragma once
// A CSV file with a header row (RFC 4180: quoted fields may hold the delimiter, quotes as "",
// and line breaks), read record by record so that every problem names its line.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace runner {

class CsvReader {
 public:
  // Opens `path` and reads the header; throws DataError (the OS's reason, an empty file, an
  // empty or repeated column name).
  CsvReader(const std::string& path, char delimiter);

  [[nodiscard]] const std::vector<std::string>& header() const { return header_; }
  // Index of `column` in the header; throws DataError listing the columns (with a
  // did-you-mean) when there is none.
  [[nodiscard]] std::size_t column(const std::string& name) const;
  // The next record into `fields`; false at the end of the file. Throws DataError for a record
  // whose field count differs from the header's (a ragged row) or an unclosed quote.
  bool next(std::vector<std::string>& fields);
  // The line the last record started on (1 is the header).
  [[nodiscard]] std::int64_t line() const { return record_line_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  bool read_record(std::vector<std::string>& fields);

  std::string path_;
  char delimiter_;
  std::ifstream in_;
  std::vector<std::string> header_;
  std::int64_t next_line_ = 1;
  std::int64_t record_line_ = 0;
};

// True for the spellings of a missing value in CSV exports: "", NA, N/A, NaN, nan, null, NULL,
// None, ?.
bool is_missing(const std::string& field);

}  // namespace runner
