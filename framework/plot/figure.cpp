#include "framework/plot/figure.hpp"

#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include <memory>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"

namespace runner::plot {

namespace {
cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Cairo writes text as glyph outlines; <title> and <desc> keep the words in the file for
// screen readers, search and tests.
std::string with_svg_text(std::string svg, const Accessible& text) {
  const auto open = svg.find("<svg");
  const auto end = open == std::string::npos ? open : svg.find('>', open);
  if (end == std::string::npos) {
    throw Error("Cairo wrote an SVG without an <svg> element");
  }
  svg.insert(end + 1, fmt::format("\n<title>{}</title>\n<desc>{}</desc>", xml_escape(text.title),
                                  xml_escape(text.description)));
  return svg;
}

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error(fmt::format("drawing failed ({}): {}", what, cairo_status_to_string(status)));
  }
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;
}  // namespace

ImageFormat image_format_from_name(const std::string& name) {
  if (name == "png") {
    return ImageFormat::kPng;
  }
  if (name == "svg") {
    return ImageFormat::kSvg;
  }
  throw ConfigError(fmt::format("unknown image format '{}' (known: png, svg)", name));
}

std::string render(int width, int height, ImageFormat format, const Accessible& text,
                   const std::function<void(cairo_t*)>& draw) {
  std::string bytes;
  SurfacePtr surface(format == ImageFormat::kPng
                         ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height)
                         : cairo_svg_surface_create_for_stream(append_bytes, &bytes, width, height),
                     cairo_surface_destroy);
  check(cairo_surface_status(surface.get()), "surface");
  {
    ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    draw(cr.get());
    check(cairo_status(cr.get()), "drawing");
  }
  if (format == ImageFormat::kPng) {
    check(cairo_surface_write_to_png_stream(surface.get(), append_bytes, &bytes), "PNG");
    return bytes;
  }
  cairo_surface_finish(surface.get());
  check(cairo_surface_status(surface.get()), "SVG");
  return with_svg_text(std::move(bytes), text);
}

void write_image(const std::filesystem::path& path, const std::string& bytes) {
  write_text_file(path, bytes);
}

}  // namespace runner::plot
