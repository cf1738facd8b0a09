// Played episodes as bytes: what an actor sends to its replay holder and a holder to a learner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spiral::learn {

// The sizes every episode of a run shares.
struct EpisodeShape {
  int steps = 0;   // T: commands per episode
  int parts = 0;   // P: parts of a command
  int height = 0;  // canvas
  int width = 0;
  int channels = 0;
  int noise = 0;  // noise inputs of an unconditional policy (0: conditional)

  size_t canvas_bytes() const { return static_cast<size_t>(height) * width * channels; }
  bool operator==(const EpisodeShape& other) const;
};

// One played episode.
struct Episode {
  int64_t target_index = -1;      // dataset index of the target (-1: unconditional)
  int64_t policy_version = 0;     // policy updates behind the parameters that played it
  int32_t actor = 0;              // the rank that played it
  std::vector<int32_t> commands;  // [T, P]
  std::vector<float> log_probs;   // [T]: log-probability of each command under the acting policy
  std::vector<uint8_t> canvases;  // [T + 1, H, W, C]: blank, then after each step (last: final)
  std::vector<float> noise;       // [noise]
};

// The bytes of `episodes`, each of which must match `shape` (std::invalid_argument otherwise).
std::string encode_episodes(const EpisodeShape& shape, const std::vector<Episode>& episodes);

// The episodes of encode_episodes' bytes. Throws std::runtime_error when the bytes are not a whole
// message of episodes of `shape`.
std::vector<Episode> decode_episodes(const std::string& bytes, const EpisodeShape& shape);

// The episode shape a message of encode_episodes says its episodes have (std::runtime_error for
// bytes that are not such a message).
EpisodeShape message_shape(const std::string& bytes);

}  // namespace spiral::learn
