// A replay holder's trajectories/replay-<rank>.h5: the episodes it received (all, or a share).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "spiral/core/files.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/episode.h"

namespace spiral::run {

// Appends episodes to the file; datasets commands [N, T, P], renders [N, H, W, C] (the final
// canvas), target_index, policy_version and actor [N]. The file is valid at any kill: it appears
// under its name only once written in SWMR mode, and flush() makes the rows so far durable.
class TrajectoryFile {
 public:
  // Creates the file. With `append`, the whole episodes of an earlier file of the same shape are
  // copied first (UserError for another shape); an unreadable earlier file (a kill before SWMR
  // started, a corrupt disk) is kept as <path>.unreadable with a warning and the file starts
  // empty. On any failure the temporary file is removed and the earlier file left as it was
  // (unless it did not read).
  TrajectoryFile(const std::filesystem::path& path, const learn::EpisodeShape& shape, bool append);

  void write(const learn::Episode& episode);
  // Makes the rows written so far visible to readers and a later resume.
  void flush();
  // Closes the file and records in it the episodes received in all (`received` in this start)
  // and the fraction written.
  void close(int64_t received, double fraction);

 private:
  // Writes the new file at `pending`'s temporary name (with the earlier file's episodes when
  // `append`), puts it in SWMR mode and commits it to path_.
  void open_fresh(PendingFile& pending, bool append);

  std::filesystem::path path_;
  learn::EpisodeShape shape_;
  int64_t received_before_ = 0;  // episodes_received of the earlier starts
  std::optional<io::File> file_;
  std::vector<io::Dataset> columns_;  // commands, renders, target_index, policy_version, actor
};

}  // namespace spiral::run
