#include "spiral/data/codec.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE declared first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::data {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Largest side of an image we decode; anything larger is refused before allocating.
constexpr uint32_t kMaxSide = 1 << 15;

std::string shape_text(size_t height, size_t width, size_t channels) {
  return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
}

// Checks a decoded image's header and allocates its pixels; UserError when it is too large.
Image allocate_image(const std::string& name, const char* format, size_t height, size_t width,
                     size_t channels) {
  if (height == 0 || width == 0 || channels < 1 || channels > 4 || height > kMaxSide ||
      width > kMaxSide || height * width * channels > kMaxImageBytes) {
    throw UserError(name + ": unsupported " + format + " of " +
                    shape_text(height, width, channels) + " (expected at most " +
                    std::to_string(kMaxSide) + " pixels a side)");
  }
  Image image;
  image.height = static_cast<int>(height);
  image.width = static_cast<int>(width);
  image.channels = static_cast<int>(channels);
  image.pixels.resize(height * width * channels);
  return image;
}

// ---- PNG ----------------------------------------------------------------------------------

// libpng reports errors by calling on_png_error, which records the message and longjmps back to
// the setjmp of one of the helpers below; those keep no C++ objects with destructors in frame.
struct PngState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t position = 0;
  char message[256] = "";
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof(state->message), "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void read_png_bytes(png_structp png, png_bytep out, png_size_t length) {
  auto* state = static_cast<PngState*>(png_get_io_ptr(png));
  if (length > state->size - state->position) png_error(png, "unexpected end of data");
  std::memcpy(out, state->data + state->position, length);
  state->position += length;
}

// Owns a libpng read struct and its info struct.
class PngReader {
 public:
  explicit PngReader(PngState* state)
      : png_(png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning)),
        info_(png_ != nullptr ? png_create_info_struct(png_) : nullptr) {
    if (png_ == nullptr || info_ == nullptr) throw std::bad_alloc();
    png_set_read_fn(png_, state, read_png_bytes);
    // libpng's own limit would call a valid but large file corrupt; allocate_image() refuses
    // it with its size instead.
    png_set_user_limits(png_, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  }
  ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  // Reads the header and sets up 8-bit expansion; false on a libpng error.
  bool read_header(uint32_t* height, uint32_t* width, int* channels, size_t* row_bytes) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_read_info(png_, info_);
    png_set_expand(png_);    // palette -> RGB, gray below 8 bits -> 8 bits, tRNS -> alpha
    png_set_strip_16(png_);  // 16 -> 8 bits
    png_set_interlace_handling(png_);
    png_read_update_info(png_, info_);
    *height = png_get_image_height(png_, info_);
    *width = png_get_image_width(png_, info_);
    *channels = png_get_channels(png_, info_);
    *row_bytes = png_get_rowbytes(png_, info_);
    return true;
  }

  // Reads every row into `rows`; false on a libpng error.
  bool read_rows(png_bytepp rows) {
    if (setjmp(png_jmpbuf(png_))) return false;
    png_read_image(png_, rows);
    png_read_end(png_, nullptr);
    return true;
  }

 private:
  png_structp png_;
  png_infop info_;
};

// ---- JPEG ---------------------------------------------------------------------------------

// libjpeg's error manager, extended with the jump target and the first message.
struct JpegErrors {
  jpeg_error_mgr manager;  // first, so libjpeg's pointer to it is a pointer to this
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool warned;
};

[[noreturn]] void on_jpeg_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning about corrupt data (libjpeg pads and goes on); we keep the first one.
void on_jpeg_message(j_common_ptr info, int level) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  if (level < 0 && !errors->warned) {
    (*info->err->format_message)(info, errors->message);
    errors->warned = true;
  }
}

void init_jpeg_errors(JpegErrors* errors) {
  std::memset(errors, 0, sizeof(*errors));
  jpeg_std_error(&errors->manager);
  errors->manager.error_exit = on_jpeg_error;
  errors->manager.emit_message = on_jpeg_message;
}

// Owns a libjpeg decompressor reading from memory. Every libjpeg call sits in a method with its
// own setjmp and no C++ objects in frame.
class JpegDecoder {
 public:
  JpegDecoder() {
    init_jpeg_errors(&errors_);
    std::memset(&info_, 0, sizeof(info_));
    info_.err = &errors_.manager;
  }
  ~JpegDecoder() {
    if (created_) jpeg_destroy_decompress(&info_);
  }
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Reads the header from `data` and starts decompression to gray or RGB.
  bool start(const uint8_t* data, size_t size) {
    if (setjmp(errors_.jump)) return false;
    jpeg_create_decompress(&info_);
    created_ = true;
    jpeg_mem_src(&info_, data, static_cast<unsigned long>(size));
    jpeg_read_header(&info_, TRUE);
    info_.out_color_space = info_.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_calc_output_dimensions(&info_);
    return true;
  }
  bool decompress(uint8_t* pixels, size_t row_bytes) {
    if (setjmp(errors_.jump)) return false;
    jpeg_start_decompress(&info_);
    while (info_.output_scanline < info_.output_height) {
      JSAMPROW row = pixels + info_.output_scanline * row_bytes;
      jpeg_read_scanlines(&info_, &row, 1);
    }
    jpeg_finish_decompress(&info_);
    return true;
  }

  const jpeg_decompress_struct& info() const { return info_; }
  const JpegErrors& errors() const { return errors_; }

 private:
  jpeg_decompress_struct info_;
  JpegErrors errors_;
  bool created_ = false;
};

// Owns a libjpeg compressor writing to a malloc'ed memory buffer.
class JpegEncoder {
 public:
  JpegEncoder() {
    init_jpeg_errors(&errors_);
    std::memset(&info_, 0, sizeof(info_));
    info_.err = &errors_.manager;
  }
  ~JpegEncoder() {
    if (created_) jpeg_destroy_compress(&info_);
    std::free(buffer_);
  }
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  bool encode(const Image& image, int quality) {
    if (setjmp(errors_.jump)) return false;
    jpeg_create_compress(&info_);
    created_ = true;
    jpeg_mem_dest(&info_, &buffer_, &size_);
    info_.image_width = static_cast<JDIMENSION>(image.width);
    info_.image_height = static_cast<JDIMENSION>(image.height);
    info_.input_components = image.channels;
    info_.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info_);
    jpeg_set_quality(&info_, quality, TRUE);
    jpeg_start_compress(&info_, TRUE);
    const size_t row_bytes = static_cast<size_t>(image.width) * image.channels;
    while (info_.next_scanline < info_.image_height) {
      // libjpeg takes non-const rows but only reads them when compressing.
      JSAMPROW row = const_cast<uint8_t*>(image.pixels.data()) + info_.next_scanline * row_bytes;
      jpeg_write_scanlines(&info_, &row, 1);
    }
    jpeg_finish_compress(&info_);
    return true;
  }

  std::vector<uint8_t> bytes() const { return std::vector<uint8_t>(buffer_, buffer_ + size_); }
  const char* message() const { return errors_.message; }

 private:
  jpeg_compress_struct info_;
  JpegErrors errors_;
  bool created_ = false;
  unsigned char* buffer_ = nullptr;
  unsigned long size_ = 0;
};

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw UserError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  while (true) {
    const size_t got = std::fread(chunk, 1, sizeof(chunk), file.get());
    if (got > 0) {
      if (bytes.size() + got > kMaxFileBytes) {
        throw UserError(path + ": file too large (over " + std::to_string(kMaxFileBytes >> 20) +
                        " MiB)");
      }
      bytes.insert(bytes.end(), chunk, chunk + got);
    }
    if (got < sizeof(chunk)) break;
  }
  if (std::ferror(file.get()) != 0) {
    throw UserError(path + ": cannot read (" + std::strerror(errno) + ")");
  }
  return bytes;
}

ImageFormat sniff_image_format(const uint8_t* data, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= sizeof(kPng) && std::memcmp(data, kPng, sizeof(kPng)) == 0) return ImageFormat::kPng;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

Image decode_png(const uint8_t* data, size_t size, const std::string& name) {
  if (sniff_image_format(data, size) != ImageFormat::kPng) {
    throw UserError(name + ": not a PNG file (bad signature)");
  }
  PngState state;
  state.data = data;
  state.size = size;
  PngReader reader(&state);
  uint32_t height = 0, width = 0;
  int channels = 0;
  size_t row_bytes = 0;
  if (!reader.read_header(&height, &width, &channels, &row_bytes)) {
    throw UserError(name + ": corrupt PNG (" + state.message + ")");
  }
  Image image = allocate_image(name, "PNG", height, width, static_cast<size_t>(channels));
  const size_t expected_row_bytes = static_cast<size_t>(width) * channels;
  if (row_bytes != expected_row_bytes) {
    throw UserError(name + ": unsupported PNG of " + shape_text(height, width, channels));
  }
  std::vector<png_bytep> rows(height);
  for (uint32_t y = 0; y < height; ++y) rows[y] = image.pixels.data() + y * row_bytes;
  if (!reader.read_rows(rows.data())) {
    throw UserError(name + ": corrupt PNG (" + state.message + ")");
  }
  return image;
}

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name) {
  if (sniff_image_format(data, size) != ImageFormat::kJpeg) {
    throw UserError(name + ": not a JPEG file (bad signature)");
  }
  JpegDecoder decoder;
  if (!decoder.start(data, size)) {
    throw UserError(name + ": corrupt JPEG (" + decoder.errors().message + ")");
  }
  const jpeg_decompress_struct& info = decoder.info();
  Image image = allocate_image(name, "JPEG", info.output_height, info.output_width,
                               static_cast<size_t>(info.output_components));
  if (image.channels != 1 && image.channels != 3) {
    throw UserError(name + ": unsupported JPEG with " + std::to_string(image.channels) +
                    " channels (expected gray or RGB)");
  }
  const size_t row_bytes = static_cast<size_t>(image.width) * image.channels;
  if (!decoder.decompress(image.pixels.data(), row_bytes)) {
    throw UserError(name + ": corrupt JPEG (" + decoder.errors().message + ")");
  }
  if (decoder.errors().warned) {
    throw UserError(name + ": corrupt JPEG (" + decoder.errors().message + ")");
  }
  return image;
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name) {
  switch (sniff_image_format(data, size)) {
    case ImageFormat::kPng:
      return decode_png(data, size, name);
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, name);
    case ImageFormat::kUnknown:
      break;
  }
  throw UserError(name + ": not a PNG or JPEG image");
}

Image read_image(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> encode_jpeg(const Image& image, int quality) {
  check_image(image, "encode_jpeg");
  if (image.channels != 1 && image.channels != 3) {
    throw std::invalid_argument("encode_jpeg: " + std::to_string(image.channels) +
                                " channels (expected 1 or 3)");
  }
  if (quality < 1 || quality > 100) {
    throw std::invalid_argument("encode_jpeg: quality " + std::to_string(quality));
  }
  JpegEncoder encoder;
  if (!encoder.encode(image, quality)) {
    throw std::runtime_error(std::string("encode_jpeg: ") + encoder.message());
  }
  return encoder.bytes();
}

void write_jpeg(const std::string& path, const Image& image, int quality) {
  const std::vector<uint8_t> bytes = encode_jpeg(image, quality);
  FilePtr file(std::fopen(path.c_str(), "wb"));
  if (!file) throw UserError(path + ": cannot write JPEG (" + std::strerror(errno) + ")");
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file.get()) == bytes.size();
  if (std::fclose(file.release()) != 0 || !written) {
    std::remove(path.c_str());
    throw UserError(path + ": cannot write JPEG (" + std::strerror(errno) + ")");
  }
}

}  // namespace spiral::data
