#pragma once
// One drawing, rendered by Cairo to PNG or SVG bytes. Charts (charts.hpp) and the prediction
// view draw through this, so every picture has the same two outputs and the same checks.
#include <filesystem>
#include <functional>
#include <string>

typedef struct _cairo cairo_t;  // NOLINT: cairo.h's own declaration, kept out of our headers

namespace runner::plot {

enum class ImageFormat { kPng, kSvg };

// "png" | "svg"; throws ConfigError for anything else.
ImageFormat image_format_from_name(const std::string& name);

struct Accessible {  // written into the SVG as <title> and <desc> (Cairo draws text as glyphs)
  std::string title;
  std::string description;
};

// Renders draw(cr) on a width x height canvas (white background) and returns the file bytes.
// Throws Error when Cairo reports a failure.
std::string render(int width, int height, ImageFormat format, const Accessible& text,
                   const std::function<void(cairo_t*)>& draw);

// Writes the bytes atomically to `path`.
void write_image(const std::filesystem::path& path, const std::string& bytes);

}  // namespace runner::plot
