#include "trajectory_file.h"

#include <string>

#include "spiral/core/errors.h"

namespace spiral::app {
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

}  // namespace

TrajectoryFile::TrajectoryFile(const std::filesystem::path& path, const learn::EpisodeShape& shape,
                               bool append)
    : shape_(shape),
      file_(append && std::filesystem::exists(path)
                ? io::File::open(path.string(), io::File::Mode::kReadWrite)
                : io::File::create(path.string())) {
  const size_t steps = static_cast<size_t>(shape.steps);
  const std::vector<std::vector<size_t>> row_shapes = {
      {steps, static_cast<size_t>(shape.parts)},
      {static_cast<size_t>(shape.height), static_cast<size_t>(shape.width),
       static_cast<size_t>(shape.channels)},
      {},
      {},
      {}};
  io::Group root = file_.root();
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    const Column& column = kColumns[i];
    if (root.has(column.name)) {
      columns_.push_back(root.open_dataset(column.name));
      if (columns_.back().row_shape() != row_shapes[i]) {
        throw UserError(path.string() + ": dataset " + column.name +
                        " has another shape than this run's episodes; resume into another --name");
      }
      continue;
    }
    io::Dataset dataset = i == 0   ? root.create_dataset<int32_t>(column.name, row_shapes[i])
                          : i == 1 ? root.create_dataset<uint8_t>(column.name, row_shapes[i])
                          : i == 4 ? root.create_dataset<int32_t>(column.name, row_shapes[i])
                                   : root.create_dataset<int64_t>(column.name, row_shapes[i]);
    dataset.set_attribute("description", column.description);
    dataset.set_attribute("units", column.units);
    columns_.push_back(std::move(dataset));
  }
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

void TrajectoryFile::close(int64_t received, double fraction) {
  io::Group root = file_.root();
  const int64_t earlier =
      root.has_attribute("episodes_received") ? root.int_attribute("episodes_received") : 0;
  root.set_attribute("episodes_received", earlier + received);
  root.set_attribute("fraction_written", fraction);
  columns_.clear();
  file_.close();
}

}  // namespace spiral::app
