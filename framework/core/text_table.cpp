#include "framework/core/text_table.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <numeric>

namespace runner {

namespace {

// Characters on screen: UTF-8 continuation bytes take no column.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// A header as one line, or as two lines broken after a separator so that the wider line is as
// narrow as it can be. Key paths break between their parts ('.') rather than inside a name
// ("conv2d_1.filters" -> "conv2d_1." + "filters").
std::vector<std::string> header_lines(const std::string& header, bool wrap) {
  if (!wrap) {
    return {header};
  }
  const bool dotted = header.find('.') != std::string::npos;
  std::size_t best = 0;
  std::size_t best_width = display_width(header);
  for (std::size_t i = 0; i + 1 < header.size(); ++i) {
    const bool separator =
        header[i] == '.' || header[i] == '/' || header[i] == ' ' || (header[i] == '_' && !dotted);
    if (!separator) {
      continue;
    }
    const std::size_t cut = header[i] == ' ' ? i : i + 1;  // a space ends the first line unseen
    const std::size_t first = display_width(std::string_view(header).substr(0, cut));
    const std::size_t second = display_width(std::string_view(header).substr(i + 1));
    if (std::max(first, second) < best_width) {
      best_width = std::max(first, second);
      best = i;
    }
  }
  if (best_width == display_width(header)) {
    return {header};
  }
  const std::size_t cut = header[best] == ' ' ? best : best + 1;
  return {header.substr(0, cut), header.substr(best + 1)};
}

struct Layout {
  std::vector<std::size_t> shown;  // column indices, in order
  std::vector<std::vector<std::string>> headers;
  std::vector<std::size_t> widths;
  [[nodiscard]] std::size_t total() const {
    const std::size_t gaps = widths.empty() ? 0 : 2 * (widths.size() - 1);
    return std::accumulate(widths.begin(), widths.end(), gaps);
  }
};

Layout layout(const TextTable& table, const std::vector<std::size_t>& shown, bool wrap) {
  Layout l;
  l.shown = shown;
  for (const std::size_t c : shown) {
    std::size_t width = 0;
    for (const auto& row : table.rows) {
      width = std::max(width, display_width(row[c]));
    }
    auto lines = header_lines(table.columns[c].header,
                              wrap && display_width(table.columns[c].header) > width);
    for (const auto& line : lines) {
      width = std::max(width, display_width(line));
    }
    l.headers.push_back(std::move(lines));
    l.widths.push_back(width);
  }
  return l;
}

std::string pad(const std::string& text, std::size_t width, bool left) {
  const std::string fill(width - std::min(width, display_width(text)), ' ');
  return left ? text + fill : fill + text;
}

std::string emit(const TextTable& table, const Layout& l, const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t k = 0; k < l.shown.size(); ++k) {
    if (k > 0) {
      line += "  ";
    }
    line += pad(cells[k], l.widths[k], table.columns[l.shown[k]].left);
  }
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

}  // namespace

std::string render_text_table(const TextTable& table, std::size_t width,
                              std::string_view full_data) {
  std::vector<std::size_t> shown(table.columns.size());
  std::iota(shown.begin(), shown.end(), 0);
  Layout l = layout(table, shown, false);
  if (width > 0 && l.total() > width) {
    l = layout(table, shown, true);
  }
  std::vector<std::size_t> dropped;
  while (width > 0 && l.total() > width && shown.size() > 1) {
    // The least important column; of equals, the rightmost.
    std::size_t victim = 0;
    for (std::size_t k = 1; k < shown.size(); ++k) {
      if (table.columns[shown[k]].importance <= table.columns[shown[victim]].importance) {
        victim = k;
      }
    }
    dropped.push_back(shown[victim]);
    shown.erase(shown.begin() + static_cast<std::ptrdiff_t>(victim));
    l = layout(table, shown, true);
  }
  // A column dropped for the sake of a wider one may fit again: put back what fits, most
  // important first.
  std::stable_sort(dropped.begin(), dropped.end(), [&](std::size_t a, std::size_t b) {
    return table.columns[a].importance > table.columns[b].importance;
  });
  for (auto it = dropped.begin(); it != dropped.end();) {
    std::vector<std::size_t> with = shown;
    with.insert(std::upper_bound(with.begin(), with.end(), *it), *it);
    Layout wider = layout(table, with, true);
    if (wider.total() <= width) {
      shown = std::move(with);
      l = std::move(wider);
      it = dropped.erase(it);
    } else {
      ++it;
    }
  }
  std::string out;
  const std::size_t header_rows =
      std::max_element(l.headers.begin(), l.headers.end(), [](const auto& a, const auto& b) {
        return a.size() < b.size();
      })->size();
  for (std::size_t r = 0; r < header_rows; ++r) {
    std::vector<std::string> cells;
    for (const auto& lines : l.headers) {
      // One-line headers sit on the last header row, next to the cells they name.
      const std::size_t offset = header_rows - lines.size();
      cells.push_back(r >= offset ? lines[r - offset] : "");
    }
    out += emit(table, l, cells);
  }
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const std::size_t c : l.shown) {
      cells.push_back(row[c]);
    }
    out += emit(table, l, cells);
  }
  if (!dropped.empty()) {
    std::sort(dropped.begin(), dropped.end());
    std::vector<std::string> names;
    for (const std::size_t c : dropped) {
      names.push_back(table.columns[c].header);
    }
    out += wrap_words(
        fmt::format("({} column{} left out to fit {} characters: {}; {})", names.size(),
                    names.size() == 1 ? "" : "s", width, fmt::join(names, ", "), full_data),
        width);
  }
  return out;
}

std::string wrap_words(std::string_view text, std::size_t width) {
  std::string out;
  std::string line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view word = text.substr(start, end - start);
    if (!line.empty() && width > 0 && display_width(line) + 1 + display_width(word) > width) {
      out += line + "\n";
      line.clear();
    }
    if (!line.empty()) {
      line += ' ';
    }
    line += word;
    start = end + 1;
  }
  return out + line + "\n";
}

std::vector<std::string> short_key_names(const std::vector<std::string>& keys) {
  std::vector<std::vector<std::string>> parts;
  for (const auto& key : keys) {
    auto& p = parts.emplace_back();
    std::size_t start = 0;
    for (std::size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
      p.push_back(key.substr(start, dot - start));
      start = dot + 1;
    }
    p.push_back(key.substr(start));
  }
  std::vector<std::size_t> kept(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    kept[i] = std::min<std::size_t>(2, parts[i].size());
  }
  auto name = [&](std::size_t i) {
    std::string text;
    for (std::size_t k = parts[i].size() - kept[i]; k < parts[i].size(); ++k) {
      if (!text.empty()) {
        text += '.';
      }
      text += parts[i][k];
    }
    return text;
  };
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, std::vector<std::size_t>> owners;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      owners[name(i)].push_back(i);
    }
    for (const auto& [text, who] : owners) {
      if (who.size() < 2) {
        continue;
      }
      for (const std::size_t i : who) {
        if (kept[i] < parts[i].size()) {
          ++kept[i];
          changed = true;
        }
      }
    }
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    names.push_back(name(i));
  }
  return names;
}

std::size_t output_width(std::FILE* out) {
  winsize size{};
  if (isatty(fileno(out)) != 0 && ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    char* end = nullptr;
    const long value = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && value > 0) {
      return static_cast<std::size_t>(value);
    }
  }
  return 0;
}

}  // namespace runner
