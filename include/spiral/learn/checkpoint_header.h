// The part of reading a checkpoint that needs no LibTorch: verifying the whole-file checksum
// (checkpoint_seal.h), then opening the HDF5 file, reading its header (the root attributes) and
// verifying every dataset's CRC32 (checkpoint.h has the rest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace spiral::learn {

// The layout version written by this build; other versions are refused.
// Version 2 added the whole-file checksum (checkpoint_seal.h).
inline constexpr int kCheckpointFormatVersion = 2;

// Where a run is in its training.
struct CheckpointCounters {
  int64_t step = 0;      // policy updates done
  int64_t frames = 0;    // agent steps taken
  double wall_time = 0;  // seconds of training so far, over every resumed part
};

// What a checkpoint says about itself (the file's root attributes).
struct CheckpointHeader {
  CheckpointCounters counters;
  std::string config;               // the run's resolved configuration as an INI file
  std::string action_spec;          // ActionSpec::describe() of the environment
  std::string policy_sizes;         // policy_sizes() of the policy
  std::string discriminator_sizes;  // discriminator_sizes() of the discriminator
  bool has_replay = false;          // whether the render replay is stored
  int64_t ranks = 1;                // ranks whose random streams (and replays) are stored
};

// CRC32 (zlib) of a byte range: the "crc32" attribute every checkpoint dataset carries. `previous`
// continues the CRC32 of the bytes before the range.
int64_t checkpoint_crc32(const void* data, size_t bytes, int64_t previous = 0);

// Verifies the whole-file checksum of the checkpoint at `path` before any HDF5 parsing, then opens
// it, reads its header, and verifies the format version, the counters' ranges and the CRC32 of
// every dataset. Throws UserError for any problem (CheckpointFile adds the file's name).
CheckpointHeader read_checkpoint_header(const std::filesystem::path& path);

}  // namespace spiral::learn
