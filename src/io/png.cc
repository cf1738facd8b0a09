#include "spiral/io/png.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"

namespace spiral::io {
namespace {

// libpng reports errors by calling on_png_error, which records the message here and longjmps
// back to the setjmp in one of the plain helper functions below.
struct PngErrorState {
  char message[256] = "";
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (state != nullptr) std::snprintf(state->message, sizeof(state->message), "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Owns a libpng write struct and its info struct.
class PngWriteStructs {
 public:
  explicit PngWriteStructs(PngErrorState* state)
      : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning)),
        info_(png_ != nullptr ? png_create_info_struct(png_) : nullptr) {}
  ~PngWriteStructs() { png_destroy_write_struct(&png_, &info_); }
  PngWriteStructs(const PngWriteStructs&) = delete;
  PngWriteStructs& operator=(const PngWriteStructs&) = delete;

  bool valid() const { return png_ != nullptr && info_ != nullptr; }
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_;
  png_infop info_;
};

// Owns a libpng read struct and its info struct.
class PngReadStructs {
 public:
  explicit PngReadStructs(PngErrorState* state)
      : png_(png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning)),
        info_(png_ != nullptr ? png_create_info_struct(png_) : nullptr) {}
  ~PngReadStructs() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReadStructs(const PngReadStructs&) = delete;
  PngReadStructs& operator=(const PngReadStructs&) = delete;

  bool valid() const { return png_ != nullptr && info_ != nullptr; }
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_;
  png_infop info_;
};

// The helpers below hold setjmp; they keep no C++ objects with destructors in their frames.

bool write_all(png_structp png, png_infop info, std::FILE* file, png_uint_32 width,
               png_uint_32 height, int color_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

struct PngHeader {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
  size_t row_bytes = 0;
};

bool read_header(png_structp png, png_infop info, std::FILE* file, int signature_bytes,
                 PngHeader* header) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_sig_bytes(png, signature_bytes);
  png_read_info(png, info);
  png_set_expand(png);    // palette -> RGB, gray below 8 bits -> 8 bits, tRNS -> alpha
  png_set_strip_16(png);  // 16 -> 8 bits
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  header->width = png_get_image_width(png, info);
  header->height = png_get_image_height(png, info);
  header->channels = png_get_channels(png, info);
  header->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool read_body(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

int color_type_for(int channels) {
  switch (channels) {
    case 1:
      return PNG_COLOR_TYPE_GRAY;
    case 2:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
      return PNG_COLOR_TYPE_RGB;
    default:
      return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

}  // namespace

void write_png(const std::string& path, const Image& image) {
  check_image(image, path);
  PngErrorState state;
  PngWriteStructs structs(&state);
  if (!structs.valid()) throw std::runtime_error(path + ": cannot initialise libpng");

  std::vector<png_bytep> rows(image.height);
  const size_t row_bytes = static_cast<size_t>(image.width) * image.channels;
  for (int y = 0; y < image.height; ++y) {
    // libpng's API takes non-const rows but does not write to them when writing.
    rows[y] = const_cast<png_bytep>(image.pixels.data() + y * row_bytes);
  }

  PendingFile pending(path, "PNG");
  FilePtr file(std::fopen(pending.temporary().c_str(), "wb"));
  if (!file) pending.fail(std::strerror(errno));
  bool ok = write_all(structs.png(), structs.info(), file.get(), image.width, image.height,
                      color_type_for(image.channels), rows.data());
  std::string reason = ok ? "" : state.message;
  if (ok && (std::fflush(file.get()) != 0 || std::ferror(file.get()) != 0)) {
    ok = false;
    reason = std::strerror(errno);
  }
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    reason = std::strerror(errno);
  }
  if (!ok) pending.fail(reason);
  pending.commit();
}

Image read_png(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw UserError(path + ": cannot open PNG (" + std::strerror(errno) + ")");
  png_byte signature[8] = {};
  const size_t signature_bytes = std::fread(signature, 1, sizeof(signature), file.get());
  if (signature_bytes < sizeof(signature) || png_sig_cmp(signature, 0, sizeof(signature)) != 0) {
    throw UserError(path + ": not a PNG file");
  }

  PngErrorState state;
  PngReadStructs structs(&state);
  if (!structs.valid()) throw std::runtime_error(path + ": cannot initialise libpng");
  PngHeader header;
  if (!read_header(structs.png(), structs.info(), file.get(), sizeof(signature), &header)) {
    throw UserError(path + ": corrupt PNG (" + state.message + ")");
  }
  constexpr size_t kMaxBytes = size_t{1} << 31;
  const size_t expected_row_bytes = static_cast<size_t>(header.width) * header.channels;
  if (header.channels < 1 || header.channels > 4 || header.row_bytes != expected_row_bytes ||
      header.height == 0 || expected_row_bytes > kMaxBytes / header.height) {
    throw UserError(path + ": unsupported PNG of " + std::to_string(header.height) + "x" +
                    std::to_string(header.width) + "x" + std::to_string(header.channels));
  }

  Image image;
  image.height = static_cast<int>(header.height);
  image.width = static_cast<int>(header.width);
  image.channels = header.channels;
  image.pixels.resize(header.height * expected_row_bytes);
  std::vector<png_bytep> rows(header.height);
  for (png_uint_32 y = 0; y < header.height; ++y) {
    rows[y] = image.pixels.data() + y * expected_row_bytes;
  }
  if (!read_body(structs.png(), rows.data())) {
    throw UserError(path + ": corrupt PNG (" + state.message + ")");
  }
  return image;
}

}  // namespace spiral::io
