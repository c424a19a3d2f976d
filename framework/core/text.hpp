#pragma once
// Small text helpers: error-message hints, number formatting, escaping.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner {

// Edit distance, used for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);
// "; did you mean 'x'?" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// 333526 -> "333,526"
std::string with_thousands(long long value);
// value with `digits` decimals ("{:.4f}"), NaN as "nan" whatever its sign bit (as Python and
// Keras print it; fmt would print "-nan" for the x86 default NaN).
std::string fixed(double value, int digits);
// The value of text that is a number and nothing else ("0.25", "-3", "1e-4"), as strtod reads
// it; nullopt for anything else ("", "0.25 s", "relu").
std::optional<double> parse_number(std::string_view text);
// "Conv2D" -> "conv2d", "MaxPooling2D" -> "max_pooling2d" (Keras' layer name rule).
std::string snake_case(std::string_view camel);

// A CSV field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or
// a line break; and one line's fields read back (no line breaks inside quotes).
std::string csv_field(std::string_view text);
std::vector<std::string> split_csv_line(std::string_view line);

// Escapes & < > " ' for XML and HTML text and attribute values.
std::string xml_escape(std::string_view text);
// Standard base64 (RFC 4648, with padding), for data: URIs.
std::string base64(std::string_view bytes);
}  // namespace runner
