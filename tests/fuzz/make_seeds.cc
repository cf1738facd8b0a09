// Writes the fuzzers' seed inputs: small valid IDX files (raw and gzip), stroke files, JPEGs,
// program files and small checkpoints laid out as save_checkpoint lays them out.
// Usage: make_seeds CORPUS_ROOT (creates CORPUS_ROOT/{idx,strokes,image,program,checkpoint}/).
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/data/codec.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/checkpoint_header.h"
#include "spiral/learn/checkpoint_seal.h"

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

void write_text(const std::filesystem::path& path, const std::string& text) {
  write(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// A dataset with its CRC32 attribute, as save_checkpoint writes them.
template <typename T>
void write_checked(spiral::io::Group& group, const std::string& name,
                   const std::vector<size_t>& shape, const std::vector<T>& data) {
  spiral::io::Dataset dataset = group.write_array<T>(name, shape, data);
  dataset.set_attribute("crc32",
                        spiral::learn::checkpoint_crc32(data.data(), data.size() * sizeof(T)));
}

void write_bytes(spiral::io::Group& group, const std::string& name, const std::string& bytes) {
  write_checked<uint8_t>(group, name, {bytes.size()},
                         std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

// The HDF5 part of a checkpoint of tiny networks: the root attributes, random streams, and with
// `full` networks, optimizers, a second rank and a render replay too.
void write_checkpoint_data(const std::filesystem::path& path, bool full) {
  spiral::io::File file =
      spiral::io::File::create(path.string(), spiral::learn::kCheckpointSealBytes);
  spiral::io::Group root = file.root();
  root.set_attribute("format_version", spiral::learn::kCheckpointFormatVersion);
  root.set_attribute("step", 12);
  root.set_attribute("frames", 3072);
  root.set_attribute("wall_time", 1.5);
  root.set_attribute("config", "# spiral train\nname = seed\ngrid = 8\n");
  root.set_attribute("action_spec", "flag:2 end:64 control:64 pressure:2");
  root.set_attribute("policy_sizes",
                     "canvas=64 channels=1 conditional=1 noise_dim=0 torso_width=4 "
                     "residual_blocks=1 lstm_size=4 embedding_size=4 decoder_residual_blocks=1");
  root.set_attribute("discriminator_sizes",
                     "canvas=64 channels=1 conditional=1 spectral_norm=1 widths=2,4");
  root.set_attribute("has_replay", full ? 1 : 0);
  root.set_attribute("ranks", full ? 2 : 1);
  spiral::io::Group rng = root.create_group("rng");
  write_bytes(rng, "generator", std::string(16, '\x5a'));
  write_bytes(rng, "engine", "5489 1 2 3");
  if (!full) {
    file.close();
    return;
  }
  for (const char* network : {"policy", "discriminator"}) {
    spiral::io::Group group = root.create_group(network);
    spiral::io::Group parameters = group.create_group("parameters");
    write_checked<float>(parameters, "torso.weight", {4, 3},
                         {0.5f, -1, 2, 0.25f, 0, 1, -2, 3, 1, 1, 0.125f, -0.5f});
    write_checked<float>(parameters, "torso.bias", {4}, {0, 1, 2, 3});
    spiral::io::Group buffers = group.create_group("buffers");
    write_checked<float>(buffers, "norm.running_mean", {2}, {0.5f, 0.25f});
  }
  spiral::io::Group optimizers = root.create_group("optimizers");
  write_bytes(optimizers, "policy", "adam state");
  write_bytes(optimizers, "discriminator", "adam state");
  spiral::io::Group ranks = root.create_group("ranks");
  write_bytes(ranks, "rank_1", "rank 1 streams");
  spiral::io::Group replay = root.create_group("replay");
  replay.set_attribute("next", 1);
  replay.set_attribute("batches", 1);
  write_checked<float>(replay, "renders_0", {1, 1, 2, 2}, {0, 0.5f, 1, 0.25f});
  file.close();
}

// A sealed checkpoint, as save_checkpoint writes them.
void write_checkpoint(const std::filesystem::path& path, bool full) {
  write_checkpoint_data(path, full);
  spiral::learn::seal_checkpoint(path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_ROOT\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  for (const char* folder : {"idx", "strokes", "image", "program", "checkpoint"}) {
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
  // Programs as docs/program-format.md and the render tests write them.
  write_text(root / "program" / "painter.json",
             R"({"format": "spiral-program", "version": 1, "environment": "painter",
 "settings": {"canvas": 64, "grid": 8, "color": "rgb", "brush": "classic/dry_brush",
              "brush_sizes": [1, 2], "pressure_levels": 10, "color_levels": 20,
              "episode_length": 19, "supersample": 1},
 "seed": 3,
 "action_spec": [{"name": "flag", "size": 2}, {"name": "end", "size": 64},
                 {"name": "control", "size": 64}, {"name": "size", "size": 2},
                 {"name": "pressure", "size": 10}, {"name": "red", "size": 20},
                 {"name": "green", "size": 20}, {"name": "blue", "size": 20}],
 "commands": [[1, 9, 20, 1, 9, 19, 0, 5], [0, 60, 0, 0, 0, 0, 0, 0]]}
)");
  write_text(root / "program" / "painter-defaults.json",
             R"({"format": "spiral-program", "version": 1, "environment": "painter",
 "settings": {"grid": 8}, "seed": 3,
 "commands": [[0, 9, 0, 0, 0], [1, 14, 6, 3, 9], [1, 54, 40, 2, 5]]}
)");
  write_text(
      root / "program" / "scene.json",
      R"({"format": "spiral-program", "version": 1, "environment": "scene", "settings": {}, "seed": 0,
 "commands": [[0, 1, 136, 2, 3, 0, 0], [0, 0, 120, 1, 0, 3, 0]]}
)");
  write_checkpoint(root / "checkpoint" / "small.h5", false);
  write_checkpoint(root / "checkpoint" / "full.h5", true);
  return 0;
}
