#pragma once
// Decodes PNG bytes with Cairo so tests can check sizes and what was drawn.
#include <cairo.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace runner::test {

class DecodedPng {
 public:
  explicit DecodedPng(const std::string& bytes) : bytes_(bytes) {
    surface_ = cairo_image_surface_create_from_png_stream(&DecodedPng::read, this);
  }
  ~DecodedPng() { cairo_surface_destroy(surface_); }
  DecodedPng(const DecodedPng&) = delete;
  DecodedPng& operator=(const DecodedPng&) = delete;

  [[nodiscard]] bool ok() const { return cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS; }
  [[nodiscard]] int width() const { return cairo_image_surface_get_width(surface_); }
  [[nodiscard]] int height() const { return cairo_image_surface_get_height(surface_); }

  // Pixels within `tolerance` (0..255 per channel) of the colour 0xRRGGBB, in a region.
  [[nodiscard]] long count(std::uint32_t rgb, int tolerance = 8, int x0 = 0, int y0 = 0,
                           int x1 = -1, int y1 = -1) const {
    cairo_surface_flush(surface_);
    const unsigned char* data = cairo_image_surface_get_data(surface_);
    const int stride = cairo_image_surface_get_stride(surface_);
    x1 = x1 < 0 ? width() : x1;
    y1 = y1 < 0 ? height() : y1;
    long n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        std::uint32_t px = 0;
        std::memcpy(&px, data + y * stride + x * 4, 4);  // native-endian ARGB32
        const int dr = static_cast<int>((px >> 16) & 255) - static_cast<int>((rgb >> 16) & 255);
        const int dg = static_cast<int>((px >> 8) & 255) - static_cast<int>((rgb >> 8) & 255);
        const int db = static_cast<int>(px & 255) - static_cast<int>(rgb & 255);
        n += std::abs(dr) <= tolerance && std::abs(dg) <= tolerance && std::abs(db) <= tolerance;
      }
    }
    return n;
  }

 private:
  static cairo_status_t read(void* closure, unsigned char* data, unsigned int length) {
    auto* self = static_cast<DecodedPng*>(closure);
    if (self->offset_ + length > self->bytes_.size()) {
      return CAIRO_STATUS_READ_ERROR;
    }
    std::memcpy(data, self->bytes_.data() + self->offset_, length);
    self->offset_ += length;
    return CAIRO_STATUS_SUCCESS;
  }

  const std::string& bytes_;
  std::size_t offset_ = 0;
  cairo_surface_t* surface_ = nullptr;
};

constexpr std::uint32_t kBlue = 0x1f77b4;    // first series, the true class
constexpr std::uint32_t kOrange = 0xff7f0e;  // second series
constexpr std::uint32_t kRed = 0xd62728;     // a wrong prediction

}  // namespace runner::test
