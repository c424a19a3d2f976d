#pragma once
// PNG and JPEG files decoded with Debian's libpng and libjpeg-turbo (recognised by their
// first bytes, not their names), and the bilinear resize TensorFlow's tf.image.resize does
// (half-pixel centres, no antialiasing), as Keras' image_dataset_from_directory uses it.
#include <cstdint>
#include <string>
#include <vector>

namespace runner {

struct Image {
  std::int64_t height = 0, width = 0, channels = 0;  // channels 1 (grayscale) or 3 (RGB)
  std::vector<std::uint8_t> pixels;                  // HWC
};

// Decodes `path` into `channels` (1 or 3) channels. Throws DataError naming the file: not a
// PNG or JPEG, damaged, or the OS's reason it cannot be read.
Image decode_image(const std::string& path, int channels);

// Resizes to height x width (bilinear, half-pixel centres), rounding to bytes. `out` holds
// height * width * image.channels bytes.
void resize_bilinear(const Image& image, std::int64_t height, std::int64_t width,
                     std::uint8_t* out);

}  // namespace runner
