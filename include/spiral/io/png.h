// PNG images: reading (any PNG, expanded to 8 bits per channel) and writing.
#pragma once

#include <string>

#include "spiral/core/image.h"

namespace spiral::io {

// Writes `image` as an 8-bit PNG, through `path + ".tmp"` renamed into place, so no partial file
// remains on error. invalid_argument for an inconsistent image, UserError if the file fails.
void write_png(const std::string& path, const Image& image);

// Reads a PNG; palette, low bit depths and 16-bit are converted to 8-bit gray or RGB (alpha is
// kept when present), so 1-bit gray reads as 0/255. UserError naming the file if it is missing,
// not a PNG or corrupt.
Image read_png(const std::string& path);

}  // namespace spiral::io
