// Writes the fuzzers' seed inputs: small valid IDX files (raw and gzip), stroke files and JPEGs.
// Usage: make_seeds CORPUS_ROOT (creates CORPUS_ROOT/{idx,strokes,image}/).
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/data/codec.h"

namespace {

void write(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& data) {
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&stream, data.size()) + 32);
  stream.next_in = const_cast<Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

spiral::Image pattern(int height, int width, int channels) {
  spiral::Image image{height, width, channels, {}};
  for (int i = 0; i < height * width * channels; ++i) image.pixels.push_back(uint8_t(i * 7));
  return image;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_ROOT\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  for (const char* folder : {"idx", "strokes", "image"}) {
    std::filesystem::create_directories(root / folder);
  }
  const std::vector<uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1};
  std::vector<uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
  for (int i = 0; i < 18; ++i) images.push_back(uint8_t(i * 13));
  write(root / "idx" / "labels", labels);
  write(root / "idx" / "images", images);
  write(root / "idx" / "labels.gz", gzip(labels));
  write(root / "idx" / "images.gz", gzip(images));
  const std::string strokes =
      "START\n18.954528,-43.534334,0\n19.739983,-41.963425,56\nBREAK\n"
      "30.1,-40.2,900\r\n31.5,-41,950\r\n32,-42.75,1000\r\nBREAK\n";
  write(root / "strokes" / "drawing.txt", std::vector<uint8_t>(strokes.begin(), strokes.end()));
  write(root / "image" / "gray.jpg", spiral::data::encode_jpeg(pattern(9, 7, 1), 80));
  write(root / "image" / "rgb.jpg", spiral::data::encode_jpeg(pattern(5, 11, 3), 60));
  return 0;
}
