#include "spiral/run/trajectory_file.h"

#include <algorithm>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/logging.h"

namespace spiral::run {
namespace {

// One dataset of the file: its name, description and units.
struct Column {
  const char* name;
  const char* description;
  const char* units;
};

constexpr Column kColumns[] = {
    {"commands", "Each step's command, one value per action part [episode, step, part]", ""},
    {"renders", "The final canvas [episode, y, x, channel]", "uint8 intensity"},
    {"target_index", "Dataset index of the target (-1: unconditional)", ""},
    {"policy_version", "Policy updates behind the parameters that played the episode", "updates"},
    {"actor", "The MPI rank that played the episode", ""},
};
constexpr size_t kCopyRows = 256;  // episodes copied at a time from an earlier file

// An earlier file that does not read (a kill before SWMR mode started, a damaged disk).
class Unreadable : public UserError {
 public:
  using UserError::UserError;
};

// What `read` returns; its UserError becomes Unreadable, so that a failed write is not taken for
// a bad earlier file.
template <typename Read>
auto reading(const Read& read) {
  try {
    return read();
  } catch (const UserError& error) {
    throw Unreadable(error.what());
  }
}

std::vector<std::vector<size_t>> row_shapes(const learn::EpisodeShape& shape) {
  return {{static_cast<size_t>(shape.steps), static_cast<size_t>(shape.parts)},
          {static_cast<size_t>(shape.height), static_cast<size_t>(shape.width),
           static_cast<size_t>(shape.channels)},
          {},
          {},
          {}};
}

std::vector<io::Dataset> create_columns(io::Group root, const learn::EpisodeShape& shape) {
  const std::vector<std::vector<size_t>> shapes = row_shapes(shape);
  std::vector<io::Dataset> columns;
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    const Column& column = kColumns[i];
    io::Dataset dataset = i == 0   ? root.create_dataset<int32_t>(column.name, shapes[i])
                          : i == 1 ? root.create_dataset<uint8_t>(column.name, shapes[i])
                          : i == 4 ? root.create_dataset<int32_t>(column.name, shapes[i])
                                   : root.create_dataset<int64_t>(column.name, shapes[i]);
    dataset.set_attribute("description", column.description);
    dataset.set_attribute("units", column.units);
    columns.push_back(std::move(dataset));
  }
  return columns;
}

template <typename T>
void copy_rows(const io::Dataset& from, io::Dataset& to, size_t first, size_t count) {
  to.append(reading([&] { return from.read_rows<T>(first, count); }));
}

// Copies the whole episodes of the earlier file `old` into `columns` (a killed writer may have
// appended part of one); returns its episodes_received, or when a kill left none, the episodes
// copied (all it received at --trajectory-fraction 1).
int64_t copy_episodes(const std::filesystem::path& old_path, const learn::EpisodeShape& shape,
                      std::vector<io::Dataset>& columns) {
  const io::File old =
      reading([&] { return io::File::open(old_path.string(), io::File::Mode::kSwmrRead); });
  const io::Group root = old.root();
  const std::vector<std::vector<size_t>> shapes = row_shapes(shape);
  std::vector<io::Dataset> sources;
  size_t rows = SIZE_MAX;
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    sources.push_back(reading([&] { return root.open_dataset(kColumns[i].name); }));
    if (sources.back().row_shape() != shapes[i]) {
      throw UserError(old_path.string() + ": dataset " + kColumns[i].name +
                      " has another shape than this run's episodes; resume into another --name");
    }
    rows = std::min(rows, sources.back().rows());
  }
  for (size_t first = 0; first < rows; first += kCopyRows) {
    const size_t count = std::min(kCopyRows, rows - first);
    copy_rows<int32_t>(sources[0], columns[0], first, count);
    copy_rows<uint8_t>(sources[1], columns[1], first, count);
    copy_rows<int64_t>(sources[2], columns[2], first, count);
    copy_rows<int64_t>(sources[3], columns[3], first, count);
    copy_rows<int32_t>(sources[4], columns[4], first, count);
  }
  return reading([&] {
    return root.has_attribute("episodes_received") ? root.int_attribute("episodes_received")
                                                   : static_cast<int64_t>(rows);
  });
}

}  // namespace

TrajectoryFile::TrajectoryFile(const std::filesystem::path& path, const learn::EpisodeShape& shape,
                               bool append)
    : path_(path), shape_(shape) {
  PendingFile pending(path);
  try {
    open_fresh(pending, append);
  } catch (...) {
    columns_.clear();
    file_.reset();
    throw;
  }
}

void TrajectoryFile::open_fresh(PendingFile& pending, bool append) {
  const std::filesystem::path& temporary = pending.temporary();
  const std::filesystem::path& path = path_;
  const learn::EpisodeShape& shape = shape_;
  io::File fresh = io::File::create(temporary.string());
  columns_ = create_columns(fresh.root(), shape);
  if (append && std::filesystem::exists(path)) {
    try {
      received_before_ = copy_episodes(path, shape, columns_);
    } catch (const Unreadable& error) {
      const std::filesystem::path kept = path.string() + ".unreadable";
      std::filesystem::rename(path, kept);
      log_warning(path.string(), " does not read (", error.what(), "); kept as ", kept.string(),
                  ", this start's episodes go to a new file");
      columns_.clear();
      fresh.close();
      fresh = io::File::create(temporary.string());
      columns_ = create_columns(fresh.root(), shape);
    }
  }
  // SWMR mode writes the file out whole and keeps it readable from then on: only now does it
  // take the final name.
  fresh.start_swmr_write();
  pending.commit();
  file_.emplace(std::move(fresh));
}

void TrajectoryFile::write(const learn::Episode& episode) {
  columns_[0].append(episode.commands.data(), 1);
  // The final canvas: the last of the episode's T + 1.
  columns_[1].append(
      episode.canvases.data() + static_cast<size_t>(shape_.steps) * shape_.canvas_bytes(), 1);
  columns_[2].append(&episode.target_index, 1);
  columns_[3].append(&episode.policy_version, 1);
  columns_[4].append(&episode.actor, 1);
}

void TrajectoryFile::flush() {
  for (io::Dataset& column : columns_) column.flush();
}

void TrajectoryFile::close(int64_t received, double fraction) {
  columns_.clear();
  file_->close();
  // SWMR mode adds no attributes: they go in once the file is closed.
  io::File file = io::File::open(path_.string(), io::File::Mode::kReadWrite);
  file.root().set_attribute("episodes_received", received_before_ + received);
  file.root().set_attribute("fraction_written", fraction);
  file.close();
}

}  // namespace spiral::run
