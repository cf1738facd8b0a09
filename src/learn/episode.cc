#include "spiral/learn/episode.h"

#include <cstring>
#include <stdexcept>

namespace spiral::learn {
namespace {

constexpr uint32_t kMagic = 0x50455053;  // "SPEP"

// The header of a message: a magic number, the episode count and the shape.
struct Header {
  uint32_t magic = kMagic;
  uint32_t count = 0;
  int32_t shape[6] = {};
};

Header header_of(const EpisodeShape& shape, size_t count) {
  Header header;
  header.count = static_cast<uint32_t>(count);
  const int32_t values[6] = {shape.steps, shape.parts,    shape.height,
                             shape.width, shape.channels, shape.noise};
  std::memcpy(header.shape, values, sizeof values);
  return header;
}

size_t episode_bytes(const EpisodeShape& shape) {
  return 2 * sizeof(int64_t) + sizeof(int32_t) +
         static_cast<size_t>(shape.steps) * shape.parts * sizeof(int32_t) +
         static_cast<size_t>(shape.steps) * sizeof(float) +
         (static_cast<size_t>(shape.steps) + 1) * shape.canvas_bytes() +
         static_cast<size_t>(shape.noise) * sizeof(float);
}

void put(std::string* out, const void* data, size_t bytes) {
  out->append(static_cast<const char*>(data), bytes);
}

// Reads `bytes` at *offset into `data` and advances the offset (the caller checked the length).
void take(const std::string& in, size_t* offset, void* data, size_t bytes) {
  std::memcpy(data, in.data() + *offset, bytes);
  *offset += bytes;
}

}  // namespace

bool EpisodeShape::operator==(const EpisodeShape& other) const {
  return steps == other.steps && parts == other.parts && height == other.height &&
         width == other.width && channels == other.channels && noise == other.noise;
}

std::string encode_episodes(const EpisodeShape& shape, const std::vector<Episode>& episodes) {
  const size_t commands = static_cast<size_t>(shape.steps) * shape.parts;
  const size_t canvases = (static_cast<size_t>(shape.steps) + 1) * shape.canvas_bytes();
  std::string out;
  out.reserve(sizeof(Header) + episodes.size() * episode_bytes(shape));
  const Header header = header_of(shape, episodes.size());
  put(&out, &header, sizeof header);
  for (const Episode& e : episodes) {
    if (e.commands.size() != commands || e.log_probs.size() != static_cast<size_t>(shape.steps) ||
        e.canvases.size() != canvases || e.noise.size() != static_cast<size_t>(shape.noise)) {
      throw std::invalid_argument("encode_episodes: an episode does not match the shape");
    }
    put(&out, &e.target_index, sizeof e.target_index);
    put(&out, &e.policy_version, sizeof e.policy_version);
    put(&out, &e.actor, sizeof e.actor);
    put(&out, e.commands.data(), commands * sizeof(int32_t));
    put(&out, e.log_probs.data(), e.log_probs.size() * sizeof(float));
    put(&out, e.canvases.data(), canvases);
    put(&out, e.noise.data(), e.noise.size() * sizeof(float));
  }
  return out;
}

std::vector<Episode> decode_episodes(const std::string& bytes, const EpisodeShape& shape) {
  Header header;
  if (bytes.size() < sizeof header) {
    throw std::runtime_error("episode message of " + std::to_string(bytes.size()) +
                             " bytes is shorter than its header");
  }
  size_t offset = 0;
  take(bytes, &offset, &header, sizeof header);
  const Header expected = header_of(shape, header.count);
  if (header.magic != kMagic || std::memcmp(header.shape, expected.shape, sizeof header.shape)) {
    throw std::runtime_error("episode message of another format or episode shape");
  }
  if (bytes.size() != sizeof header + header.count * episode_bytes(shape)) {
    throw std::runtime_error("episode message of " + std::to_string(bytes.size()) +
                             " bytes does not hold its " + std::to_string(header.count) +
                             " episodes");
  }
  std::vector<Episode> episodes(header.count);
  for (Episode& e : episodes) {
    e.commands.resize(static_cast<size_t>(shape.steps) * shape.parts);
    e.log_probs.resize(static_cast<size_t>(shape.steps));
    e.canvases.resize((static_cast<size_t>(shape.steps) + 1) * shape.canvas_bytes());
    e.noise.resize(static_cast<size_t>(shape.noise));
    take(bytes, &offset, &e.target_index, sizeof e.target_index);
    take(bytes, &offset, &e.policy_version, sizeof e.policy_version);
    take(bytes, &offset, &e.actor, sizeof e.actor);
    take(bytes, &offset, e.commands.data(), e.commands.size() * sizeof(int32_t));
    take(bytes, &offset, e.log_probs.data(), e.log_probs.size() * sizeof(float));
    take(bytes, &offset, e.canvases.data(), e.canvases.size());
    take(bytes, &offset, e.noise.data(), e.noise.size() * sizeof(float));
  }
  return episodes;
}

EpisodeShape message_shape(const std::string& bytes) {
  Header header;
  if (bytes.size() < sizeof header) {
    throw std::runtime_error("episode message of " + std::to_string(bytes.size()) +
                             " bytes is shorter than its header");
  }
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != kMagic) throw std::runtime_error("not an episode message");
  const int32_t* v = header.shape;
  return EpisodeShape{v[0], v[1], v[2], v[3], v[4], v[5]};
}

}  // namespace spiral::learn
