#include "data/readers/image_decode.hpp"

#include <fmt/format.h>
#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include "data/features.hpp"
#include "framework/core/errors.hpp"

namespace runner {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Image decode_png(const std::string& path, int channels) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&png, path.c_str()) == 0) {
    throw DataError(fmt::format("{}: not a readable PNG image: {}", path, png.message));
  }
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image image;
  image.height = png.height;
  image.width = png.width;
  image.channels = channels;
  if (png.height == 0 || png.width == 0 || png.height > 65536 || png.width > 65536) {
    png_image_free(&png);
    throw DataError(fmt::format("{}: a PNG image of {}x{} pixels", path, png.width, png.height));
  }
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  // A white background for transparent pixels, as when the image is shown on a page.
  png_color background{255, 255, 255};
  if (png_image_finish_read(&png, &background, image.pixels.data(), 0, nullptr) == 0) {
    const std::string message = png.message;
    png_image_free(&png);
    throw DataError(fmt::format("{}: a damaged PNG image: {}", path, message));
  }
  return image;
}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

// Plain C state only between setjmp and longjmp (no destructors are skipped).
bool decode_jpeg_c(std::FILE* file, int channels, Image& image, JpegError& error) {
  jpeg_decompress_struct info{};
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = on_jpeg_error;
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  image.height = info.output_height;
  image.width = info.output_width;
  image.channels = channels;
  if (image.height > 65536 || image.width > 65536) {
    std::snprintf(error.message, sizeof error.message, "a JPEG image of %ldx%ld pixels",
                  static_cast<long>(image.width), static_cast<long>(image.height));
    jpeg_destroy_decompress(&info);
    return false;
  }
  image.pixels.resize(static_cast<std::size_t>(image.height * image.width * channels));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image.pixels.data() + static_cast<std::size_t>(info.output_scanline) *
                                             static_cast<std::size_t>(image.width * channels);
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

Image decode_jpeg(const std::string& path, std::FILE* file, int channels) {
  Image image;
  JpegError error{};
  if (!decode_jpeg_c(file, channels, image, error)) {
    throw DataError(fmt::format("{}: a damaged JPEG image: {}", path, error.message));
  }
  return image;
}

}  // namespace

Image decode_image(const std::string& path, int channels) {
  require_regular_file(path);
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  unsigned char magic[8] = {};
  const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
  static constexpr unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (got == 8 && std::memcmp(magic, kPng, 8) == 0) {
    file.reset();
    return decode_png(path, channels);
  }
  if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
    std::rewind(file.get());
    return decode_jpeg(path, file.get(), channels);
  }
  throw DataError(fmt::format("{}: not a PNG or JPEG image", path));
}

void resize_bilinear(const Image& image, std::int64_t height, std::int64_t width,
                     std::uint8_t* out) {
  const auto c = static_cast<std::size_t>(image.channels);
  if (image.height == height && image.width == width) {
    std::copy(image.pixels.begin(), image.pixels.end(), out);
    return;
  }
  // TensorFlow's half-pixel centres: source = (dest + 0.5) * in / out - 0.5, read between
  // the two neighbours (clamped to the image) with the fraction as weight.
  struct Taps {
    std::size_t lo, hi;
    double frac;
  };
  auto taps = [](std::int64_t dest, double scale, std::int64_t size) {
    const double f = (static_cast<double>(dest) + 0.5) * scale - 0.5;
    const double whole = std::floor(f);
    const auto i = static_cast<std::int64_t>(whole);
    return Taps{static_cast<std::size_t>(std::clamp<std::int64_t>(i, 0, size - 1)),
                static_cast<std::size_t>(std::clamp<std::int64_t>(i + 1, 0, size - 1)), f - whole};
  };
  const double sy = static_cast<double>(image.height) / static_cast<double>(height);
  const double sx = static_cast<double>(image.width) / static_cast<double>(width);
  for (std::int64_t y = 0; y < height; ++y) {
    const Taps ty = taps(y, sy, image.height);
    const std::size_t y0 = ty.lo, y1 = ty.hi;
    const double dy = ty.frac;
    for (std::int64_t x = 0; x < width; ++x) {
      const Taps tx = taps(x, sx, image.width);
      const std::size_t x0 = tx.lo, x1 = tx.hi;
      const double dx = tx.frac;
      const auto w = static_cast<std::size_t>(image.width);
      for (std::size_t k = 0; k < c; ++k) {
        const double top = image.pixels[(y0 * w + x0) * c + k] * (1 - dx) +
                           image.pixels[(y0 * w + x1) * c + k] * dx;
        const double bottom = image.pixels[(y1 * w + x0) * c + k] * (1 - dx) +
                              image.pixels[(y1 * w + x1) * c + k] * dx;
        const double v = top * (1 - dy) + bottom * dy;
        out[(static_cast<std::size_t>(y * width + x)) * c + k] =
            static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
}

}  // namespace runner
