// A replay holder's trajectories/replay-<rank>.h5: the episodes it received (all, or a share).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "spiral/io/hdf5.h"
#include "spiral/learn/episode.h"

namespace spiral::app {

// Appends episodes to the file; datasets commands [N, T, P], renders [N, H, W, C] (the final
// canvas), target_index, policy_version and actor [N].
class TrajectoryFile {
 public:
  // Creates the file, or with `append` continues one of the same shape (UserError otherwise).
  TrajectoryFile(const std::filesystem::path& path, const learn::EpisodeShape& shape, bool append);

  void write(const learn::Episode& episode);
  // Adds `received` to the episodes_received attribute, records the fraction written and closes
  // the file.
  void close(int64_t received, double fraction);

 private:
  learn::EpisodeShape shape_;
  io::File file_;
  std::vector<io::Dataset> columns_;  // commands, renders, target_index, policy_version, actor
};

}  // namespace spiral::app
