#pragma once
// Plain-text tables that fit a terminal: the leaderboard and `runner compare` lay out their
// columns here. The full data stays in the csv/json files; a table that must lose columns to
// fit says which.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace runner {

struct TextColumn {
  std::string header;
  bool left = false;   // text (run names, status) left, numbers right
  int importance = 0;  // columns that do not fit go first from the lowest, rightmost first
};

struct TextTable {
  std::vector<TextColumn> columns;
  std::vector<std::vector<std::string>> rows;  // one cell per column
};

// The table with two spaces between columns and no line wider than `width` (0: any width).
// A header longer than its column breaks after a '_' or '.' onto a second line; if the table is
// still too wide, the least important columns are left out and a last line names them and
// says where to find them (`full_data`, e.g. "--format csv shows every column").
std::string render_text_table(const TextTable& table, std::size_t width,
                              std::string_view full_data);

// `text` broken into lines of at most `width` characters at spaces (0: one line), each ending
// in a newline; a word longer than the width has a line of its own.
std::string wrap_words(std::string_view text, std::size_t width);

// Dotted key paths shortened to their last parts, keeping at least two parts and as many more
// as tell them apart: {model.layers.conv2d.filters, model.layers.conv2d_1.filters,
// compile.optimizer.learning_rate} -> {conv2d.filters, conv2d_1.filters,
// optimizer.learning_rate}.
std::vector<std::string> short_key_names(const std::vector<std::string>& keys);

// The width of the terminal `out` writes to; else $COLUMNS when set; else 0 (a file or a pipe:
// no limit).
std::size_t output_width(std::FILE* out);

}  // namespace runner
