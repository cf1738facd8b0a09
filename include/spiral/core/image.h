// 8-bit images in memory: the type every module exchanges, grids, and area resizing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spiral {

// An 8-bit image, row-major height x width x channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;

  // The value of channel `c` of the pixel at row `y`, column `x`.
  uint8_t at(int y, int x, int c = 0) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

// Throws invalid_argument, prefixed with `what`, unless `image` has 1 to 4 channels, a positive
// size and exactly height * width * channels pixels.
void check_image(const Image& image, const std::string& what);

// Lays images out in rows of `columns`, with a 1-pixel `separator` line between neighbours and
// none at the border; empty cells of the last row are filled with `separator`. All images must
// have the same size and channels (else invalid_argument).
Image tile_grid(const std::vector<Image>& images, int columns, uint8_t separator = 255);

// An image of `values` in [0, 1] (row-major height x width x channels; values outside are clamped)
// as bytes: value x 255 rounded to nearest.
Image image_from_unit_floats(const std::vector<float>& values, int height, int width, int channels);

// Resizes with an area (box) filter: each output pixel is the coverage-weighted mean of the input
// pixels under it, rounded to nearest. Exact block means for integer shrink factors.
Image resize_area(const Image& image, int height, int width);

}  // namespace spiral
