// Generated MuJoCo scene datasets: random scenes rendered and stored with their true programs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"
#include "spiral/io/hdf5.h"
#include "spiral/render/scene.h"
#include "spiral/render/scene_parse.h"
#include "spiral/render/settings.h"

namespace spiral::data {

// What the "format" attribute of a scenes file says, and the version written here. Version 2 drew
// objects larger (half-heights 0.12 to 0.3); version 1 files are refused, since a SceneBuilder
// would no longer draw their images.
inline constexpr const char* kScenesFormat = "spiral-scenes";
inline constexpr int kScenesFormatVersion = 2;

// The fields of one stored object, in the order of the last axis of /objects.
inline constexpr const char* kSceneObjectFields = "type,position,size,red,green,blue";

// Scene `index` of the sequence `seed` gives: 1 to settings.max_objects objects (uniform), each
// with a uniform type, size and colour bins, on distinct grid cells. A pure function of
// (seed, index), the same on every platform (SplitMix64), so a larger count extends a smaller.
std::vector<render::SceneObject> random_scene(const render::SceneSettings& settings, uint64_t seed,
                                              uint64_t index);

// What generate_scenes makes.
struct SceneGeneration {
  size_t count = 1000;
  uint64_t seed = 1;
  render::SceneSettings settings;
};

// Called after each batch of scenes: (scenes written, total).
using SceneProgress = std::function<void(size_t done, size_t total)>;

// Renders `generation.count` random scenes (random_scene with the seed, indices 0 .. count-1)
// and writes them to `path` as HDF5: /images uint8 [N, S, S, 3], /objects int32 [N, max, 6]
// (kSceneObjectFields; unused rows -1), /object_count int32 [N], and root attributes: format,
// version, seed, count, the scene settings, the MJCF model (camera, lights, materials) and the
// renderer backend. Written to `path + ".tmp"` and renamed when complete; on any error the
// temporary is removed and `path` is untouched. UserError for bad settings or an unwritable path.
void generate_scenes(const std::string& path, const SceneGeneration& generation,
                     const SceneProgress& progress = {});

// The images of a scenes file, with the scene each shows (its true program). The objects are read
// when opened, the images on demand (HDF5 reads take turns).
class ScenesDataset : public Dataset {
 public:
  // Opens `path`; UserError naming it when it is not a scenes file of a known version.
  ScenesDataset(std::string name, const std::string& path);
  ~ScenesDataset() override;

  const std::string& name() const override { return name_; }
  size_t size() const override { return counts_.size(); }
  Image image(size_t index) const override;
  ImageShape shape() const override { return {size_, size_, 3}; }
  Ink ink() const override { return Ink::kNatural; }
  // Labels are object counts: label l means l + 1 objects.
  int label_count() const override { return settings_.max_objects; }
  int label(size_t index) const override { return counts_.at(index) - 1; }
  std::string label_name(int label) const override;
  // "objects=2 sphere@37(size 1, rgb 0,3,2) box@200(size 0, rgb 3,3,1)".
  std::string metadata(size_t index) const override;

  // The objects of scene `index`, in the order they were placed.
  std::vector<render::SceneObject> objects(size_t index) const;
  // The settings the scenes were rendered with (a SceneBuilder with them can redraw them).
  const render::SceneSettings& settings() const { return settings_; }
  // The seed the file was generated from.
  uint64_t seed() const { return seed_; }

 private:
  std::string name_;
  std::string path_;
  render::SceneSettings settings_;
  uint64_t seed_ = 0;
  int size_ = 0;
  std::vector<int32_t> counts_;
  std::vector<int32_t> objects_;  // [N, max_objects, 6]
  mutable std::mutex mutex_;      // serialises HDF5 reads
  std::unique_ptr<io::File> file_;
  std::unique_ptr<io::Dataset> images_;
};

// `dataset` as a scenes file whose objects programs of `settings` can be matched against: null
// when it is not a scenes file or `settings` is not the scene builder, and, with a warning, when
// the file's grid, sizes or colours differ from the settings' (its cells and bins would mean
// other things).
const ScenesDataset* matching_scenes(const Dataset& dataset,
                                     const render::EnvironmentSettings& settings);

// Each program matched against the objects of the scene it was built under: programs[i] under
// scene indices[i], or a single program under every one.
std::vector<render::SceneParse> parse_programs(
    const ScenesDataset& scenes, const render::SceneSettings& settings,
    const std::vector<size_t>& indices, const std::vector<std::vector<render::Command>>& programs);

}  // namespace spiral::data
