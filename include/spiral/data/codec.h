// Whole files and encoded images in memory: reading bytes, sniffing, PNG and JPEG coding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spiral/core/image.h"

namespace spiral::data {

// Largest file read_file accepts, and the largest decoded image (pixels x channels), in bytes.
inline constexpr size_t kMaxFileBytes = size_t{1} << 32;
inline constexpr size_t kMaxImageBytes = size_t{1} << 30;

// Reads a whole file; UserError naming it if it cannot be opened or read, or is too large.
std::vector<uint8_t> read_file(const std::string& path);

// Encoded image formats the data module reads.
enum class ImageFormat { kUnknown, kPng, kJpeg };

// Recognises a PNG or JPEG by its first bytes.
ImageFormat sniff_image_format(const uint8_t* data, size_t size);

// Decodes a PNG held in memory, expanded to 8-bit gray, gray+alpha, RGB or RGBA (1-bit gray reads
// as 0/255). `name` (a file, or an entry of an archive) prefixes the UserError for corrupt data.
Image decode_png(const uint8_t* data, size_t size, const std::string& name);

// Decodes a JPEG held in memory to 8-bit gray or RGB. Corrupt or truncated data is a UserError
// prefixed with `name`, even where libjpeg would only warn and pad the image.
Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name);

// Decodes a PNG or JPEG, chosen by its first bytes (UserError if it is neither).
Image decode_image(const uint8_t* data, size_t size, const std::string& name);

// Reads and decodes a PNG or JPEG file.
Image read_image(const std::string& path);

// Encodes a gray or RGB image as a baseline JPEG of `quality` (1..100).
std::vector<uint8_t> encode_jpeg(const Image& image, int quality = 95);

// Writes `image` as a JPEG file (UserError if the file cannot be written).
void write_jpeg(const std::string& path, const Image& image, int quality = 95);

}  // namespace spiral::data
