// PNG images: reading (any PNG, expanded to 8 bits per channel), writing, tiling into grids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spiral::io {

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

// Writes `image` as an 8-bit PNG, through `path + ".tmp"` renamed into place, so no partial file
// remains on error. invalid_argument for an inconsistent image, UserError if the file fails.
void write_png(const std::string& path, const Image& image);

// Reads a PNG; palette, low bit depths and 16-bit are converted to 8-bit gray or RGB (alpha is
// kept when present), so 1-bit gray reads as 0/255. UserError naming the file if it is missing,
// not a PNG or corrupt.
Image read_png(const std::string& path);

// Lays images out in rows of `columns`, with a 1-pixel `separator` line between neighbours and
// none at the border; empty cells of the last row are filled with `separator`. All images must
// have the same size and channels (else invalid_argument).
Image tile_grid(const std::vector<Image>& images, int columns, uint8_t separator = 255);

}  // namespace spiral::io
