// Helpers shared by the data module's tests: a temporary folder, file writers, test images.
#pragma once

#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "temp_dir_test.h"

namespace spiral::data::test {

namespace fs = std::filesystem;

// The source tree, for the shipped data under inputs/data.
inline std::string source_dir() {
  const char* from_environment = std::getenv("SPIRAL_SOURCE_DIR");
  return from_environment != nullptr ? from_environment : SPIRAL_TEST_SOURCE_DIR;
}
inline std::string mnist_dir() { return source_dir() + "/inputs/data/mnist"; }
inline std::string omniglot_file(const std::string& name) {
  return source_dir() + "/inputs/data/omniglot/" + name;
}

// Data tests, each in a fresh temporary folder.
class DataTest : public TempDirTest {};

// Writes `bytes` to `path`.
inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Expects `statement` to throw UserError whose message is one line containing every `parts`.
template <typename F>
void expect_user_error(F&& statement, const std::vector<std::string>& parts) {
  try {
    statement();
    ADD_FAILURE() << "no UserError thrown (expected one mentioning '" << parts.front() << "')";
  } catch (const UserError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "more than one line: " << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "message '" << message << "' lacks '" << part << "'";
    }
  }
}

// FNV-1a-64 of an image's pixels (the checksum the tests compare with independent decoders).
inline uint64_t fnv_of(const Image& image) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint8_t value : image.pixels) {
    hash ^= value;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// A smooth test pattern (JPEG keeps it closely); `seed` shifts it.
inline Image gradient_image(int height, int width, int channels, int seed = 0) {
  Image image{height, width, channels, {}};
  image.pixels.resize(static_cast<size_t>(height) * width * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        image.pixels[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<uint8_t>(x * 120 / width + y * 100 / height + c * 10 + seed);
      }
    }
  }
  return image;
}

// Mean absolute difference of two images of the same shape (255 when shapes differ).
inline double mean_abs_difference(const Image& a, const Image& b) {
  if (a.pixels.size() != b.pixels.size() || a.channels != b.channels) return 255;
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return a.pixels.empty() ? 0 : sum / a.pixels.size();
}

}  // namespace spiral::data::test
